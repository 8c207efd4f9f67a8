#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# The leader loses ZooKeeper (the server stops): it demotes (reason
# connection-lost) on its own clock, at its deadline (2/3 of the session after
# the last answer), and the demote ends before the session timeout has passed
# since the loss, i.e. before anyone else could be elected (rules 6, 7). The
# server comes back: the leader leads again. (A restarted ZooKeeper takes a few
# seconds to serve, more than the third of the session left after the demote,
# so the session is usually gone by then and the epoch new: the same-session
# return, same epoch, is t_reset_grace's.)
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

zk_start
write_conf a "zookeeper.session_timeout=6s"
daemon_start a
wait_for "a to lead" 20 role_is a leader
wait_for "a's promote to end" 10 hook_seen a promote end
epoch=$(state_of a EPOCH)
stop_us=$(now_us)
zk_stop
wait_for "a to demote (connection-lost)" 10 hook_seen_reason a demote end connection-lost
demote_end=$(hook_awk a end 'event == "demote" && reason == "connection-lost" { print ns }')
[ $((demote_end / 1000 - stop_us)) -lt 6000000 ] ||
	fail "the demote ended $(((demote_end / 1000 - stop_us) / 1000)) ms after the loss (session timeout 6 s)"
[ "$(state_of a ROLE)" = follower ] || fail "a is $(state_of a ROLE) after the loss"
zk_start_member 1
wait_for "a to lead again" 20 role_is a leader
again=$(hook_awk a start 'event == "promote"' | tail -n 1)
[ "$(hook_field epoch "$again")" -ge "$epoch" ] || fail "promoted again with an older epoch: $again"
[ "$(hook_field reason "$again")" = elected ] || fail "reason: $again"
pass
