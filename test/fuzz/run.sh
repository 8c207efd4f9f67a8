#!/bin/bash
# test/fuzz/run.sh [HARNESS...]: build the libFuzzer harnesses with clang
# (-fsanitize=fuzzer,address,undefined) against the src/ modules they need, run
# each for FUZZ_SECONDS (default 30) from its seed corpus, print how many inputs
# each one executed, and fail on any crash, leak, sanitizer report or timeout.
#
#   fuzz_config  config_load on whole files, config_parse_duration, command_split
#   fuzz_znode   znode_parse, znode_sort/znode_cmp, znode_claim, znode_valid_id,
#                announce_decode/announce_encode round trip
#   fuzz_record  the records beside the election (switchover, pause, breadcrumb,
#                exit note, history) and the contender header: decode, clean
#                text, encode/decode round trip
#
# Builds go to build/fuzz/; new inputs the fuzzer finds are kept in
# build/fuzz/corpus_NAME (the seeds in test/fuzz/corpus_NAME are only read), a
# crashing input in build/fuzz/crash-NAME-*. CC picks the compiler (default: clang,
# else clang-14). Debian packages: clang-14 (or clang) and libclang-rt-14-dev.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
OUT=$ROOT/build/fuzz
HARNESSES=(fuzz_config fuzz_znode fuzz_record)
[ $# -eq 0 ] || HARNESSES=("$@")

# The sources each harness is linked with, and its extra libraries.
declare -A SRCS=(
	[fuzz_config]="config hook_command znode log xmalloc"
	[fuzz_znode]="znode log xmalloc"
	[fuzz_record]="record switchover breadcrumb pause history znode state log xmalloc"
)
# The longest input each harness gets: config lines matter up to a few hundred
# bytes; a few dozen child names are plenty to sort.
declare -A MAXLEN=(
	[fuzz_config]=4096
	[fuzz_znode]=1024
	[fuzz_record]=2048
)
declare -A LIBS=(
	[fuzz_config]="$(pkg-config --libs inih 2>/dev/null || echo -linih)"
	[fuzz_znode]=""
	[fuzz_record]=""
)

# Print the first clang found (CC if it is one).
find_clang() {
	local c
	for c in ${CC:-} clang clang-14; do
		case $c in *clang*) ;; *) continue ;; esac
		command -v "$c" >/dev/null && { echo "$c"; return 0; }
	done
	return 1
}

# Build harness NAME into $OUT/NAME.
build() {
	local name=$1 m
	local -a srcs=("$ROOT/test/fuzz/$name.c")
	for m in ${SRCS[$name]}; do
		srcs+=("$ROOT/src/$m.c")
	done
	# shellcheck disable=SC2086 # LIBS holds several words
	"$CLANG" -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -std=c11 -D_GNU_SOURCE -DTHREADED \
		-DVERSION='"fuzz"' -Wall -Wextra -Werror -I"$ROOT/src" \
		-o "$OUT/$name" "${srcs[@]}" ${LIBS[$name]}
}

# Run harness NAME for FUZZ_SECONDS; print its execution count; 1 on any finding.
run() {
	local name=$1 corpus=${1#fuzz_} log=$OUT/$1.log rc=0 execs
	mkdir -p "$OUT/corpus_$corpus"
	(cd "$OUT" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"./$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-max_len="${MAXLEN[$name]}" -print_final_stats=1 -artifact_prefix="$OUT/crash-$name-" \
		"$OUT/corpus_$corpus" "$ROOT/test/fuzz/corpus_$corpus") >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" -ne 0 ] || grep -q -e '^==[0-9]*==ERROR' -e 'runtime error:' "$log"; then
		echo "FAIL $name: exit $rc after ${execs:-?} executions; see $log"
		grep -m 5 -e 'ERROR' -e 'runtime error:' -e 'broken:' -e 'crash-' "$log" | sed 's/^/    /'
		return 1
	fi
	echo "ok $name: ${execs:-?} executions in ${FUZZ_SECONDS} s, no crash" \
		"(corpus $(find "$OUT/corpus_$corpus" -type f | wc -l) + seeds)"
}

CLANG=$(find_clang) || { echo "run.sh: no clang (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }
mkdir -p "$OUT"
FAILED=0
for h in "${HARNESSES[@]}"; do
	[ -n "${SRCS[$h]:-}" ] || { echo "run.sh: no harness $h" >&2; exit 2; }
	build "$h" || { echo "FAIL $h: it does not build" >&2; exit 1; }
done
for h in "${HARNESSES[@]}"; do
	run "$h" || FAILED=1
done
exit "$FAILED"
