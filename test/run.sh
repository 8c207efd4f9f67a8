#!/bin/bash
# test/run.sh [PATTERN]: run every test suite and say how many passed.
#
#   1. each unit test binary, build/test_* then build/asan/test_* (every cmocka
#      test case counts once);
#   2. each integration test test/integration/t_*.sh twice: with the build/
#      binaries and with the build/asan/ ones (ASan + UBSan; a sanitizer report
#      in a daemon log fails the test: see test/lib.sh; a test with the line
#      "# run.sh: plain build only" runs only with build/, one with "# run.sh:
#      sanitizer build only" only with build/asan/ when it exists; the ones with
#      "# run.sh: long" first), PARALLEL at a time
#      (default 2), each within TEST_TIMEOUT seconds (default 180).
#
# PATTERN (a shell glob fragment) keeps only the tests whose name contains it.
# A test that exits 77 could not run on this machine (it says why on stderr):
# counted as skipped. Ends with one line "N passed, N failed" (", N skipped"
# when any was); exits 1 when anything failed.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATTERN=${1:-}
PARALLEL=${PARALLEL:-2}
TEST_TIMEOUT=${TEST_TIMEOUT:-180}
ASAN_ENV=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
OUT=$(mktemp -d "${TMPDIR:-/tmp}/zkelectd-run.XXXXXX")
PASSED=0
FAILED=0
SKIPPED=0
RUNNING=0
declare -A JOB_NAME=() JOB_OUT=() JOB_START=()

# True when NAME matches the PATTERN given on the command line.
selected() {
	[ -z "$PATTERN" ] || [[ $1 == *$PATTERN* ]]
}

# Seconds since the epoch with a fraction, without a fork.
now() {
	echo "$EPOCHREALTIME"
}

# Whole seconds elapsed since START (a now() value).
elapsed() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%d", b - a + 0.5 }'
}

# Run unit test binary BIN (with ENV... before it) and count its cmocka cases.
run_unit() {
	local bin=$1 out=$OUT/unit.out rc=0 p f t0
	shift
	t0=$(now)
	env "$@" "$bin" >"$out" 2>&1 || rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# it crashed or failed outside a test case
	fi
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	if [ "$f" -eq 0 ]; then
		echo "PASS ${bin#"$ROOT"/} ($p tests, $(elapsed "$t0")s)"
	else
		echo "FAIL ${bin#"$ROOT"/} ($p passed, $f failed, exit $rc, $(elapsed "$t0")s)"
		sed 's/^/    /' "$out"
	fi
}

# Run every unit test binary of the plain build, then of the sanitizer build.
run_units() {
	local bin
	for bin in "$ROOT"/build/test_* "$ROOT"/build/asan/test_*; do
		if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
			continue
		fi
		selected "$(basename "$bin")" || continue
		case $bin in
		*/asan/*) run_unit "$bin" "${ASAN_ENV[@]}" ;;
		*) run_unit "$bin" ;;
		esac
	done
}

# Start integration test FILE in the background with the binaries of BUILD (build or build/asan).
start_job() {
	local file=$1 build=$2 name out pid
	name=$(basename "$file" .sh)
	local -a envs=(ZKELECTD="$ROOT/$build/zkelectd" ZKELECTCTL="$ROOT/$build/zkelectctl")
	if [ "$build" = build/asan ]; then
		name="$name [asan]"
		envs+=("${ASAN_ENV[@]}")
	fi
	out=$OUT/$(basename "$file" .sh).${build//\//-}.out
	(cd "$ROOT" && exec env "${envs[@]}" timeout -k 10 "$TEST_TIMEOUT" bash "$file") \
		</dev/null >"$out" 2>&1 &
	pid=$!
	JOB_NAME[$pid]=$name
	JOB_OUT[$pid]=$out
	JOB_START[$pid]=$(now)
	RUNNING=$((RUNNING + 1))
}

# Wait for one integration test to finish and report it.
collect_job() {
	local pid rc=0 secs
	wait -n -p pid || rc=$?
	[ -n "${pid:-}" ] || return 0
	RUNNING=$((RUNNING - 1))
	secs=$(elapsed "${JOB_START[$pid]}")
	if [ "$rc" -eq 0 ]; then
		PASSED=$((PASSED + 1))
		echo "PASS ${JOB_NAME[$pid]} (${secs}s)"
	elif [ "$rc" -eq 77 ]; then
		SKIPPED=$((SKIPPED + 1))
		echo "SKIP ${JOB_NAME[$pid]} ($(grep -m1 '^SKIP: ' "${JOB_OUT[$pid]}" | sed 's/^SKIP: [^:]*: //'))"
	else
		FAILED=$((FAILED + 1))
		[ "$rc" -eq 124 ] && echo "    (timed out after ${TEST_TIMEOUT}s)" >>"${JOB_OUT[$pid]}"
		echo "FAIL ${JOB_NAME[$pid]} (${secs}s, exit $rc)"
		sed 's/^/    /' "${JOB_OUT[$pid]}"
	fi
	unset "JOB_NAME[$pid]" "JOB_START[$pid]"
}

# Run every selected integration test with each available build, PARALLEL at a time.
run_integration() {
	local file build pass
	local -a builds=(build)
	if [ -x "$ROOT/build/asan/zkelectd" ] && [ -x "$ROOT/build/asan/zkelectctl" ]; then
		builds+=(build/asan)
	else
		echo "NOTE: no build/asan binaries ('make check' builds them): sanitizer runs skipped"
	fi
	# the long ones first (marked "# run.sh: long"), so that no slot idles at the end
	for pass in long short; do
		for build in "${builds[@]}"; do
			for file in "$ROOT"/test/integration/t_*.sh; do
				[ -e "$file" ] || continue
				selected "$(basename "$file" .sh)" || continue
				if grep -q '^# run.sh: long' "$file"; then
					[ "$pass" = long ] || continue
				else
					[ "$pass" = short ] || continue
				fi
				# timing-bound tests (the chaos run) say so; ASan slows everything down
				[ "$build" = build/asan ] && grep -q '^# run.sh: plain build only' "$file" &&
					continue
				# hostile-input tests whose worth is the sanitizers' run, when there is one
				[ "$build" = build ] && [ "${#builds[@]}" -gt 1 ] &&
					grep -q '^# run.sh: sanitizer build only' "$file" && continue
				while [ "$RUNNING" -ge "$PARALLEL" ]; do
					collect_job
				done
				start_job "${file#"$ROOT"/}" "$build"
			done
		done
	done
	while [ "$RUNNING" -gt 0 ]; do
		collect_job
	done
}

# On interrupt: stop the running tests (each cleans up after itself), then exit.
interrupted() {
	local pid
	# A child forked for "cmd &" runs our traps until it execs: just leave.
	[ "$BASHPID" = "$$" ] || exit 130
	for pid in "${!JOB_NAME[@]}"; do
		kill -s TERM "$pid" 2>/dev/null
	done
	wait
	rm -rf "$OUT"
	exit 130
}

trap interrupted INT TERM
run_units
run_integration
rm -rf "$OUT"
if [ "$SKIPPED" -gt 0 ]; then
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
	echo "$PASSED passed, $FAILED failed"
fi
[ "$FAILED" -eq 0 ]
