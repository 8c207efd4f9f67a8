#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (the same code runs under ASan in t_switchover and t_pause)
# A stopping leader while paused runs no hook: a (SIGTERM) leaves its service
# as it is. The pause then runs out by itself (--for 3s): every node ends it
# on its own clock and the znode goes. b, elected meanwhile, still waits for
# a's breadcrumb (a kept its service), and promotes (pause-ended) only once
# a, started again, has demoted. c follows b with reason pause-ended.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's state file says PAUSED=yes.
paused() {
	[ "$(state_of "$1" PAUSED 2>/dev/null)" = yes ]
}

# True when NAME's log says its pause expired.
expired() {
	grep -q "pause: ended (expired)" "$T/$1.log"
}

# True when NAME's log says its pause ended: expired on its own clock, or
# deleted by a node whose clock ran out first (each deletes it at its expiry).
ended() {
	grep -q -e "pause: ended (expired)" -e "pause: ended (resumed)" "$T/$1.log"
}

# True when NAME's log says it waits for a's breadcrumb.
waits_for_a() {
	grep -q "not promoting: wait: a " "$T/$1.log"
}

zk_start
for n in a b c; do
	write_conf "$n"
done
start_queue a b c
zkctl a pause --reason "short" --for 3s >"$T/pause.out" || fail "pause exited $?"
for n in a b c; do
	wait_for "$n to be paused" 10 paused "$n"
done
mark=$(($(now_us) * 1000))
since=(-v t="$mark")
daemon_stop a
[ "$LAST_EXIT" -eq 0 ] || fail "a exited $LAST_EXIT"
[ -z "$(hook_awk a start "${since[@]}" 'ns >= t')" ] || fail "a ran a hook while stopping paused"
wait_for "b to lead (held)" 20 role_is b leader
for n in b c; do
	wait_for "$n's pause to end" 20 ended "$n"
done
expired b || expired c || fail "neither b nor c says its pause expired"
wait_for "b to wait for a's demote" 10 waits_for_a b
hook_awk "" start "${since[@]}" 'ns >= t && event == "promote"' | grep -q . &&
	fail "a node promoted while a's service may still be primary"
zkctl b list >/dev/null || fail "list exited $?"

daemon_start a
wait_for "b to promote" 20 hook_seen b promote end
promotes=$(hook_awk "" start "${since[@]}" 'ns >= t && event == "promote"')
[ "$(echo "$promotes" | grep -c .)" -eq 1 ] || fail "not exactly one promote: $promotes"
[ "$(hook_field reason "$promotes")" = pause-ended ] || fail "b's promote: $promotes"
demote=$(hook_awk a end "${since[@]}" 'ns >= t && event == "demote"' | tail -n 1)
[ -n "$demote" ] || fail "a did not demote after its restart"
[ "$(hook_field ns "$promotes")" -gt "$(hook_field ns "$demote")" ] ||
	fail "b promoted before a's demote ended"
follow=$(hook_awk c end "${since[@]}" 'ns >= t && event == "follow"' | head -n 1)
[ "$(hook_field reason "$follow")" = pause-ended ] || fail "c's follow: $follow"
pass
