#!/usr/bin/env bash
# Regenerates rpm-vectors.tsv: what rpm's own comparison (the Lua rpm.vercmp of the rpm
# program, which parses [epoch:]version[-release] and applies rpmvercmp to each part) says for
#   - every pair (a, b) with a before b in rpm-corpus.txt (hand-picked awkward versions), and
#   - consecutive pairs, in byte order, of the EVRs of the real rpm databases and OVAL files
#     given as arguments (rpmdb files: Packages, rpmdb.sqlite, Packages.db; OVAL: *.xml, whose
#     rpminfo_state <evr> values are taken).
# Columns: a, b, rpm — one of <, =, > or "bad" (rpm refused the version).
# Usage: gen-rpm-vectors.sh [rpmdb or OVAL files...] > rpm-vectors.tsv
# Needs the rpm program (Debian: apt-get install rpm). Run from this folder.
set -euo pipefail
export LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -v '^#' rpm-corpus.txt | grep -v '^$' > "$tmp/corpus"
: > "$tmp/fixture"
for f in "$@"; do
	case "$f" in
	*.xml)
		grep -o '<[a-z-]*:evr [^>]*>[^<]*<' "$f" | sed 's/.*>\(.*\)<$/\1/' >> "$tmp/fixture" ;;
	*)
		d="$tmp/db$RANDOM"
		mkdir -p "$d"
		case "$f" in
		*sqlite*) cp "$f" "$d/rpmdb.sqlite" ;;
		*ndb*) cp "$f" "$d/Packages.db" ;;
		*) cp "$f" "$d/Packages" ;;
		esac
		rpm --dbpath "$d" -qa --qf '%{EPOCHNUM}:%{VERSION}-%{RELEASE}\n%{VERSION}-%{RELEASE}\n%{VERSION}\n' \
			2>/dev/null >> "$tmp/fixture" || true ;;
	esac
done

{
	mapfile -t corpus < "$tmp/corpus"
	for ((i = 0; i < ${#corpus[@]}; i++)); do
		for ((j = i; j < ${#corpus[@]}; j++)); do
			printf '%s\t%s\n' "${corpus[i]}" "${corpus[j]}"
		done
	done
	sort -u "$tmp/fixture" | awk 'NR > 1 { print prev "\t" $0 } { prev = $0 }'
} | sort -u > "$tmp/pairs"

rpm --eval "%{lua:
	local out = io.open('$tmp/out', 'w')
	for line in io.lines('$tmp/pairs') do
		local a, b = line:match('^(.*)\t(.*)$')
		local ok, r = pcall(rpm.vercmp, a, b)
		local s = 'bad'
		if ok then
			if r < 0 then s = '<' elseif r > 0 then s = '>' else s = '=' end
		end
		out:write(a, '\t', b, '\t', s, '\n')
	end
	out:close()
}" >/dev/null
printf 'a\tb\trpm\n'
cat "$tmp/out"
