#!/usr/bin/env bash
# Regenerates deb-vectors.tsv: what the real dpkg --compare-versions says for
#   - every pair (a, b) with a before b in deb-corpus.txt (hand-picked awkward versions), and
#   - consecutive pairs of the Version: values (and Source: versions) of the dpkg status
#     files given as arguments, both in file order and in byte order of the unique values.
# Columns: a, b, dpkg — one of <, =, > or "bad" (dpkg refused a version or warned that its
# syntax is bad; our comparator must then return an error).
# Usage: gen-deb-vectors.sh [status files...] > deb-vectors.tsv
# Needs dpkg (any Debian or Ubuntu machine). Run from this folder.
set -euo pipefail
export LC_ALL=C

cmp() { # prints <, =, > or bad for dpkg's view of $1 vs $2
	local err rc
	err=$(dpkg --compare-versions "$1" lt "$2" 2>&1 >/dev/null) && rc=0 || rc=$?
	if [ -n "$err" ] || [ "$rc" -gt 1 ]; then echo bad; return; fi
	if [ "$rc" -eq 0 ]; then echo '<'; return; fi
	if dpkg --compare-versions "$1" gt "$2" 2>/dev/null; then echo '>'; else echo '='; fi
}

mapfile -t corpus < <(grep -v '^#' deb-corpus.txt | grep -v '^$')
pairs=()
for ((i = 0; i < ${#corpus[@]}; i++)); do
	pairs+=("${corpus[i]}"$'\t'"${corpus[i]}")
	for ((j = i + 1; j < ${#corpus[@]}; j++)); do
		pairs+=("${corpus[i]}"$'\t'"${corpus[j]}")
	done
done

if [ $# -gt 0 ]; then
	mapfile -t fixture < <(sed -n -e 's/^Version: //p' -e 's/^Source: .* (\(.*\))$/\1/p' "$@")
	for ((i = 1; i < ${#fixture[@]}; i++)); do
		pairs+=("${fixture[i-1]}"$'\t'"${fixture[i]}")
	done
	mapfile -t sorted < <(printf '%s\n' "${fixture[@]}" | sort -u)
	for ((i = 1; i < ${#sorted[@]}; i++)); do
		pairs+=("${sorted[i-1]}"$'\t'"${sorted[i]}")
	done
fi

printf 'a\tb\tdpkg\n'
printf '%s\n' "${pairs[@]}" | sort -u | while IFS=$'\t' read -r a b; do
	printf '%s\t%s\t%s\n' "$a" "$b" "$(cmp "$a" "$b")"
done
