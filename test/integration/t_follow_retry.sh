#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# A failed follow runs again, with a doubling back-off, while the same leader
# leads: b's follow exits 1 twice (its service left half-way, say), then
# succeeds; b ran it three times for a's epoch and no more. When the leader
# changes while a retry waits, the back-off starts again for the new leader.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# How many times ID's follow started for epoch EPOCH.
follow_starts() {
	hook_awk "$1" start -v e="$2" 'event == "follow" && epoch == e' | wc -l
}

# True when NAME's state file says its last hook ended with STATUS.
last_hook_status_is() {
	[ "$(state_of "$1" LAST_HOOK_STATUS)" = "$2" ]
}

# True when ID's follow started at least N times for EPOCH.
follow_starts_ge() {
	[ "$(follow_starts "$1" "$2")" -ge "$3" ]
}

zk_start
mkdir -p "$T/b"
echo 1 >"$T/b/HOOK_EXIT_follow"
write_conf a
write_conf b
write_conf c
start_queue a b
epoch=$(state_of a EPOCH)
wait_for "b's follow to fail twice" 20 follow_starts_ge b "$epoch" 2
rm -f "$T/b/HOOK_EXIT_follow"
wait_for "b's third follow" 20 follow_starts_ge b "$epoch" 3
wait_for "b's follow to succeed" 10 last_hook_status_is b "exit 0"
grep -q "the follow hook failed (exit 1); running it again in 1000 ms while a leads" "$T/b.log" ||
	fail "b did not log the first retry"
grep -q "the follow hook failed (exit 1); running it again in 2000 ms while a leads" "$T/b.log" ||
	fail "b did not double the back-off"

# c's follow fails too; while its retry waits, the leader changes: the back-off
# starts again from 1 s for the new leader, and c follows b once it can.
mkdir -p "$T/c"
echo 1 >"$T/c/HOOK_EXIT_follow"
daemon_start c
wait_for "c's follow to fail twice" 20 follow_starts_ge c "$epoch" 2
daemon_stop a
wait_for "b to lead" 20 role_is b leader
epoch_b=$(state_of b EPOCH)
wait_for "c to fail to follow b" 20 follow_starts_ge c "$epoch_b" 1
wait_for "c's back-off to start again for b" 10 \
	grep -q "running it again in 1000 ms while b leads" "$T/c.log"
rm -f "$T/c/HOOK_EXIT_follow"
wait_for "c to follow b" 20 last_hook_status_is c "exit 0"
[ "$(follow_starts b "$epoch")" -eq 3 ] || fail "b followed a $(follow_starts b "$epoch") times, expected 3"
pass
