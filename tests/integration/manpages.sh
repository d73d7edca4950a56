#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The manual pages (packaging/man/manpage.py, made at build time from each
# command's --help and from the README's tables): every long option each
# command's parser takes (its getopt_long tables in src/cli/cmd_*.c, an
# alias of another left aside) appears in its --help and in its page; each
# page renders without a warning from groff; the format pages hold their
# tables.
. "$(dirname "$0")/lib.sh"
need groff man
man_dir=${EL_MAN_DIR:-$(dirname "$ENVLOCK")/man}
[ -d "$man_dir" ] || skip "no manual pages in $man_dir (python3 was not found when building)"

# COMMAND OPTION: one line per long option of each command's tables.
parser_options() {
	/usr/bin/python3 - "$EL_SOURCE_DIR/src/cli" <<'PY'
import glob, os, re, sys
for path in sorted(glob.glob(os.path.join(sys.argv[1], "cmd_*.c"))):
    command = os.path.basename(path)[4:-2]
    text = open(path).read()
    for table in re.findall(r"struct option \w+\[\] = \{(.*?)\n\};", text, re.S):
        seen = set()
        for name, val in re.findall(r'\{ "([a-z][a-z-]*)", \w+, NULL, ([^ }]+) \}', table):
            if val in seen:
                continue  # an alias (--colour) of the option before it
            seen.add(val)
            print(command, name)
PY
}
missing_help='' missing_page=''
while read -r command option; do
	help_words=$command
	[ "$command" = key ] && help_words="key generate"
	# Whole, then searched: grep -q ending a pipe early would fail it (pipefail).
	help=$("$ENVLOCK" $help_words --help)
	grep -q -- "--$option\\b" <<<"$help" || missing_help+=" $command:--$option"
	# roff writes each "-" as "\-".
	grep -qF -- "\\-\\-${option//-/\\-}" "$man_dir/envlock-$command.1" || missing_page+=" $command:--$option"
done < <(parser_options)
check_eq "every option of every command's parser is in its --help" "" "$missing_help"
check_eq "every option of every command's parser is in its manual page" "" "$missing_page"
check_eq "a page for envlock and for each command, and the two format pages" \
	"$(("$(ls "$EL_SOURCE_DIR"/src/cli/cmd_*.c | wc -l)" + 3))" "$(ls "$man_dir" | wc -l)"
warnings=$(for page in "$man_dir"/*; do groff -man -Tutf8 -ww -z "$page" 2>&1; done)
check_eq "every page renders without a warning" "" "$warnings"
check_eq "envlock-exec(1): its synopsis, from exec's usage line" "envlock exec [options] [--] CMD [ARG]..." \
	"$(MANWIDTH=200 man -l "$man_dir/envlock-exec.1" 2>/dev/null | sed -n '/^SYNOPSIS/{n;p}' | sed 's/^ *//')"
check_eq "envlock-profile(5): every directive of profiles/README.md" \
	"$(grep -c '^| `[a-z-]* ' "$EL_SOURCE_DIR/profiles/README.md" | head -1)" \
	"$(grep -c '^\.TP' "$man_dir/envlock-profile.5")"
finish
