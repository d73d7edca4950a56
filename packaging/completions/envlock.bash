# SPDX-License-Identifier: Apache-2.0
# bash completion for envlock: its commands, then each command's options.
# Both are read from envlock's own --help (its commands' table and each
# command's option lines), so they never differ from what the binary takes.
# Anything else completes as file names.

_envlock_commands() {
	"$1" --help 2>/dev/null | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'
}

# The long options of "envlock CMD [SUB]": the option lines of its --help.
_envlock_options() {
	"$@" --help 2>/dev/null | awk '/^(  -[A-Za-z], |      )--[a-z]/ {
		spec = $0; sub(/^ +/, "", spec); n = index(spec, "  "); if (n) spec = substr(spec, 1, n - 1)
		while (match(spec, /--[a-z][a-z0-9-]*/)) { print substr(spec, RSTART, RLENGTH); spec = substr(spec, RSTART + RLENGTH) }
	}'
}

_envlock() {
	local cur=${COMP_WORDS[COMP_CWORD]} envlock=${COMP_WORDS[0]} command=${COMP_WORDS[1]:-} i
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_envlock_commands "$envlock") --help --version" -- "$cur")
		return
	fi
	# After "--", the command and its arguments: as bash completes a command line.
	for ((i = 2; i < COMP_CWORD; i++)); do
		[ "${COMP_WORDS[i]}" = -- ] && return
	done
	if [ "$command" = key ] && [ "$COMP_CWORD" -eq 2 ]; then
		mapfile -t COMPREPLY < <(compgen -W "generate id" -- "$cur")
		return
	fi
	case $cur in
	-*)
		if [ "$command" = key ]; then
			mapfile -t COMPREPLY < <(compgen -W "$(_envlock_options "$envlock" key "${COMP_WORDS[2]}")" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_envlock_options "$envlock" "$command")" -- "$cur")
		fi
		;;
	esac
}

complete -o default -F _envlock envlock
