#!/bin/bash
# run.sh: plain build only
# run.sh: long
# The static analysers find nothing: cppcheck (warning, performance,
# portability) and clang-tidy with the checked-in .clang-tidy, over src/*.c
# (test/analyze.sh; JOBS=1 here, since run.sh already runs tests side by side).
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

JOBS=${JOBS:-1} "$ROOT/test/analyze.sh" >"$T/analyze.out" 2>&1 ||
	fail "static analysis findings:
$(cat "$T/analyze.out")"
tail -n 1 "$T/analyze.out"
pass
