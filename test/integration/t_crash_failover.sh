#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# SIGKILL of the leader: once ZooKeeper expires its session, exactly one
# survivor promotes, with a greater epoch; the other follows it.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

zk_start
for n in a b c; do
	write_conf "$n"
	daemon_start "$n"
done
wait_for "one leader" 20 test_leaders 1
old=$(leader_name)
old_epoch=$(state_of "$old" EPOCH)
daemon_stop "$old" KILL
wait_for "a new leader" 20 new_leader_other_than "$old"
new=$(leader_name_other_than "$old")
new_epoch=$(state_of "$new" EPOCH)
[ "$new_epoch" -gt "$old_epoch" ] || fail "epoch went from $old_epoch to $new_epoch"
for n in a b c; do
	[ "$n" = "$old" ] || [ "$n" = "$new" ] && continue
	wait_for "$n to follow $new" 10 follow_seen "$n" "$new_epoch"
done
[ "$(hook_awk "" start 'event == "promote"' | wc -l)" -eq 2 ] ||
	fail "expected exactly two promotes in all: $(hook_lines)"
pass
