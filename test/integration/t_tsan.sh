#!/bin/bash
# run.sh: plain build only
# shellcheck disable=SC2317 # functions called through wait_for
# ThreadSanitizer over the bridge between libzookeeper_mt's threads and the
# event loop (src/zk.c: the watcher and completions copy into a mutex-protected
# queue and write an eventfd). a runs build/tsan/zkelectd (built here when
# missing or stale: the Makefile's `tsan` target); b runs the plain build.
# Handovers: resigns back and forth, a SIGHUP that changes the log level while
# the library's threads log, and b killed so a takes over on its own. Any
# ThreadSanitizer report fails the test; test/tsan.supp only tells TSan to
# ignore what libzookeeper_mt (not instrumented) does inside itself.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

TSAN_BIN=$ROOT/build/tsan/zkelectd
TSAN_CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=thread"

# Start NAME's daemon from the ThreadSanitizer build, logging like daemon_start does.
daemon_start_tsan() {
	local name=$1
	echo "--- $(date '+%T.%N') daemon_start (tsan)" >>"$T/$name.log"
	TSAN_OPTIONS="suppressions=$ROOT/test/tsan.supp exitcode=66 halt_on_error=0 second_deadlock_stack=1 history_size=4" \
		"$TSAN_BIN" -c "$T/$name.conf" </dev/null >>"$T/$name.log" 2>&1 &
	DAEMON_PIDS[$name]=$!
}

# How many ThreadSanitizer reports a's log holds.
tsan_reports() {
	grep -c 'WARNING: ThreadSanitizer' "$T/a.log"
}

# Resign NAME (the leader) and wait until OTHER leads and NAME follows.
handover() {
	zkctl "$1" resign || fail "zkelectctl $1 resign failed"
	wait_for "$2 to lead" 30 role_is "$2" leader
	wait_for "$1 to follow" 30 role_is "$1" follower
}

# True when more than N of a's promote runs have ended.
promotes_more() {
	[ "$(hook_awk a end 'event == "promote"' | wc -l)" -gt "$1" ]
}

# True when a's log has more than N lines holding the fixed string S.
log_more() {
	[ "$(grep -cF -- "$2" "$T/a.log")" -gt "$1" ]
}

(cd "$ROOT" && make -s WERROR=1 BUILD=build/tsan CFLAGS="$TSAN_CFLAGS" build/tsan/zkelectd) \
	>"$T/make.out" 2>&1 || fail "could not build $TSAN_BIN: $(tail -n 20 "$T/make.out")"
# The hooks record with the plain build's hookrec (lib.sh would look next to ZKELECTD).
ln -s "$ROOT/build/hookrec" "$T/hook.sh"

zk_start
write_conf a "zookeeper.session_timeout=4s"
write_conf b
daemon_start_tsan a
wait_for "a to lead" 30 role_is a leader
wait_for "a's promote to end" 20 hook_seen a promote end
daemon_start b
wait_for "b to follow" 30 role_is b follower

handover a b
handover b a
# the log level changes under the library's logging threads (debug -> info -> debug)
applied="reload: new settings applied"
for level in info debug; do
	n=$(grep -cF "$applied" "$T/a.log")
	write_conf a "zookeeper.session_timeout=4s" "daemon.log_level=$level"
	daemon_stop a HUP
	wait_for "a to apply log_level $level" 20 log_more "$n" "$applied"
done
handover a b
# b dies: a takes over once b's session expires
n=$(hook_awk a end 'event == "promote"' | wc -l)
daemon_stop b KILL
wait_for "a to lead after b died" 30 role_is a leader
wait_for "a's promote to end" 20 promotes_more "$n"

daemon_stop a TERM
[ "$(tsan_reports)" -eq 0 ] ||
	fail "ThreadSanitizer reports: $(grep -A40 -m1 'WARNING: ThreadSanitizer' "$T/a.log")"
[ "$LAST_EXIT" -eq 0 ] || fail "a exited with status $LAST_EXIT under ThreadSanitizer"
pass
