#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# zkelectctl resign: the leader demotes (reason resigned) before the next node
# promotes, and queues again at the back; a follower resigning moves to the
# back and leaves the leader alone; resign without a daemon exits 1.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

NODES="a b c"

# True when exactly one daemon leads and every other running one follows.
settled() {
	local n
	[ "$(leader_count)" -eq 1 ] || return 1
	for n in $NODES; do
		daemon_running "$n" || continue
		role_is "$n" leader || role_is "$n" follower || return 1
	done
}

# The running daemon whose state says leader.
current_leader() {
	local n
	for n in $NODES; do
		daemon_running "$n" && role_is "$n" leader && echo "$n"
	done
}

# The ids of `zkelectctl list`, in election order, on one line.
list_ids() {
	zkctl a list | cut -f2 | tr '\n' ' '
}

# True when `zkelectctl list` shows the ids IDS (a string "x y z ") in this order.
list_is() {
	[ "$(list_ids)" = "$1" ]
}

# True when a daemon other than OLD leads and OLD follows.
handed_over() {
	local l
	settled || return 1
	l=$(current_leader)
	[ -n "$l" ] && [ "$l" != "$1" ] && role_is "$1" follower
}

zk_start
joined=""
for n in $NODES; do
	write_conf "$n"
	daemon_start "$n"
	# one at a time, so that the queue is a, b, c
	joined="$joined$n "
	wait_for "$n to join" 20 list_is "$joined"
done
wait_for "one leader, two followers" 20 settled
[ "$(current_leader)" = a ] || fail "a was first in line but $(current_leader) leads"

# The leader resigns: b takes over only after a demoted (slowly); a queues at the back.
echo 1 >"$T/a/HOOK_SLEEP_demote"
t0=$(now_us)
zkctl a resign || fail "resign on the leader exited $?"
wait_for "a handover from a" 20 handed_over a
[ "$(current_leader)" = b ] || fail "b was next in line but $(current_leader) leads"
wait_for "a at the back of the queue" 10 list_is "b c a "
demote_end=$(hook_awk a end -v t="${t0}000" \
	'event == "demote" && reason == "resigned" && ns >= t { print ns; exit }')
promote_start=$(hook_awk b start -v t="${t0}000" 'event == "promote" && ns >= t { print ns; exit }')
[ -n "$demote_end" ] || fail "a ran no demote hook with reason resigned"
[ -n "$promote_start" ] || fail "b ran no promote hook"
[ "$demote_end" -le "$promote_start" ] || fail "b promoted before a finished demoting"

# A follower resigns: it moves to the back, the leader stays.
zkctl c resign || fail "resign on the follower c exited $?"
wait_for "c at the back of the queue" 10 list_is "b a c "
wait_for "c to follow again" 10 settled
[ "$(current_leader)" = b ] || fail "leader changed to $(current_leader) when a follower resigned"
[ -z "$(hook_awk b start -v t="$promote_start" 'ns > t')" ] ||
	fail "the leader b ran a hook when a follower resigned: $(hook_lines b)"

# No daemon: resign says so and exits 1.
daemon_stop c
rc=0
err=$(zkctl c resign 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "resign without a daemon exited $rc"
[[ $err == *"not running"* ]] || fail "resign without a daemon said: $err"
pass
