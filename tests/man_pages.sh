#!/usr/bin/env bash
# The man pages in man/: each renders with man -l without a single warning (groff's and
# mdoc's), and none falls behind the code: every long flag the binaries' --help prints is in
# the rendered svinit(8) or svctl(8), and every command svctl --help lists is an item of
# svctl(8)'s COMMANDS section.
#
#   tests/man_pages.sh SOURCE_DIR BIN_DIR
set -euo pipefail
export LC_ALL=C.UTF-8
source_dir=$1
bin_dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { printf 'man_pages: %s\n' "$*" >&2; failed=1; }

if ! command -v man >/dev/null; then
    # Not a skip: scripts/install-deps.sh installs man-db, so a missing man is a broken setup.
    echo "man_pages: man not found; run scripts/install-deps.sh (man-db, groff-base)" >&2
    exit 1
fi

# render PAGE WIDTH: the page as a reader sees it; warnings to $tmp/err. man-db's seccomp
# sandbox guards against hostile pages; these are ours, and some container runtimes refuse
# the filter, which would fail the test for the wrong reason.
render() {
    MAN_DISABLE_SECCOMP=1 MANROFFSEQ='' MANWIDTH=$2 MAN_KEEP_FORMATTING='' \
        man --warnings -l "$1" 2>"$tmp/err" |
        sed 's/.\x08//g'  # no overstrike, whatever the pager settings
}

pages=("$source_dir"/man/*.[1-8])
((${#pages[@]} == 3)) || fail "expected svinit.8, svctl.8, svinit.toml.5; found ${pages[*]}"
for page in "${pages[@]}"; do
    name=$(basename "$page")
    if ! render "$page" 80 >"$tmp/$name.txt"; then
        fail "$name: man -l failed"
    fi
    if [[ -s $tmp/err ]]; then
        fail "$name: warnings from man -l:"
        sed 's/^/    /' "$tmp/err" >&2
    fi
    [[ -s $tmp/$name.txt ]] || fail "$name: renders empty"
    # Wide enough that no flag is broken across lines, for the checks below.
    render "$page" 250 >"$tmp/$name.wide"
done

# long_flags: the --flags of the help text on stdin, one a line.
long_flags() { grep -oE -- '--[a-z][a-z0-9_-]*[a-z0-9]' | sort -u; }

# has_word FILE WORD: WORD stands in FILE as a word of its own (flags contain '-').
has_word() { grep -qE -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|$)" "$1"; }

check_flags() {  # check_flags PAGE HELP_FILE WHAT
    local flag count=0
    while read -r flag; do
        count=$((count + 1))
        has_word "$tmp/$1.wide" "$flag" || fail "$1: '$flag' ($3) is not in the page"
    done < <(long_flags <"$2")
    ((count > 0)) || fail "$1: no flags found in $3; has its format changed?"
}

"$bin_dir/svinit" --help >"$tmp/svinit.help"
"$bin_dir/svinit" --my-init --help >"$tmp/my_init.help"
"$bin_dir/svinit" run --help >"$tmp/run.help"
"$bin_dir/svctl" --help >"$tmp/svctl.help"
check_flags svinit.8 "$tmp/svinit.help" "svinit --help"
check_flags svinit.8 "$tmp/my_init.help" "svinit --my-init --help"
check_flags svinit.8 "$tmp/run.help" "svinit run --help"
check_flags svctl.8 "$tmp/svctl.help" "svctl --help"

# svctl's commands: the leading words of each entry of its help's Commands: list, before
# the description that follows two spaces ("  wait up|down [--timeout S] SERVICE...  block
# until" gives wait, up, down), each of which must be a word of an .It Cm line in the page's
# COMMANDS section.
awk '/^Commands:/ { on = 1; next } /^[^ ]/ { on = 0 }
     on && /^  [a-z]/ { entry = substr($0, 3); sub(/  .*/, "", entry); n = split(entry, w, " ")
                        for (i = 1; i <= n && w[i] ~ /^[a-z0-9|]+$/; ++i) print w[i] }' \
    "$tmp/svctl.help" | tr '|' '\n' | sort -u >"$tmp/commands"
awk '/^\.Sh / { on = ($2 == "COMMANDS") } on && /^\.It Cm / { for (i = 2; i <= NF; ++i) print $i }' \
    "$source_dir/man/svctl.8" | sort -u >"$tmp/page-commands"
(($(wc -l <"$tmp/commands") >= 10)) || fail "svctl --help: found only $(wc -l <"$tmp/commands") commands; has its format changed?"
while read -r command; do
    grep -qxF -- "$command" "$tmp/page-commands" ||
        fail "svctl.8: command '$command' (svctl --help) has no .It Cm entry under COMMANDS"
done <"$tmp/commands"

exit "$failed"
