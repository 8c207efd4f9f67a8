#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# zkelectctl resign (SIGUSR1): the leader demotes (reason resigned) to the end,
# then deletes its znode; another node promotes after that; the old leader
# joins again at the back of the queue with a new znode. A follower that
# resigns re-queues at the back without running a hook.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

zk_start
write_conf a
write_conf b
write_conf c
start_queue a b c
old_znode=$(state_of a ZNODE)
zkctl a resign || fail "zkelectctl resign failed"
wait_for "b to lead" 20 role_is b leader
wait_for "a to follow" 20 role_is a follower
wait_for "b's promote to start" 10 hook_seen b promote start	# logged after the state file's leader
demote=$(hook_awk a end 'event == "demote" && reason == "resigned"')
[ -n "$demote" ] || fail "no resigned demote for a: $(hook_lines a)"
[ "$(hook_field role "$demote")" = follower ] || fail "a's demote role: $demote"
promote_start=$(hook_awk b start 'event == "promote" { print ns }')
[ "$promote_start" -gt "$(hook_field ns "$demote")" ] || fail "b promoted before a's demote ended"
new_znode=$(state_of a ZNODE)
znode_changed a "$old_znode" || fail "a did not re-queue ($new_znode)"
wait_for "a last in the list" 10 last_in_list a

# a follower resigns: no hook, a new znode at the back
c_znode=$(state_of c ZNODE)
runs=$(hook_lines c | wc -l)
zkctl c resign || fail "zkelectctl resign (follower) failed"
wait_for "c to re-queue" 10 znode_changed c "$c_znode"
wait_for "c last in the list" 10 last_in_list c
[ "$(state_of c ROLE)" = follower ] || fail "c is $(state_of c ROLE)"
[ "$(hook_lines c | wc -l)" -eq "$runs" ] || fail "c ran a hook on resign: $(hook_lines c)"
[ "$(state_of b ROLE)" = leader ] || fail "b lost the lead"
pass
