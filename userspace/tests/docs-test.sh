#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The documentation against itself and the code (README.md, docs/*.md,
# tests/targets/README.md, the man pages, MAINTAINERS), TAP:
# - no path of a machine (a home, the work tree, a cache of a run) and no
#   issue number;
# - every file or directory of the repository a document names exists;
# - every option a document gives a tool (in a command, in backquotes)
#   is one the tool has, and each tool's man page describes exactly the
#   options of its --help;
# - every figure (MB/s, MiB/s, s/GB, cycles or instructions per byte) has
#   one source: docs/benchmarks.md, which a run generates, or a command
#   quoted beside it (in its paragraph, in backquotes) that makes it;
#   quoted from docs/benchmarks.md, it is there as quoted;
# - the man pages' examples are the programs in examples/, and compile.
# Usage: docs-test.sh BUILD_DIR TOP (BUILD_DIR: userspace's O, built)
set -uo pipefail
build=${1:?usage: docs-test.sh BUILD_DIR TOP}
top=${2:?usage: docs-test.sh BUILD_DIR TOP}
. "$(dirname "$0")/tap.sh"
cd "$top" || exit 1
docs=(README.md docs/*.md tests/targets/README.md MAINTAINERS man/*.[1-8])
# Every tool the build made (a new one needs its man page, its options).
tools=()
for t in "$build"/bin/fpgacap-*; do tools+=("${t##*/fpgacap-}"); done

echo "TAP version 13"

machine_paths() {
	! grep -nE '(/root/|/home/[a-z]|/work/|fpgacap-work|/tmp/fc-)' "${docs[@]}"
}
check "no machine paths in the documentation" machine_paths

issue_numbers() {
	! grep -nEi '\bissues? [0-9]+|(^|[^&[:alnum:]])#[0-9]+\b' "${docs[@]}"
}
check "no issue numbers in the documentation" issue_numbers

# Paths of the repository: a top directory and what follows, or a file at
# the top. Placeholders (<...>), globs and {a,b} lists are expanded.
file_refs() {
	local bad=0 doc ref f
	for doc in "${docs[@]}"; do
		while IFS= read -r ref; do
			ref=${ref%[.,:;)]}
			ref=${ref%[.,:;)]}
			# Placeholders, and what a build makes (userspace/build/).
			case $ref in *'<'* | *'$'* | *'...'* | userspace/build/*) continue ;; esac
			# shellcheck disable=SC2086 # globs and braces on purpose
			for f in $(eval "echo $ref"); do
				# A program is named by its source's name.
				[ -e "$f" ] || [ -e "$f.c" ] && continue
				echo "$doc: $ref: no such file"
				bad=1
			done
		done < <(sed 's/\\-/-/g' "$doc" |
			grep -oE '(^|[^[:alnum:]_./~-])((bench|docs|dts|driver|examples|man|packaging|tests|uapi|userspace|LICENSES|\.ci)/[][A-Za-z0-9_.,*{}/+-]*|(README\.md|MAINTAINERS|COPYING|VERSION|Kbuild))' |
			sed -E 's/^[^[:alnum:].]//')
	done
	return $bad
}
check "every file a document names exists" file_refs

# What each tool accepts: every --long in its --help (aliases named in its
# text too), every -x of its option lines, and -J.
declare -A longs shorts
for t in "${tools[@]}"; do
	h=$("$build/bin/fpgacap-$t" --help 2>/dev/null)
	longs[$t]=" $(grep -oE -- '--[a-z0-9-]+' <<<"$h" | sort -u | tr '\n' ' ')"
	shorts[$t]=" $(grep -oE '^  -[A-Za-z0-9],' <<<"$h" | tr -d ' ,' | tr '\n' ' ') -J "
done

# Commands in the documents: code lines and backquoted spans that start
# with a tool (a path before its name allowed); man pages in troff.
doc_options() {
	local bad=0 doc line t tok alt
	alt=$(IFS='|'; echo "${tools[*]}")
	for doc in "${docs[@]}"; do
		while IFS= read -r line; do
			t=$(grep -oE "fpgacap-($alt)" <<<"$line" | head -1)
			t=${t#fpgacap-}
			line=${line#*fpgacap-"$t"}
			# Up to a pipe, a comment or the end of the command;
			# a shell's escapes (a quoted command line) dropped.
			line=${line%%[|#\`]*}
			line=${line//\\/}
			for tok in $line; do
				case $tok in
				--*=*) tok=${tok%%=*} ;;
				--*) ;;
				-[A-Za-z]) [[ ${shorts[$t]} == *" $tok "* ]] ||
					{ echo "$doc: fpgacap-$t $tok: no such option"; bad=1; }
					continue ;;
				*) continue ;;
				esac
				[[ ${longs[$t]} == *" $tok "* ]] ||
					{ echo "$doc: fpgacap-$t $tok: no such option"; bad=1; }
			done
		done < <(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$doc" |
			grep -oE "(^    |\`)[^\`]*fpgacap-($alt)( [^\`]*)?" |
			grep -vE "fpgacap-($alt)[a-z.(/-]")
	done
	return $bad
}
check "every option a document gives a tool is the tool's" doc_options

# Each man page's OPTIONS: its .TP entries' options, the tool's --help's.
man_options() {
	local bad=0 t page in_help in_man
	for t in "${tools[@]}"; do
		page=man/fpgacap-$t.1
		in_man=$(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$page" | sed 's/\\-/-/g' |
			grep -A1 '^\.TP' | grep -oE -- '--[a-z0-9-]+' | sort -u)
		in_help=$("$build/bin/fpgacap-$t" --help |
			grep -oE '^(  -[A-Za-z0-9], |      )--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' | sort -u)
		if [ "$in_man" != "$in_help" ]; then
			echo "$page against fpgacap-$t --help:"
			diff <(echo "$in_help") <(echo "$in_man") | grep '^[<>]' |
				sed 's/^</  only in --help:/; s/^>/  only in the man page:/'
			bad=1
		fi
	done
	return $bad
}
check "each tool's man page describes the options of its --help" man_options

# A paragraph of markdown (blank-line separated; a table row alone).
figures() {
	python3 - "$top" "${docs[@]}" <<'EOF'
import re, sys
top, docs = sys.argv[1], sys.argv[2:]
UNIT = r"(?:MB/s|MiB/s|GiB/s|Mbit/s|Gbit/s|s/GB|cycles per byte|instructions per byte)"
FIG = re.compile(r"(\d[\d.]*(?:\s*(?:-|to)\s*\d[\d.]*)?)\s*" + UNIT)
bench = open(top + "/docs/benchmarks.md").read()
bad = 0
for doc in docs:
    if doc == "docs/benchmarks.md" or not doc.endswith(".md"):
        continue
    text = open(top + "/" + doc).read()
    # Paragraphs; a table belongs to the one before it (its command).
    paras = []
    for block in re.split(r"\n\s*\n", text):
        if block.lstrip().startswith("|") and paras:
            paras[-1] += "\n" + block
        else:
            paras.append(block)
    for p in paras:
        flat = " ".join(p.split())
        # A command quoted in the paragraph makes its figures.
        commanded = re.search(r"`(?:tests/|fpgacap-|\./)[^`]*`", flat)
        cites = "docs/benchmarks.md" in flat
        for m in FIG.finditer(flat):
            fig = m.group(0)
            if commanded and not cites:
                continue
            nums = re.findall(r"\d[\d.]*", m.group(1))
            if cites and all(n in bench for n in nums):
                continue
            print("%s: %s: %s" % (doc, fig, "not in docs/benchmarks.md, "
                  "which it cites" if cites else "no source (docs/benchmarks.md "
                  "or a command beside it)"))
            bad = 1
sys.exit(bad)
EOF
}
check "every figure has one source: docs/benchmarks.md or its command" figures

# The man pages' examples: the programs of examples/, unescaped, and the
# text compiles as it stands in the page.
man_examples() {
	local page src got
	for page in libfpgacap.3:capture-to-socket.c fpgacap.4:raw-uapi.c; do
		src=examples/${page#*:}
		page=$build/man/${page%%:*}
		got=$build/docs-test-${src##*/}
		sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$page" | sed -n '/^\.EX/,/^\.EE/p' |
			sed -e '1d' -e '$d' -e 's/\\e/\\/g' -e 's/^\\&//' >"$got"
		diff -u "$src" "$got" || { echo "$page: its example is not $src"; return 1; }
		cc -std=gnu11 -Wall -Wextra -Werror -I"$build/include" -Iuserspace/include \
			-o "${got%.c}" "$got" -L"$build/lib" -lfpgacap ||
			{ echo "$page: its example does not compile"; return 1; }
	done
}
check "the man pages' examples are examples/*.c, and compile" man_examples

tap_end
