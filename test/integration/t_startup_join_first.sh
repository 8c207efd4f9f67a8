#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# demote_on_start = unless-leader (the default; docs/startup.md). A node alone
# in the election leads at once and runs no start-up demote: its first hook run
# is the promote, so a primary it starts beside is never restarted. A node that
# finds another contender ahead runs the start-up demote at once, with its
# znode already queued, before it follows. A node that cannot reach ZooKeeper
# demotes once the bound (session_timeout / 3, at most 2 s) is over; one
# stopped while undecided demotes before it exits. With a health check and
# demote_on_start = yes, the first check runs after the start-up demote. The
# invariant checker judges the whole run.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# NAME's hook runs, "EVENT-PHASE-REASON" each, as one line.
runs() {
	hook_awk "$1" "" '{ printf "%s-%s-%s ", event, phase, reason }'
}

# True when NAME's log has a line matching the regex RE.
logged() {
	grep -qE "$2" "$T/$1.log"
}

zk_start

# 1. Alone: elected at once, no start-up demote.
write_conf a
daemon_start a
wait_for "a to lead" 20 role_is a leader
wait_for "a's promote to end" 10 hook_seen a promote end
[ "$(runs a)" = "promote-start-elected promote-end-elected " ] || fail "a's hook runs: $(runs a)"
logged a "elected at once: no start-up demote" || fail "a did not log why it skipped the demote"

# 2. Behind a: the start-up demote at once (znode queued), then the follow.
mkdir -p "$T/b"
echo 1 >"$T/b/HOOK_SLEEP_demote"
write_conf b
daemon_start b
wait_for "b's start-up demote" 10 hook_seen b demote start
[ -n "$(state_of b ZNODE)" ] || fail "b holds no znode during its start-up demote"
wait_for "b to follow a" 20 follow_seen b "$(state_of a EPOCH)"
[ "$(runs b)" = "demote-start-startup demote-end-startup follow-start-leader-changed follow-end-leader-changed " ] ||
	fail "b's hook runs: $(runs b)"
logged b "another contender is ahead: start-up demote now" || fail "b did not log why it demoted"

# 3. No ZooKeeper: the bound runs out, the start-up demote runs.
write_conf c "zookeeper.hosts=127.0.0.1:9" "zookeeper.session_timeout=3s"
daemon_start c
wait_for "c's start-up demote" 10 hook_seen c demote end
logged c "not the leader in time: start-up demote now" || fail "c did not log the bound"
[ -z "$(state_of c ZNODE)" ] || fail "c has a znode"

# 4. Stopped while undecided (no ZooKeeper, a 2 s bound): demotes, then exits 0.
write_conf d "zookeeper.hosts=127.0.0.1:9" "zookeeper.session_timeout=9s"
daemon_start d
wait_for "d to join first" 10 logged d "joining first"
daemon_stop d
[ "$LAST_EXIT" -eq 0 ] || fail "d exited $LAST_EXIT"
[ "$(runs d)" = "demote-start-startup demote-end-startup " ] || fail "d's hook runs: $(runs d)"
logged d "stopping: start-up demote now" || fail "d did not log the demote on stop"

# 5. demote_on_start = yes with a health check: the first check after the demote.
mkdir -p "$T/e"
echo 1 >"$T/e/HOOK_SLEEP_demote"
write_conf e "election.demote_on_start=yes" "health.command=$T/hook.sh" "health.interval=200ms"
daemon_start e
wait_for "e to follow" 20 role_is e follower
first_health=$(hook_awk e start 'event == "health" { print ns }' | head -n 1)
demote_end=$(hook_awk e end 'event == "demote" { print ns }' | head -n 1)
{ [ -n "$first_health" ] && [ "$first_health" -gt "$demote_end" ]; } ||
	fail "e's first health check did not wait for the start-up demote: $(runs e)"
# and the invariant checker finds no two leads at once, no promote after a promote
check_log 2000
pass
