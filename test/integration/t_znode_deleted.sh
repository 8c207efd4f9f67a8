#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# An operator deletes the leader's znode by hand: the old leader demotes
# (reason deleted) as soon as it learns of it and joins again at the back; the
# next node leads. A follower whose znode is deleted re-queues by itself.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

zk_start
write_conf a
write_conf b
write_conf c
start_queue a b c
a_znode=$(state_of a ZNODE)
zkdelete "$a_znode" || fail "could not delete $a_znode"
wait_for "a to demote (deleted)" 20 hook_seen_reason a demote end deleted
wait_for "b to lead" 20 role_is b leader
wait_for "a to re-queue" 20 znode_changed a "$a_znode"
wait_for "a to follow" 10 role_is a follower
wait_for "a last in the list" 10 last_in_list a
# (b may promote while a demotes: deleting a leader's znode by hand forces the
# handover at once; nothing in ZooKeeper can make b wait for a's demote.)

c_znode=$(state_of c ZNODE)
zkdelete "$c_znode" || fail "could not delete $c_znode"
wait_for "c to re-queue" 20 znode_changed c "$c_znode"
[ "$(state_of c ROLE)" = follower ] || fail "c is $(state_of c ROLE)"
[ "$(state_of b ROLE)" = leader ] || fail "b lost the lead"
[ "$(leader_count)" -eq 1 ] || fail "$(leader_count) leaders"
pass
