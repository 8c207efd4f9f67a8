#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# zkelectctl switchover --to c, with a b c d e in line (rule 25): b, ahead of
# c, steps back in line (no hook: it never promoted); a demotes (reason
# switchover), leaves and queues again at the back; c then promotes (reason
# switchover) once a's demote has ended, with a greater epoch; d and e run
# follow for c and nothing else. Exactly one promote, on c. The command says
# who leads now, and the request reads done. Then a switchover without --to
# hands over to the next in line.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

zk_start
for n in a b c d e; do
	write_conf "$n"
done
start_queue a b c d e
old_epoch=$(state_of a EPOCH)
b_znode=$(state_of b ZNODE)
mark=$(($(now_us) * 1000))
zkctl a switchover --to c --wait 30s >"$T/out" || fail "switchover exited $?: $(cat "$T/out")"
grep -q "c leads" "$T/out" || fail "the command does not say c leads: $(cat "$T/out")"
wait_for "c's promote to end" 10 hook_seen c promote end
wait_for "a to follow c" 20 follow_seen a "$(state_of c EPOCH)"

since=(-v t="$mark")
promotes=$(hook_awk "" start "${since[@]}" 'ns >= t && event == "promote"')
[ "$(echo "$promotes" | grep -c .)" -eq 1 ] || fail "not exactly one promote: $promotes"
[ "$(hook_field id "$promotes")" = c ] || fail "the promote was not on c: $promotes"
[ "$(hook_field reason "$promotes")" = switchover ] || fail "c's promote reason: $promotes"
demote=$(hook_awk a end "${since[@]}" 'ns >= t && event == "demote"')
[ "$(hook_field reason "$demote")" = switchover ] || fail "a's demote: $demote"
[ "$(hook_field ns "$promotes")" -gt "$(hook_field ns "$demote")" ] ||
	fail "c promoted before a's demote ended"
[ "$(state_of c EPOCH)" -gt "$old_epoch" ] || fail "the epoch did not grow"
for n in b d e; do
	other=$(hook_awk "$n" start "${since[@]}" 'ns >= t && event != "follow"')
	[ -z "$other" ] || fail "$n ran more than follow: $other"
done
[ "$(state_of b ZNODE)" != "$b_znode" ] || fail "b did not step back in line"
zkctl a list >"$T/list" || fail "list exited $?"
[ "$(head -n 1 "$T/list" | cut -f2)" = c ] || fail "c does not lead the list: $(cat "$T/list")"
[ "$(state_of a ROLE)" = follower ] || fail "a is $(state_of a ROLE)"

# without --to: the next in line
next=$(sed -n 2p "$T/list" | cut -f2)
zkctl c switchover --wait 30s >"$T/out2" || fail "switchover exited $?: $(cat "$T/out2")"
wait_for "$next to lead" 20 role_is "$next" leader
pass
