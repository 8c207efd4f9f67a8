#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (the same code runs under ASan in t_switchover and t_pause)
# zkelectctl switchover --to c --force while paused and with no promoted
# leader (a's zkelectd killed, b elected but holding its promote): b, first
# in line, steps back with no hook; c promotes with reason forced, past the
# pause and a's breadcrumb; the command exits 0 naming c. A forced switchover
# while a leader has promoted is refused and changes nothing.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's log says it holds its promote for the pause.
holds_promote() {
	grep -q "paused: would promote" "$T/$1.log"
}

# True when NAME's state file says PAUSED=yes.
paused() {
	[ "$(state_of "$1" PAUSED 2>/dev/null)" = yes ]
}

zk_start
for n in a b c; do
	write_conf "$n"
done
start_queue a b c
rc=0
zkctl a switchover --to b --force --wait 10s >"$T/refused.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "a forced switchover with a promoted leader exited $rc: $(cat "$T/refused.out")"
[ "$(state_of a ROLE)" = leader ] || fail "a is $(state_of a ROLE) after a refused --force"

zkctl a pause --reason "failover drill" --for 10m >/dev/null || fail "pause exited $?"
for n in a b c; do
	wait_for "$n to be paused" 10 paused "$n"
done
mark=$(($(now_us) * 1000))
since=(-v t="$mark")
daemon_stop a KILL
wait_for "b to hold its promote" 20 holds_promote b
zkctl b switchover --to c --force --wait 20s >"$T/force.out" 2>&1 ||
	fail "switchover --force exited $?: $(cat "$T/force.out")"
grep -q "c leads" "$T/force.out" || fail "the command does not say c leads: $(cat "$T/force.out")"
wait_for "c's promote to end" 10 hook_seen c promote end
promotes=$(hook_awk "" start "${since[@]}" 'ns >= t && event == "promote"')
[ "$(echo "$promotes" | grep -c .)" -eq 1 ] || fail "not exactly one promote: $promotes"
[ "$(hook_field id "$promotes")" = c ] || fail "the promote was not on c: $promotes"
[ "$(hook_field reason "$promotes")" = forced ] || fail "c's promote: $promotes"
[ -z "$(hook_awk b start "${since[@]}" 'ns >= t && event != "follow"')" ] ||
	fail "b ran a hook other than follow"
paused c || fail "c is no longer paused"
pass
