#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# Rule 4: a predecessor's deletion is not leadership. With a leading, b second
# and c third, b leaves: c's predecessor is gone, but c lists again, finds a
# still lowest, watches a, and does not promote. When a leaves, c leads.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when c's log shows it now watches a's znode.
c_watches_a() {
	grep -q "watching $(state_of a ZNODE)\$" "$T/c.log"
}

zk_start
for n in a b c; do
	write_conf "$n"
done
start_queue a b c
daemon_stop b
wait_for "c to watch a" 20 c_watches_a
[ "$(state_of c ROLE)" = follower ] || fail "c is $(state_of c ROLE)"
hook_seen c promote start && fail "c promoted when only its predecessor left"
[ "$(leader_count)" -eq 1 ] || fail "$(leader_count) leaders"
daemon_stop a
wait_for "c to lead" 20 role_is c leader
pass
