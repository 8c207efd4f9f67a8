#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# mode = observer: o never promotes, its state says observer, its start-up demote
# moves to observer, it runs follow naming the leader, `zkelectctl list` does not
# show it; when the leader stops, o runs follow again with the new leader and a
# greater epoch.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's state file says ROLE.
role_is() {
	[ "$(state_of "$1" ROLE 2>/dev/null)" = "$2" ]
}

# True when NAME's state file says LEADER_ID=ID.
leader_is() {
	[ "$(state_of "$1" LEADER_ID 2>/dev/null)" = "$2" ]
}

# The env.log lines of ID's runs of EVENT: id event leader_id epoch role.
env_lines() {
	awk -v id="$1" -v e="$2" '$1 == id && $2 == e' "$T/env.log" 2>/dev/null
}

# True when ID has run follow naming LEADER.
followed() {
	env_lines "$1" follow | awk -v l="$2" '$3 == l' | grep -q .
}

zk_start
# Each hook notes who it was told leads, then does what the test hook does.
cat >"$T/env.sh" <<EOF
#!/bin/bash
echo "\$ZKELECT_ID \$ZKELECT_EVENT \${ZKELECT_LEADER_ID:--} \${ZKELECT_EPOCH:--} \$ZKELECT_ROLE" >>"$T/env.log"
exec "$T/hook.sh" "\$@"
EOF
chmod 755 "$T/env.sh"
for n in a b; do
	write_conf "$n" "hooks.promote=$T/env.sh" "hooks.demote=$T/env.sh" "hooks.follow=$T/env.sh"
done
write_conf o "election.mode=observer" \
	"hooks.promote=$T/env.sh" "hooks.demote=$T/env.sh" "hooks.follow=$T/env.sh"

daemon_start a
wait_for "a to lead" 20 role_is a leader
wait_for "a's promote to end" 10 hook_seen a promote end
daemon_start b
daemon_start o
wait_for "b to follow" 20 role_is b follower
wait_for "o to be an observer" 20 role_is o observer
wait_for "o to follow a" 10 followed o a
epoch1=$(env_lines o follow | tail -n 1 | cut -d' ' -f4)
[ "$epoch1" = "$(state_of a EPOCH)" ] || fail "o's follow got epoch $epoch1, a's state says $(state_of a EPOCH)"
[ "$(env_lines o follow | tail -n 1 | cut -d' ' -f5)" = observer ] ||
	fail "o's follow: $(env_lines o follow)"
[ "$(state_of o LEADER_ID)" = a ] || fail "o's state says LEADER_ID=$(state_of o LEADER_ID)"
[ -z "$(state_of o ZNODE)" ] || fail "the observer has a znode: $(state_of o ZNODE)"
first=$(hook_lines o start | head -n 1)
[ "$(hook_awk o start '{ print event, phase, epoch, reason, role; exit }')" = \
    "demote start - startup observer" ] || fail "o's first hook run: $first"
zkctl o list >"$T/list" || fail "list exited $?"
[ "$(cut -f 2 "$T/list" | tr '\n' ' ')" = "a b " ] || fail "list: $(cat "$T/list")"
zkctl o is-leader && fail "is-leader says the observer leads"

daemon_stop a
[ "$LAST_EXIT" -eq 0 ] || fail "a exited $LAST_EXIT after SIGTERM"
wait_for "b to lead" 20 role_is b leader
wait_for "o to follow b" 20 followed o b
epoch2=$(env_lines o follow | tail -n 1 | cut -d' ' -f4)
[ "$(env_lines o follow | tail -n 1 | cut -d' ' -f3)" = b ] || fail "o's last follow: $(env_lines o follow | tail -n 1)"
{ [[ $epoch2 =~ ^[0-9]+$ ]] && [ "$epoch2" -gt "$epoch1" ]; } || fail "o's epochs: $epoch1 then $epoch2"
wait_for "o's state to name b" 10 leader_is o b
role_is o observer || fail "o is $(state_of o ROLE) after the handover"
[ "$(state_of o EPOCH)" = "$epoch2" ] || fail "o's state says EPOCH=$(state_of o EPOCH)"
zkctl o list >"$T/list" || fail "list exited $?"
[ "$(cut -f 2 "$T/list" | tr '\n' ' ')" = "b " ] || fail "list: $(cat "$T/list")"

# o ran follow exactly twice, one per leader, and never promote
[ "$(env_lines o follow | cut -d' ' -f3 | tr '\n' ' ')" = "a b " ] ||
	fail "o's follow runs: $(env_lines o follow)"
hook_seen o promote start && fail "the observer ran promote: $(hook_lines o)"
daemon_stop o
[ "$LAST_EXIT" -eq 0 ] || fail "o exited $LAST_EXIT after SIGTERM"
hook_seen o promote start && fail "the observer ran promote at shutdown: $(hook_lines o)"
pass
