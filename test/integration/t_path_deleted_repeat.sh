#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only
# (twenty rounds of the same election logic; the ASan+UBSan build runs it in
# t_parent_deleted and the election unit tests, and make check must stay short)
# The whole election path is deleted 20 times in a row (in one transaction,
# children and all) under three candidates and an observer. After each
# deletion exactly one node leads with a new epoch, every state file names it
# and that epoch, and every other node, the observer too, runs its follow hook
# for it: exactly one follow per node and leader, never one for its own
# leadership (a follower used to miss the new leader for good: a read of the
# announcement answered during its rejoin was dropped and left a flag behind).
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

NODES=(a b c o)
ROUNDS=${ROUNDS:-20}

# True when exactly one candidate leads with an epoch other than $1 and every
# node's state file names that leader and epoch; LEADER and EPOCH are set.
agreed_new() {
	local n l e
	LEADER=$(leader_name) || return 1
	EPOCH=$(state_of "$LEADER" EPOCH) || return 1
	[ -n "$EPOCH" ] && [ "$EPOCH" != "$1" ] && [ "$(leader_count)" -eq 1 ] || return 1
	for n in "${NODES[@]}"; do
		l=$(state_of "$n" LEADER_ID) && e=$(state_of "$n" EPOCH) || return 1
		[ "$l" = "$LEADER" ] && [ "$e" = "$EPOCH" ] || return 1
	done
}

# Every node but $1 has ended a follow hook for epoch $2.
all_followed() {
	local n
	for n in "${NODES[@]}"; do
		[ "$n" = "$1" ] && continue
		follow_seen "$n" "$2" || return 1
	done
}

# The follow hooks NODE started, one epoch a line.
follow_epochs() {
	hook_awk "$1" start 'event == "follow" { print epoch }'
}

zk_start
for n in a b c; do
	write_conf "$n"
done
write_conf o "election.mode=observer"
start_queue a b c
daemon_start o
wait_for "o to observe" 20 role_is o observer
wait_for "everyone to agree on a" 20 agreed_new none
[ "$LEADER" = a ] || fail "a should lead first, $LEADER does"
wait_for "the first follows" 20 all_followed a "$EPOCH"

declare -A LED=()	# epoch -> leader
LED[$EPOCH]=$LEADER
for ((i = 1; i <= ROUNDS; i++)); do
	prev=$EPOCH
	zkdeleteall "$ELECTION_PATH" || fail "round $i: could not delete $ELECTION_PATH"
	wait_for "round $i: one new leader named by every state file (was epoch $prev)" 20 \
		agreed_new "$prev"
	LED[$EPOCH]=$LEADER
	wait_for "round $i: every node but $LEADER to follow epoch $EPOCH" 20 \
		all_followed "$LEADER" "$EPOCH"
done

# Exactly the follows each node should have run: one for each leader that was not itself.
for n in "${NODES[@]}"; do
	want=$(for e in "${!LED[@]}"; do [ "${LED[$e]}" != "$n" ] && echo "$e"; done | sort)
	got=$(follow_epochs "$n" | sort)
	[ "$got" = "$want" ] || fail "$n ran follow for epochs [${got//$'\n'/ }], expected [${want//$'\n'/ }]"
done
pass
