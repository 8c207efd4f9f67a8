#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (the same code runs under ASan in t_switchover and t_pause)
# [election] priority: after a crash the highest-priority candidate in line
# leads (a lower one elected first yields without a hook); priority 0 never
# leads, not even alone, and yields as soon as another candidate comes;
# failback = yes moves leadership back to a higher-priority node once it has
# been in line for failback_delay (through a switchover).
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's log says it is waiting, priority 0, alone.
alone_said() {
	grep -q "priority 0: not leading" "$T/$1.log"
}

zk_start
write_conf a
write_conf b "election.priority=50"
write_conf c "election.priority=200"
write_conf d "election.priority=0"
start_queue a b c d
zkctl a list --json >"$T/list.json" || fail "list --json exited $?"
"$PYTHON" -c 'import json, sys; l = json.load(open(sys.argv[1])); sys.exit(0 if [(c["id"], c["priority"]) for c in l] == [("a", 100), ("b", 50), ("c", 200), ("d", 0)] else "list --json: %r" % l)' "$T/list.json" ||
	fail "list --json does not show the priorities"
zkctl a list >"$T/list" || fail "list exited $?"
[ "$(cut -f 6 "$T/list" | tr '\n' ' ')" = "100 50 200 0 " ] || fail "list's priorities: $(cat "$T/list")"

# 1: a crashes; b is next but c has the higher priority
mark=$(($(now_us) * 1000))
daemon_stop a KILL
wait_for "c to lead" 20 role_is c leader
wait_for "c's promote to end" 10 hook_seen c promote end
since=(-v t="$mark")
promotes=$(hook_awk "" start "${since[@]}" 'ns >= t && event == "promote"')
[ "$(echo "$promotes" | grep -c .)" -eq 1 ] || fail "not exactly one promote: $promotes"
[ "$(hook_field id "$promotes")" = c ] || fail "the promote was not on c: $promotes"
grep -q "yielding to c" "$T/b.log" || fail "b did not say it yielded to c"
for n in b d; do
	other=$(hook_awk "$n" start "${since[@]}" 'ns >= t && event != "follow"')
	[ -z "$other" ] || fail "$n ran more than follow: $other"
done

# 2: priority 0 never leads: with c and b gone, d stays first without promoting
daemon_stop c
wait_for "b to lead" 20 role_is b leader
daemon_stop b
wait_for "d to say it waits alone" 20 alone_said d
hook_awk d start 'event == "promote"' | grep -q . && fail "d (priority 0) promoted"
[ "$(state_of d ROLE)" != leader ] || fail "d (priority 0) says leader"
write_conf a "election.failback=yes" "election.failback_delay=1s"
daemon_start a
wait_for "a to lead" 20 role_is a leader
wait_for "a's promote to end" 10 hook_seen a promote end
hook_awk d start 'event == "promote"' | grep -q . && fail "d (priority 0) promoted"

# 3: failback: c (200) comes back; a (failback = yes) hands over after 1 s
mark=$(($(now_us) * 1000))
daemon_start c
wait_for "c to lead again" 20 role_is c leader
wait_for "c's promote to end" 10 hook_seen c promote end
promote=$(hook_awk c start -v t="$mark" 'ns >= t && event == "promote"')
[ "$(hook_field reason "$promote")" = switchover ] || fail "c's failback promote: $promote"
grep -q "failback: asking for a switchover to c" "$T/a.log" || fail "a did not fail back"
pass
