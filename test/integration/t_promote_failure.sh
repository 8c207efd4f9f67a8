#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# on_promote_failure = resign: a's promote exits 1; a demotes (reason
# promote-failed, role withdrawn), b leads, and a joins again after its back-off
# (follower). on_promote_failure = stay on a single node c: c's promote exits 1
# and c stays leader.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's state file says ROLE.
role_is() {
	[ "$(state_of "$1" ROLE 2>/dev/null)" = "$2" ]
}

# True when ID's hook EVENT has logged PHASE at least N times.
hook_count_ge() {
	[ "$(hook_awk "$1" "$3" -v e="$2" 'event == e' | wc -l)" -ge "$4" ]
}

# True when NAME is a follower of LEADER.
follows() {
	role_is "$1" follower && [ "$(state_of "$1" LEADER_ID 2>/dev/null)" = "$2" ]
}

# The promote and demote runs of ID, in order, as one line.
pd_sequence() {
	hook_awk "$1" start 'event != "follow" { printf "%s ", event }'
}

zk_start
# a's promote fails after 2 s (b is queued behind a by then).
mkdir -p "$T/a"
echo 1 >"$T/a/HOOK_EXIT_promote"
echo 2 >"$T/a/HOOK_SLEEP_promote"
write_conf a "hooks.on_promote_failure=resign" "hooks.promote_backoff=1s"
write_conf b
daemon_start a
wait_for "a's promote to start" 20 hook_seen a promote start
daemon_start b
wait_for "a's demote after the failed promote" 10 hook_count_ge a demote end 1
demote=$(hook_awk a start 'event == "demote"' | sed -n 1p)
[ "$(hook_field reason "$demote") $(hook_field role "$demote")" = "promote-failed withdrawn" ] ||
	fail "a's demote: $demote"
grep -q 'the promote hook failed' "$T/a.log" || fail "a's log does not say the promote failed"
wait_for "b to lead" 20 role_is b leader
wait_for "b's promote to end" 10 hook_seen b promote end
wait_for "a to join again as b's follower" 15 follows a b
[ "$(leader_count)" -eq 1 ] || fail "$(leader_count) leaders"
zkctl a list >"$T/list" || fail "list exited $?"
awk -F '\t' '{ printf "%s ", $2 }' "$T/list" | grep -qx 'b a ' || fail "list: $(cat "$T/list")"
# a led at once (no start-up demote); b was behind a at start
[ "$(pd_sequence a)" = "promote demote " ] || fail "a's hook runs: $(pd_sequence a)"
[ "$(pd_sequence b)" = "demote promote " ] || fail "b's hook runs: $(pd_sequence b)"

# stay: a single node on another path keeps leading after its promote failed.
mkdir -p "$T/c"
echo 1 >"$T/c/HOOK_EXIT_promote"
write_conf c "election.path=$ELECTION_PATH-stay" "hooks.on_promote_failure=stay"
daemon_start c
wait_for "c's promote to end" 20 hook_seen c promote end
wait_for "c's log to say it stays leader" 5 grep -q 'staying leader' "$T/c.log"
role_is c leader || fail "c is $(state_of c ROLE) after its failed promote"
# nothing may follow during the next 2 s (the point is that no demote comes)
sleep 2
role_is c leader || fail "c is $(state_of c ROLE) 2 s after its failed promote"
[ "$(pd_sequence c)" = "promote " ] || fail "c's hook runs: $(pd_sequence c)"
zkctl c is-leader || fail "is-leader says c does not lead"
{ [ "$(state_of c LAST_HOOK)" = promote ] && [ "$(state_of c LAST_HOOK_STATUS)" = "exit 1" ]; } ||
	fail "c's state: LAST_HOOK=$(state_of c LAST_HOOK) LAST_HOOK_STATUS=$(state_of c LAST_HOOK_STATUS)"
pass
