#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# promote_timeout = 2s and a promote hook on a that starts a grandchild and then
# never ends: after the timeout the hook and its grandchild are gone, the run is
# logged as timed out, a demote follows (reason promote-failed, role withdrawn)
# and b, the other daemon, becomes leader.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's state file says ROLE.
role_is() {
	[ "$(state_of "$1" ROLE 2>/dev/null)" = "$2" ]
}

# True when process PID no longer exists (a zombie left for init counts as gone).
gone() {
	! kill -0 "$1" 2>/dev/null ||
		[[ $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) == Z* ]]
}

# True when ID's hook EVENT has logged PHASE at least N times.
hook_count_ge() {
	[ "$(hook_awk "$1" "$3" -v e="$2" 'event == e' | wc -l)" -ge "$4" ]
}

# True when a's log says its promote run timed out.
timed_out_logged() {
	grep -qE 'hook promote\[[0-9]+\] timed out' "$T/a.log"
}

zk_start
# a's promote hook: a background grandchild, then an endless wait.
cat >"$T/stuck.sh" <<EOF
#!/bin/bash
[ "\$ZKELECT_EVENT" = promote ] || exec "$T/hook.sh" "\$@"
t=\$EPOCHREALTIME
echo "\${t/./}000" >"$T/stuck.start"
sleep 300 &
echo \$! >"$T/grandchild.pid"
echo \$\$ >"$T/stuck.pid"
while :; do
	sleep 1
done
EOF
chmod 755 "$T/stuck.sh"
write_conf a "hooks.promote=$T/stuck.sh" "hooks.promote_timeout=2s" "hooks.promote_backoff=10s"
write_conf b
daemon_start a
wait_for "a's promote hook to start" 20 test -s "$T/stuck.pid"
wait_for "the grandchild's PID" 5 test -s "$T/grandchild.pid"
hook_pid=$(cat "$T/stuck.pid")
gc_pid=$(cat "$T/grandchild.pid")
daemon_start b

# SIGTERM to the group at 2 s ends both (SIGKILL would follow at 7 s).
wait_for "the stuck promote hook to be gone" 10 gone "$hook_pid"
wait_for "the hook's grandchild to be gone" 10 gone "$gc_pid"
wait_for "a to log the timeout" 5 timed_out_logged
wait_for "a's demote after the failed promote" 10 hook_count_ge a demote end 1
demote=$(hook_awk a start 'event == "demote"' | tail -n 1)
[ "$(hook_field reason "$demote") $(hook_field role "$demote")" = "promote-failed withdrawn" ] ||
	fail "a's demote: $demote"
started=$(cat "$T/stuck.start")
demote_at=${demote%% *}
[ $((demote_at - started)) -ge 1900000000 ] ||
	fail "a's demote began $(((demote_at - started) / 1000000)) ms after its promote, before the 2 s timeout"
[ $((demote_at - started)) -lt 7000000000 ] ||
	fail "a's demote began $(((demote_at - started) / 1000000)) ms after its promote"
gone "$gc_pid" || fail "the grandchild outlived the promote run"

wait_for "b to lead" 20 role_is b leader
wait_for "b's promote to end" 10 hook_seen b promote end
[ "$(leader_count)" -eq 1 ] || fail "$(leader_count) leaders"
# a sits out its 10 s back-off: withdrawn, with b known as the leader
role_is a withdrawn || role_is a follower || fail "a is $(state_of a ROLE)"
zkctl b list >"$T/list" || fail "list exited $?"
[ "$(awk -F '\t' 'NR == 1 { print $2 }' "$T/list")" = b ] || fail "list: $(cat "$T/list")"
# a ran exactly one promote (the stuck one, not a recording hook) and its demote; it
# led at once, so no start-up demote
[ "$(hook_awk a start 'event != "follow" { printf "%s ", event }')" = "demote " ] ||
	fail "a's hook runs: $(hook_lines a start)"
pass
