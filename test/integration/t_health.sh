#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# [health] (rule 15): an unhealthy follower leaves the election (its znode is
# deleted, so it is skipped when the leader goes); an unhealthy leader demotes
# (reason health-failed, role withdrawn) and leaves, and the next healthy node
# leads; a node that recovers joins again at the back. A node with a check
# joins only after its first success.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME holds no znode.
no_znode() {
	[ -z "$(state_of "$1" ZNODE)" ]
}

# True when NAME's state says HEALTH=VALUE.
health_is() {
	[ "$(state_of "$1" HEALTH)" = "$2" ]
}

health=("health.command=$T/hook.sh" "health.interval=200ms" "health.timeout=2s"
	"health.fall=2" "health.rise=2")
zk_start
for n in a b c d; do
	write_conf "$n" "${health[@]}"
done
start_queue a b c
[ "$(state_of a HEALTH)" = ok ] || fail "a's HEALTH: $(state_of a HEALTH)"

# c (a follower) becomes unhealthy: it leaves, no hook runs
echo 1 >"$T/c/HOOK_EXIT_health"
wait_for "c to withdraw" 10 role_is c withdrawn
wait_for "c to drop its znode" 10 no_znode c
[ "$(state_of c HEALTH)" = failing ] || fail "c's HEALTH: $(state_of c HEALTH)"
hook_awk c start '(event == "promote" || event == "demote") && reason == "health-failed"' |
	grep -q . && fail "c ran a hook"

# a (the leader) becomes unhealthy: it demotes and leaves; b leads, c is skipped
echo 1 >"$T/a/HOOK_EXIT_health"
wait_for "a to demote (health-failed)" 10 hook_seen_reason a demote end health-failed
hook_awk a end 'event == "demote" && reason == "health-failed" && role == "withdrawn"' | grep -q . ||
	fail "a's demote role: $(hook_lines a end | tail -n 1)"
wait_for "b to lead" 10 role_is b leader
wait_for "a to withdraw" 10 role_is a withdrawn
hook_seen c promote start && fail "the unhealthy c promoted"

# recovery: c, then a, join again at the back
rm "$T/c/HOOK_EXIT_health"
wait_for "c to follow again" 10 role_is c follower
wait_for "c last in the list" 10 last_in_list c
rm "$T/a/HOOK_EXIT_health"
wait_for "a to follow again" 10 role_is a follower
wait_for "a last in the list" 10 last_in_list a
[ "$(state_of b ROLE)" = leader ] || fail "b lost the lead"

# a node whose check fails from the start never joins until it passes
mkdir -p "$T/d"
echo 1 >"$T/d/HOOK_EXIT_health"
daemon_start d
wait_for "d's check to fail" 10 health_is d failing
no_znode d || fail "d joined while unhealthy"
[ "$(state_of d ROLE)" = starting ] || fail "d is $(state_of d ROLE)"
rm "$T/d/HOOK_EXIT_health"
wait_for "d to follow" 10 role_is d follower
pass
