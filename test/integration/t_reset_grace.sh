#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# A lost connection alone does not end leadership (rule 6): the leader's
# connection is reset and comes back at once: the session survives and the
# leader keeps its role with no demote at all. A loss that lasts past the
# deadline (2/3 of the session + disconnect_grace after the last answer: 7 s
# here) demotes (connection-lost); a reconnect within the session then
# promotes again with the same epoch.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when the ZooKeeper client of a has reconnected (state connected again).
a_connected() {
	[ "$(state_of a ZK_STATE)" = connected ]
}

zk_start
proxy_start a
write_conf a "zookeeper.hosts=127.0.0.1:${PROXY_PORT[a]}" "zookeeper.session_timeout=9s" \
	"election.disconnect_grace=1s" "hooks.demote_timeout=1s"
write_conf b "zookeeper.session_timeout=9s"
start_queue a b
epoch=$(state_of a EPOCH)
proxy_mode a reset
proxy_mode a pass
wait_for "a to reconnect" 20 a_connected
hook_seen_reason a demote start connection-lost && fail "a demoted before its deadline"
[ "$(state_of a ROLE)" = leader ] || fail "a is $(state_of a ROLE)"
[ "$(state_of a EPOCH)" = "$epoch" ] || fail "the epoch changed"

proxy_mode a reset
wait_for "a to demote at its deadline" 12 hook_seen_reason a demote end connection-lost
proxy_mode a pass
wait_for "a to lead again" 20 role_is a leader
again=$(hook_awk a start 'event == "promote"' | tail -n 1)
[ "$(hook_field epoch "$again")" = "$epoch" ] || fail "promoted again with another epoch: $again"
hook_seen b promote start && fail "b promoted"
pass
