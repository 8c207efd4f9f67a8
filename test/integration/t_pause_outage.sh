#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (the same code runs under ASan in t_switchover and t_pause)
# A pause survives a ZooKeeper outage longer than the session timeout: no
# hook runs while ZooKeeper is down (the leader keeps its service: its
# breadcrumb said so before the outage) nor after it is back, though every
# session was lost; the nodes are still paused. On the resume, exactly one
# node ends up promoted, and if leadership moved during the outage, the old
# leader's demote ends before the new leader's promote starts.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's state file says PAUSED=yes.
paused() {
	[ "$(state_of "$1" PAUSED 2>/dev/null)" = yes ]
}

# True when NAME's log says its session was lost.
session_lost() {
	grep -q "zookeeper: session 0x[0-9a-f]* lost" "$T/$1.log"
}

# True when NAME is connected to ZooKeeper again and in line.
back_in_line() {
	[ "$(state_of "$1" ZK_STATE 2>/dev/null)" = connected ] &&
		[ -n "$(state_of "$1" ZNODE 2>/dev/null)" ]
}

# True when a leader other than none is known to NAME and both show it.
settled() {
	local l
	l=$(state_of a LEADER_ID 2>/dev/null)
	[ -n "$l" ] && [ "$(state_of b LEADER_ID 2>/dev/null)" = "$l" ]
}

# True when NAME's promote has ended since the outage began (MARK).
promoted_now() {
	hook_awk "$1" end -v t="$MARK" 'ns >= t && event == "promote"' | grep -q .
}

zk_start
write_conf a
write_conf b
start_queue a b
zkctl a pause --reason "zookeeper upgrade" --for 10m >"$T/pause.out" || fail "pause exited $?"
for n in a b; do
	wait_for "$n to be paused" 10 paused "$n"
done
MARK=$(($(now_us) * 1000))
since=(-v t="$MARK")
zk_stop >/dev/null
for n in a b; do
	wait_for "$n to lose its session" 20 session_lost "$n"
done
zk_start_member 1
for n in a b; do
	wait_for "$n to be back in line" 30 back_in_line "$n"
done
wait_for "the leader to be settled" 20 settled
for n in a b; do
	paused "$n" || fail "$n is no longer paused after the outage"
done
[ -z "$(hook_awk "" start "${since[@]}" 'ns >= t')" ] ||
	fail "a hook ran during the paused outage: $(hook_awk "" start "${since[@]}" 'ns >= t')"

leader=$(state_of a LEADER_ID)
zkctl a resume >"$T/resume.out" || fail "resume exited $?"
wait_for "$leader to promote" 20 promoted_now "$leader"
promotes=$(hook_awk "" start "${since[@]}" 'ns >= t && event == "promote"')
[ "$(echo "$promotes" | grep -c .)" -eq 1 ] || fail "not exactly one promote: $promotes"
[ "$(hook_field id "$promotes")" = "$leader" ] || fail "the promote was not on $leader: $promotes"
if [ "$leader" != a ]; then
	demote=$(hook_awk a end "${since[@]}" 'ns >= t && event == "demote"' | tail -n 1)
	[ -n "$demote" ] || fail "a, no longer leading, did not demote"
	[ "$(hook_field ns "$promotes")" -gt "$(hook_field ns "$demote")" ] ||
		fail "$leader promoted before a's demote ended"
fi
pass
