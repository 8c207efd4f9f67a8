#!/bin/bash
# test/analyze.sh [FILE.c ...]: the static analysers over src/*.c (or FILEs).
#
#   cppcheck    --enable=warning,performance,portability, inline suppressions
#               and test/cppcheck.supp (when present);
#   clang-tidy  with the checked-in .clang-tidy (every finding is an error).
#
# Both see the flags the Makefile compiles with (C11, _GNU_SOURCE, THREADED,
# VERSION, -Isrc). Prints every finding as FILE:LINE:COL: ... [check], then
# one summary line; exits 1 on any finding (or when a tool is missing), else 0.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PKGS=(libevent_core libevent_extra libevent_pthreads inih)
DEFS=(-D_GNU_SOURCE -DTHREADED '-DVERSION="x"')
CFLAGS_PKG=()
OUT=$(mktemp -d "${TMPDIR:-/tmp}/zkelectd-analyze.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

cd "$ROOT" || exit 1
if [ $# -gt 0 ]; then
	FILES=("$@")
else
	FILES=(src/*.c)
fi

# Fail at once, saying which package to install, when TOOL is not there.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "analyze: $1 not found (Debian: apt-get install $2; scripts/install-deps.sh does it)" >&2
	exit 1
}

# cppcheck over FILES; prints its findings, returns how many on stdout's last line.
run_cppcheck() {
	local -a supp=()

	[ -e test/cppcheck.supp ] && supp=(--suppressions-list=test/cppcheck.supp)
	cppcheck --enable=warning,performance,portability --error-exitcode=1 \
		--inline-suppr "${supp[@]}" --quiet --std=c11 --library=posix \
		"${DEFS[@]}" -Isrc \
		--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
		"${FILES[@]}" >"$OUT/cppcheck" 2>&1
	echo $? >"$OUT/cppcheck.rc"
}

# clang-tidy over one FILE with .clang-tidy, into $OUT/tidy.N (N = its index).
tidy_one() {
	local n=$1 file=$2

	clang-tidy --quiet --config-file=.clang-tidy "$file" -- \
		-std=c11 "${DEFS[@]}" -Isrc "${CFLAGS_PKG[@]}" >"$OUT/tidy.$n" 2>&1
	echo $? >"$OUT/tidy.$n.rc"
}

# clang-tidy over FILES, JOBS at a time (default: the CPUs). One process per file:
# clang-tidy 14's valist checker reports false "uninitialized va_list" findings
# in every file after the first when one process analyses several.
run_clang_tidy() {
	local i running=0

	# shellcheck disable=SC2207  # word splitting of pkg-config's flags is wanted
	CFLAGS_PKG=($(pkg-config --cflags "${PKGS[@]}" 2>/dev/null))
	for i in "${!FILES[@]}"; do
		if [ "$running" -ge "${JOBS:-$(nproc)}" ]; then
			wait -n
			running=$((running - 1))
		fi
		tidy_one "$i" "${FILES[$i]}" &
		running=$((running + 1))
	done
	wait
	: >"$OUT/tidy"
	echo 0 >"$OUT/tidy.rc"
	for i in "${!FILES[@]}"; do
		cat "$OUT/tidy.$i" >>"$OUT/tidy"
		[ "$(cat "$OUT/tidy.$i.rc" 2>/dev/null)" = 0 ] || echo 1 >"$OUT/tidy.rc"
	done
}

need cppcheck cppcheck
need clang-tidy clang-tidy

run_cppcheck
run_clang_tidy

# A finding is a line "FILE:LINE:COL: warning|error|...: ..."; show each with its context.
ncpp=$(grep -cE '^[^ :]+:[0-9]+:[0-9]+: ' "$OUT/cppcheck")
ntidy=$(grep -cE '^[^ :]+:[0-9]+:[0-9]+: (warning|error): ' "$OUT/tidy")
if [ "$ncpp" -gt 0 ] || [ "$(cat "$OUT/cppcheck.rc")" -ne 0 ]; then
	echo "--- cppcheck"
	cat "$OUT/cppcheck"
	[ "$ncpp" -gt 0 ] || ncpp=1	# it failed without a finding line: count the failure
fi
if [ "$ntidy" -gt 0 ] || [ "$(cat "$OUT/tidy.rc")" -ne 0 ]; then
	echo "--- clang-tidy"
	# drop the "N warnings generated." chatter; keep the findings and their notes
	grep -vE '^[0-9]+ (warning|error)s? (generated|treated as errors)\.?$' "$OUT/tidy" |
		sed "s|^$ROOT/||"
	[ "$ntidy" -gt 0 ] || ntidy=1
fi
echo "analyze: ${#FILES[@]} files: cppcheck $ncpp finding(s), clang-tidy $ntidy finding(s)"
[ "$ncpp" -eq 0 ] && [ "$ntidy" -eq 0 ]
