# SPDX-License-Identifier: Apache-2.0
# fish completion for envlock: its commands, then each command's options,
# both read from envlock's own --help, so that they never differ from what
# the binary takes. Anything else completes as file names.

function __envlock_commands
    envlock --help 2>/dev/null | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'
end

# The long options of the command on the command line ("key" with its subcommand).
function __envlock_options
    set -l words (commandline -opc)
    set -l command $words[2]
    if test "$command" = key
        set command key $words[3]
    end
    envlock $command --help 2>/dev/null | awk '/^(  -[A-Za-z], |      )--[a-z]/ {
        spec = $0; sub(/^ +/, "", spec); n = index(spec, "  "); if (n) spec = substr(spec, 1, n - 1)
        while (match(spec, /--[a-z][a-z0-9-]*/)) { print substr(spec, RSTART, RLENGTH); spec = substr(spec, RSTART + RLENGTH) }
    }'
end

function __envlock_after_separator
    contains -- -- (commandline -opc)
end

complete -c envlock -n __fish_use_subcommand -f -a '(__envlock_commands)'
complete -c envlock -n '__fish_seen_subcommand_from key; and test (count (commandline -opc)) -eq 2' -f -a 'generate id'
complete -c envlock -n 'not __fish_use_subcommand; and not __envlock_after_separator; and string match -q -- "-*" (commandline -ct)' -f -a '(__envlock_options)'
