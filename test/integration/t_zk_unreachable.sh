#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# ZooKeeper unreachable at start is not fatal: the daemon keeps running in role
# starting with ZK_STATE=connecting, and once the server is up on that port it
# joins and leads.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when a's state file says KEY=VALUE.
state_is() {
	[ "$(state_of a "$1" 2>/dev/null)" = "$2" ]
}

# A ZooKeeper that is not there: start one (to get its port), then stop it.
zk_start
zk_stop
write_conf a
daemon_start a
wait_for "a's start-up demote to end" 10 hook_seen a demote end
wait_for "a's state to say connecting" 10 state_is ZK_STATE connecting
# For 3 s nothing may change: still running, starting, connecting, no promote.
deadline=$(($(now_us) + 3000000))
while [ "${EPOCHREALTIME/./}" -lt "$deadline" ]; do
	daemon_running a || fail "a exited without ZooKeeper"
	state_is ROLE starting || fail "a is $(state_of a ROLE) without ZooKeeper"
	state_is ZK_STATE connecting || fail "a's ZK_STATE is $(state_of a ZK_STATE) without ZooKeeper"
	nap 0.2
done
hook_seen a promote start && fail "a promoted without ZooKeeper"
[ -z "$(state_of a ZNODE)" ] || fail "a has a znode without ZooKeeper: $(state_of a ZNODE)"

# The server comes up on the same port: a joins and leads.
zk_start_member 1
wait_for "a to connect" 20 state_is ZK_STATE connected
wait_for "a to lead" 20 state_is ROLE leader
wait_for "a's promote to end" 10 hook_seen a promote end
[ -n "$(state_of a ZNODE)" ] || fail "a leads without a znode"
zkctl a is-leader || fail "is-leader says a does not lead"
zkctl a list >"$T/list" || fail "list exited $?"
[ "$(cut -f 2 "$T/list")" = a ] || fail "list: $(cat "$T/list")"
[ "$(hook_awk a start '{ printf "%s ", event }')" = "demote promote " ] ||
	fail "a's hook runs: $(hook_lines a start)"
daemon_stop a
[ "$LAST_EXIT" -eq 0 ] || fail "a exited $LAST_EXIT after SIGTERM"
pass
