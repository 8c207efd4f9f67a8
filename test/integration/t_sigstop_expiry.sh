#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# A leader frozen (SIGSTOP) for longer than the session timeout: the server
# expires its session and the follower leads. When the old leader wakes
# (SIGCONT) the first thing it does is demote (rule 16); it never promotes
# again on the old session and joins again as a follower.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

zk_start
write_conf a
write_conf b
start_queue a b
old_epoch=$(state_of a EPOCH)
runs_before=$(hook_lines a start | wc -l)
daemon_stop a STOP
wait_for "b to lead" 20 role_is b leader
wake_us=$(now_us)
daemon_stop a CONT
wait_for "a to demote" 10 hook_seen_reason a demote end "session-expired|connection-lost"
first=$(hook_lines a start | sed -n "$((runs_before + 1))p")
[ "$(hook_field event "$first")" = demote ] || fail "a's first run after waking: $first"
[ "$(hook_field ns "$first")" -gt "$((wake_us * 1000))" ] || fail "a demoted before waking?"
wait_for "a to follow" 20 role_is a follower
[ "$(state_of b ROLE)" = leader ] || fail "b lost the lead"
new_epoch=$(state_of b EPOCH)
[ "$new_epoch" -gt "$old_epoch" ] || fail "epoch went from $old_epoch to $new_epoch"
[ "$(hook_awk a start 'event == "promote"' | wc -l)" -eq 1 ] || fail "a promoted again: $(hook_lines a)"
pass
