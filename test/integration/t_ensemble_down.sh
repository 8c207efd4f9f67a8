#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: the code it drives runs under ASan in other tests)
# run.sh: long
# The whole 3-server ensemble goes down for twice the session timeout, then
# comes back: the leader demotes (connection-lost) while it is down; after the
# ensemble is back there is one leader again within session timeout + 5 s, and
# the invariant checker finds nothing wrong in the whole run.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

zk_start 3
for n in a b c; do
	write_conf "$n"	# session timeout 2 s
done
start_queue a b c
event_mark - FAULT zk-all -
zk_stop >/dev/null
wait_for "a to demote (connection-lost)" 10 hook_seen_reason a demote end connection-lost
# (members stop one after the other: a may reconnect to one still up and lead
# again for a moment; once all are down, nobody may lead)
wait_for "no leader while ZooKeeper is down" 10 test_leaders 0
sleep 2	# the rest of twice the session timeout: nothing must happen meanwhile
for k in 1 2 3; do
	zk_start_member "$k"
done
event_mark - HEAL
wait_for "one leader again" 10 test_leaders 1
check_log 2000
pass
