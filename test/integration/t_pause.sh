#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# zkelectctl pause, then SIGKILL of the leader's zkelectd: nobody promotes
# while paused (b, elected, only says what it would do); after the resume b
# still waits, since a's service may be primary (its breadcrumb says it kept
# it through the pause); once a is back and its start-up demote has ended,
# exactly one node promotes: b, with reason pause-ended. The pause shows in
# every state file (PAUSED, PAUSE_REASON, PAUSE_BY, PAUSE_HELD), in zkelectctl
# status and in /metrics.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's state file says PAUSED=yes.
paused() {
	[ "$(state_of "$1" PAUSED 2>/dev/null)" = yes ]
}

# True when NAME's log says it holds its promote for the pause.
holds_promote() {
	grep -q "paused: would promote" "$T/$1.log"
}

# True when NAME's log says it waits for a's breadcrumb.
waits_for_a() {
	grep -q "not promoting: wait: a " "$T/$1.log"
}

# The body of GET http://127.0.0.1:PORT/metrics.
metrics() {
	"$PYTHON" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())' "$1"
}

zk_start
write_conf a
write_conf b "status.listen=127.0.0.1:$(free_port)"
write_conf c
start_queue a b c
port=$(status_port b)
zkctl a pause --reason "db upgrade" --for 10m >"$T/pause.out" || fail "pause exited $?"
for n in a b c; do
	wait_for "$n to be paused" 10 paused "$n"
done
[ "$(state_of b PAUSE_REASON)" = "db upgrade" ] || fail "b's PAUSE_REASON: $(state_of b PAUSE_REASON)"
[ -n "$(state_of b PAUSE_BY)" ] || fail "b's PAUSE_BY is empty"
zkctl b status >"$T/status" || fail "status exited $?"
grep -q "paused" "$T/status" || fail "zkelectctl status does not show the pause: $(cat "$T/status")"
metrics "$port" | grep -q "^zkelectd_paused 1" ||
	fail "/metrics does not say zkelectd_paused 1"

mark=$(($(now_us) * 1000))
since=(-v t="$mark")
daemon_stop a KILL
wait_for "b to hold its promote" 20 holds_promote b
[ "$(state_of b ROLE)" = leader ] || fail "b, elected, shows $(state_of b ROLE)"
[[ $(state_of b PAUSE_HELD) == promote* ]] || fail "b's PAUSE_HELD: $(state_of b PAUSE_HELD)"
zkctl b resume >"$T/resume.out" || fail "resume exited $?"
wait_for "b to wait for a's demote" 10 waits_for_a b
hook_awk "" start "${since[@]}" 'ns >= t && event == "promote"' | grep -q . &&
	fail "a node promoted while a's service may still be primary"

daemon_start a
wait_for "b to lead" 20 hook_seen b promote end
promotes=$(hook_awk "" start "${since[@]}" 'ns >= t && event == "promote"')
[ "$(echo "$promotes" | grep -c .)" -eq 1 ] || fail "not exactly one promote: $promotes"
[ "$(hook_field id "$promotes")" = b ] || fail "the promote was not on b: $promotes"
[ "$(hook_field reason "$promotes")" = pause-ended ] || fail "b's promote: $promotes"
demote=$(hook_awk a end "${since[@]}" 'ns >= t && event == "demote"' | tail -n 1)
[ -n "$demote" ] || fail "a did not demote after its restart"
[ "$(hook_field ns "$promotes")" -gt "$(hook_field ns "$demote")" ] ||
	fail "b promoted before a's demote ended"
[ "$(state_of b PAUSED)" = no ] || fail "b still says paused"
# the history says so too (and runs zkelectctl history under ASan with this test)
zkctl b history --json >"$T/history.json" || fail "history exited $?"
grep -q '"cause":"pause-ended"' "$T/history.json" || fail "history: $(cat "$T/history.json")"
pass
