#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only
# (the partitions exercise the same code as t_blackhole_leader and t_chaos, which
# also run under ASan+UBSan; here the network is what is new, not the code)
# Real network partitions (test/netns.sh): three ZooKeeper members zk1..zk3 and
# three daemons a, b, c, each on a host of its own (a network namespace) on one
# bridge, session timeout 2 s. Each scenario cuts links around the leader L,
# waits for the outcome, heals and waits for one leader again; the invariant
# checker judges the whole event log at the end (never two leaders, fencing
# tokens, a leader after each heal).
#   (a) L's host isolated from everything: L demotes at its deadline (2/3 T after
#       its last answer) before anyone promotes (rule 6, docs/safety.md); the
#       session expires on the servers and another node leads.
#   (b) one link cut one way: L -> its member, then its member -> L. L's client
#       drops the silent connection and reaches another member in the same
#       session; whether L demoted on the way or not, one leader stays.
#   (c) the ensemble split 2/1 with L attached to the minority member M: M and L
#       cut from the other members and daemons. M stops serving (no quorum), L
#       demotes at its deadline, the majority expires L's session and elects a
#       new leader, after L's demote ended.
# docs/partitions.md tells the story.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/netns.sh
. "$ROOT/test/netns.sh"

DAEMONS=(a b c)

# A scenario's start: mark FAULT KIND TARGET in the event log (TARGET one
# word: the checker counts faults by kind); T0 = now (ns).
fault() {
	T0=$(($(now_us) * 1000))
	event_mark - FAULT "$1" "$2"
}

# Lift every cut and mark HEAL.
heal() {
	netns_heal
	event_mark - HEAL
}

# The first time (ns) NAME's EVENT hook logged PHASE at or after T0 (status 1: none).
hook_time() {
	hook_awk "$1" "$3" -v e="$2" -v t="$T0" 'event == e && ns >= t { print ns; exit }' | grep .
}

# True when NAME's EVENT hook logged PHASE at or after T0.
hook_since() {
	hook_time "$@" >/dev/null
}

# True when a node other than OLD leads and its promote (since T0) ended.
new_leader() {
	local n
	n=$(leader_name_other_than "$1") && hook_since "$n" promote end
}

# True when host NAME holds an established connection with a member other than M.
moved_off() {
	local p
	p=$(netns_zk_peer "$1") && [ "$p" != "$2" ]
}

# The milliseconds from T0 to the time (ns) given.
since_t0() {
	echo $((($1 - T0) / 1000000))
}

# After a cut that cost OLD its leadership: OLD's demote ended before the new
# leader's promote started; print both times.
demoted_first() {
	local old=$1 new d p
	new=$(leader_name_other_than "$old") || fail "no new leader"
	d=$(hook_time "$old" demote end) || fail "$old never demoted"
	p=$(hook_time "$new" promote start) || fail "$new's promote not seen"
	[ "$d" -lt "$p" ] ||
		fail "$new promoted at +$(since_t0 "$p") ms, before $old's demote ended at +$(since_t0 "$d") ms"
	echo "  $old demoted by +$(since_t0 "$d") ms, $new promoted at +$(since_t0 "$p") ms"
}

# Wait until the cluster is whole again: every member serves, every daemon
# has a connection and a role, exactly one leads.
settle() {
	local k n
	for k in 1 2 3; do
		wait_for "member $k to serve" 20 member_serves "$k"
	done
	for n in "${DAEMONS[@]}"; do
		wait_for "$n to reach a member" 20 connected "$n"
	done
	wait_for "exactly one leader" 20 test_leaders 1
	for n in "${DAEMONS[@]}"; do
		wait_for "$n to lead or follow" 20 role_in "$n"
	done
}

# True when host NAME holds a connection with a ZooKeeper member.
connected() {
	netns_zk_peer "$1" >/dev/null
}

# True when NAME's state says leader or follower.
role_in() {
	role_is "$1" leader || role_is "$1" follower
}

# True when ZooKeeper member K answers srvr with a mode (it has a quorum).
member_serves() {
	"$ROOT/scripts/zk-local.sh" cli "$ZK_DIR" srvr "$1" 2>/dev/null | grep -q '^Mode:'
}

# Print ZooKeeper member K's mode (leader, follower; "?" when it does not say).
member_mode() {
	"$ROOT/scripts/zk-local.sh" cli "$ZK_DIR" srvr "$1" 2>/dev/null |
		sed -n 's/^Mode: //p' | grep . || echo "?"
}

# (a) L's host isolated from every other host.
scenario_isolate() {
	local l
	l=$(leader_name) || fail "no leader"
	echo "(a) isolate $l's host"
	fault isolate "$l"
	netns_isolate "$l"
	wait_for "$l to demote (isolated)" 5 hook_since "$l" demote end
	wait_for "a new leader" 15 new_leader "$l"
	demoted_first "$l"
	heal
	settle
}

# (b) the link between L and its member M cut one way (DIR: to-zk or from-zk).
scenario_oneway() {
	local dir=$1 l m
	l=$(leader_name) || fail "no leader"
	m=$(netns_zk_peer "$l") || fail "$l has no connection"
	if [ "$dir" = to-zk ]; then fault cut "$l->$m"; else fault cut "$m->$l"; fi
	if [ "$dir" = to-zk ]; then
		echo "(b) one-way cut $l -> $m"
		netns_cut "$l" "$m"
	else
		echo "(b) one-way cut $m -> $l"
		netns_cut "$m" "$l"
	fi
	wait_for "$l to reach a member other than $m" 15 moved_off "$l" "$m"
	wait_for "exactly one leader" 15 test_leaders 1
	if hook_since "$l" demote end; then
		echo "  $l demoted on the way, now $(state_of "$l" ROLE)"
	else
		echo "  $l kept leading (reconnected in time)"
	fi
	heal
	settle
}

# (c) the ensemble split 2/1 with L attached to the minority member M.
scenario_split() {
	local l m k others=() n
	l=$(leader_name) || fail "no leader"
	m=$(netns_zk_peer "$l") || fail "$l has no connection"
	for k in 1 2 3; do
		[ "zk$k" = "$m" ] || others+=("zk$k")
	done
	for n in "${DAEMONS[@]}"; do
		[ "$n" = "$l" ] || others+=("$n")
	done
	echo "(c) split: $m ($(member_mode "${m#zk}")) $l | ${others[*]}"
	fault split "$m+$l"
	netns_split "$m $l" "${others[*]}"
	wait_for "$l to demote (minority)" 5 hook_since "$l" demote end
	wait_for "a new leader" 20 new_leader "$l"
	demoted_first "$l"
	member_serves "${m#zk}" && fail "minority member $m still serves"
	heal
	settle
}

netns_check
netns_switch
netns_zk_start 3
i=11
for n in "${DAEMONS[@]}"; do
	netns_daemon "$n" "10.77.0.$i/24"
	write_conf "$n"
	i=$((i + 1))
done
start_queue "${DAEMONS[@]}"
settle
started=$SECONDS

scenario_isolate
scenario_oneway to-zk
scenario_oneway from-zk
scenario_split

echo "scenarios took $((SECONDS - started)) s"
check_log 2000
pass
