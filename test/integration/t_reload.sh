#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# SIGHUP: a valid change of [hooks] applies without a role change (the next
# promote, after a resign, runs the new hook); an invalid file is reported as
# FILE:LINE: and changes nothing (still leader, old settings in force); a change of
# election data makes the leader demote (reason resigned) and join again with a new
# znode whose data `zkelectctl list` shows.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when a's state file says ROLE.
role_is() {
	[ "$(state_of a ROLE 2>/dev/null)" = "$1" ]
}

# How many lines of a's log match the fixed string S.
log_count() {
	grep -cF -- "$1" "$T/a.log"
}

# True when a's log has more than N lines matching S.
log_more() {
	[ "$(log_count "$2")" -gt "$1" ]
}

# How many hook runs of EVENT on a have started.
starts() {
	hook_awk a start -v e="$1" 'event == e' | wc -l
}

# True when more than N runs of EVENT on a have ended.
ends_more() {
	[ "$(hook_awk a end -v e="$2" 'event == e' | wc -l)" -gt "$1" ]
}

# True when a leads with a promote run finished and more than N lines in the marker.
leading_after() {
	role_is leader && [ "$(wc -l <"$T/marker" 2>/dev/null || echo 0)" -gt "$1" ] &&
		[ "$(starts promote)" -eq "$(hook_awk a end 'event == "promote"' | wc -l)" ]
}

zk_start
# The second promote hook: note the run, then do what the test hook does.
cat >"$T/hook2.sh" <<EOF
#!/bin/bash
echo "\$ZKELECT_EVENT \$ZKELECT_REASON" >>"$T/marker"
exec "$T/hook.sh" "\$@"
EOF
chmod 755 "$T/hook2.sh"

write_conf a "election.data=old-data"
daemon_start a
wait_for "a to lead" 20 role_is leader
wait_for "a's promote to end" 10 ends_more 0 promote
trans=$(state_of a TRANSITIONS)
znode=$(state_of a ZNODE)
epoch=$(state_of a EPOCH)

# 1. A valid change of [hooks]: applied at once, no role change.
write_conf a "election.data=old-data" "hooks.promote=$T/hook2.sh"
n=$(log_count "reload: new settings applied")
daemon_stop a HUP
wait_for "the reload to be applied" 10 log_more "$n" "reload: new settings applied"
role_is leader || fail "a is $(state_of a ROLE) after a [hooks] reload"
[ "$(state_of a TRANSITIONS)" = "$trans" ] ||
	fail "TRANSITIONS went from $trans to $(state_of a TRANSITIONS) on a [hooks] reload"
[ "$(state_of a ZNODE)" = "$znode" ] || fail "a's znode changed on a [hooks] reload"
[ "$(state_of a EPOCH)" = "$epoch" ] || fail "a's epoch changed on a [hooks] reload"
[ "$(starts demote)" -eq 0 ] || fail "a [hooks] reload ran a demote: $(hook_lines a)"
[ ! -e "$T/marker" ] || fail "the new promote hook ran without a promote: $(cat "$T/marker")"
# the next promote (after a resign) runs the new hook
zkctl a resign || fail "zkelectctl resign exited $?"
wait_for "a to lead again through the new hook" 20 leading_after 0
[ "$(cat "$T/marker")" = "promote elected" ] || fail "the new hook saw: $(cat "$T/marker")"
[ "$(starts promote)" -eq 2 ] || fail "$(starts promote) promote runs, not 2: $(hook_lines a)"
[ "$(hook_awk a start 'event == "demote" { print reason, role }' | tail -n 1)" = "resigned follower" ] ||
	fail "the resign's demote: $(hook_lines a start | tail -n 2)"

# 2. An invalid file: FILE:LINE: logged, still leader, old settings in force.
trans=$(state_of a TRANSITIONS)
znode=$(state_of a ZNODE)
write_conf a "election.data=old-data" "hooks.promote=$T/hook.sh" "bogus_key = 1"
bad_line=$(grep -n '^bogus_key' "$T/a.conf" | cut -d: -f1)
daemon_stop a HUP
wait_for "the invalid reload to be reported" 10 log_more 0 "$T/a.conf:$bad_line:"
daemon_running a || fail "a stopped on an invalid reload"
role_is leader || fail "a is $(state_of a ROLE) after an invalid reload"
[ "$(state_of a TRANSITIONS)" = "$trans" ] || fail "TRANSITIONS changed on an invalid reload"
[ "$(state_of a ZNODE)" = "$znode" ] || fail "a's znode changed on an invalid reload"
# the promote hook is still hook2.sh (zkelectctl would refuse the invalid file: signal)
daemon_stop a USR1
wait_for "a to lead again through the old settings' hook" 20 leading_after 1
[ "$(starts promote)" -eq 3 ] || fail "$(starts promote) promote runs, not 3: $(hook_lines a)"

# 3. A change of election data: demote (resigned), leave, join with a new znode.
znode=$(state_of a ZNODE)
demotes=$(starts demote)
promotes=$(starts promote)
write_conf a "election.data=new-data" "hooks.promote=$T/hook2.sh"
daemon_stop a HUP
wait_for "a's demote on the data change" 10 ends_more "$demotes" demote
[ "$(hook_awk a start 'event == "demote" { print reason, role }' | tail -n 1)" = "resigned follower" ] ||
	fail "the data change's demote: $(hook_lines a start | tail -n 1)"
wait_for "a to lead with new data" 20 leading_after 2
[ "$(starts promote)" -eq $((promotes + 1)) ] || fail "promote runs: $(hook_lines a)"
[ "$(state_of a ZNODE)" != "$znode" ] || fail "a kept its znode $znode across a data change"
[ "$(state_of a LEADER_DATA)" = new-data ] || fail "a's state says data '$(state_of a LEADER_DATA)'"
zkctl a list >"$T/list" || fail "list exited $?"
[ "$(wc -l <"$T/list")" -eq 1 ] || fail "list shows: $(cat "$T/list")"
IFS=$'\t' read -r _ id _ z data _ <"$T/list"
{ [ "$id" = a ] && [ "$z" = "$(state_of a ZNODE)" ] && [ "$data" = new-data ]; } ||
	fail "list shows: $(cat "$T/list")"
# promote and demote alternate on a (it led at once: no start-up demote)
seq=$(hook_awk a start 'event != "follow" { printf "%s ", event }')
[[ $seq =~ ^promote( demote promote)*\ $ ]] || fail "a's hooks do not alternate: $seq"
daemon_stop a
[ "$LAST_EXIT" -eq 0 ] || fail "a exited $LAST_EXIT after SIGTERM"
pass
