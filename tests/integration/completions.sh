#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The shell completions (packaging/completions): each completes envlock's
# commands and exec's options, as the binary under test lists them in its
# --help. bash and fish complete for real (bash's programmable completion
# called as readline calls it, fish's `complete -C`); zsh's function runs in
# zsh with compadd, which only zsh's line editor can show, made to print
# what it is given.
. "$(dirname "$0")/lib.sh"

dir=$EL_SOURCE_DIR/packaging/completions
# exec's long options, from the source of its option table: what the parser takes.
exec_options=$(grep -o '^	{ "[a-z][a-z-]*", ' "$EL_SOURCE_DIR/src/cli/cmd_exec.c" | sed 's/^	{ "/--/; s/", $//' | sort | paste -sd' ')
[ -n "$exec_options" ] || fail "no options found in cmd_exec.c's table"

bash_complete() { # WORD... (the last one is completed)
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _envlock; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$dir/envlock.bash" "$ENVLOCK" "$@" | sort | paste -sd' '
}
check_eq "bash: 'envlock ex' completes to exec" "exec" "$(bash_complete ex)"
check_eq "bash: 'envlock c' lists the commands that begin so" "capture check" "$(bash_complete c)"
check_eq "bash: 'envlock exec --' lists every option exec's parser takes" "$exec_options" "$(bash_complete exec --)"
check_eq "bash: 'envlock exec --no-' narrows them" "--no-check --no-lock --no-observe --no-sign" "$(bash_complete exec --no-)"
check_eq "bash: after '--', the command line is not envlock's" "" "$(bash_complete exec -- --no)"
check_eq "bash: 'envlock key ' lists its subcommands" "generate id" "$(bash_complete key '')"

if command -v fish >/dev/null; then
	fish_complete() { # LINE
		PATH=$(dirname "$ENVLOCK"):$PATH fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$dir/envlock.fish" "$1" |
			cut -f1 | sort | paste -sd' '
	}
	check_eq "fish: 'envlock ex' completes to exec" "exec" "$(fish_complete 'envlock ex')"
	check_eq "fish: 'envlock exec --' lists every option exec's parser takes" "$exec_options" "$(fish_complete 'envlock exec --')"
	check_eq "fish: 'envlock exec --no-' narrows them" "--no-check --no-lock --no-observe --no-sign" \
		"$(fish_complete 'envlock exec --no-')"
	check_eq "fish: 'envlock key ' lists its subcommands" "generate id" "$(fish_complete 'envlock key ')"
else
	skip_part "fish is not installed (packaging/install-deps.sh installs it)"
fi

if command -v zsh >/dev/null; then
	zsh_complete() { # WORD... (the last one is completed)
		zsh -fc 'compadd() { if [[ $1 == -a ]]; then print -rl -- ${(P)2}; else print -rl -- "$@"; fi }
			_files() { print FILES }; _normal() { print COMMAND-LINE }
			file=$1; shift; words=("$@"); CURRENT=$#; source $file' _ "$dir/_envlock" "$ENVLOCK" "$@" | sort | paste -sd' '
	}
	check_eq "zsh: the commands offered for 'envlock ex' include exec" "exec" \
		"$(zsh_complete ex | tr ' ' '\n' | grep -x exec)"
	check_eq "zsh: 'envlock exec --' offers every option exec's parser takes" "$exec_options" "$(zsh_complete exec --)"
	check_eq "zsh: after '--', the command line is completed as one" "COMMAND-LINE" "$(zsh_complete exec -- x)"
	check_eq "zsh: a file argument completes as a file" "FILES" "$(zsh_complete show e)"
else
	skip_part "zsh is not installed (packaging/install-deps.sh installs it)"
fi
finish
