#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: the code it drives runs under ASan in other tests)
# run.sh: long
# Each member of the 3-server ensemble is restarted in turn (a rolling
# restart): the quorum holds throughout and no session expires, so nobody but
# a ever promotes. (When the ensemble's own leader restarts, every client is
# disconnected for a moment: with disconnect_grace 0 a demotes and promotes
# again on the same znode, with the same epoch.)
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when every daemon's state says connected.
all_connected() {
	local n
	for n in a b c; do
		[ "$(state_of "$n" ZK_STATE)" = connected ] || return 1
	done
}

zk_start 3
for n in a b c; do
	write_conf "$n" "zookeeper.session_timeout=4s"
done
start_queue a b c
for k in 1 2 3; do
	event_mark - FAULT zk-member "$k"
	zk_stop "$k" >/dev/null
	zk_start_member "$k"
	event_mark - HEAL
	wait_for "every daemon connected after member $k" 20 all_connected
	wait_for "a to lead after member $k" 20 role_is a leader
done
hook_awk "" start 'event == "promote" && id != "a"' | grep -q . && fail "another node promoted"
[ "$(hook_awk a start 'event == "promote" { print epoch }' | sort -u | wc -l)" -eq 1 ] ||
	fail "a's epoch changed: $(hook_lines a start)"
check_log 4000
pass
