#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# Rule 6: the leader's link to ZooKeeper goes silent (a blackhole: sockets stay
# open, nothing passes, so only silence tells). It demotes on its own clock,
# and its demote hook, taking a quarter of the session timeout, ends before
# the other node's promote starts. When the link heals, the old leader finds
# its session expired, and joins again as a follower.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

zk_start
proxy_start a
mkdir -p "$T/a"
write_conf a "zookeeper.hosts=127.0.0.1:${PROXY_PORT[a]}" "zookeeper.session_timeout=4s"
write_conf b "zookeeper.session_timeout=4s"
start_queue a b
echo 1 >"$T/a/HOOK_SLEEP_demote"	# a quarter of the session timeout
old_epoch=$(state_of a EPOCH)
proxy_mode a blackhole
wait_for "b to lead" 30 role_is b leader
# b's state file says leader before its promote hook has logged its start.
wait_for "b's promote to start" 10 hook_seen b promote start
demote=$(hook_awk a end 'event == "demote" && reason == "connection-lost"')
[ -n "$demote" ] || fail "a did not demote (connection-lost) before b led: $(hook_lines a)"
promote_start=$(hook_awk b start 'event == "promote" { print ns }')
[ "$promote_start" -gt "$(hook_field ns "$demote")" ] ||
	fail "b promoted before a's demote ended"
[ "$(state_of b EPOCH)" -gt "$old_epoch" ] || fail "the epoch did not grow"
proxy_mode a pass
wait_for "a to follow b" 30 follow_seen a "$(state_of b EPOCH)"
[ "$(state_of a ROLE)" = follower ] || fail "a is $(state_of a ROLE)"
[ "$(hook_awk a start 'event == "promote"' | wc -l)" -eq 1 ] || fail "a promoted again"
pass
