#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# SIGTERM of the leader: it runs its demote hook (reason shutdown) to the end,
# then deletes its znode, then closes its session; the successor's promote
# starts only after that demote ended (rule 11). The old leader exits 0,
# removes its PID file and its state file says stopped.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

zk_start
mkdir -p "$T/a"
echo 1 >"$T/a/HOOK_SLEEP_demote"	# a slow demote makes an early promote visible
write_conf a "hooks.demote_timeout=10s"
write_conf b
write_conf c
start_queue a b c
old_epoch=$(state_of a EPOCH)
daemon_stop a
[ "$LAST_EXIT" -eq 0 ] || fail "a exited $LAST_EXIT"
[ -e "$T/a/zkelectd.pid" ] && fail "a left its PID file"
[ "$(state_of a ROLE)" = stopped ] || fail "a's state: $(state_of a ROLE)"
wait_for "a new leader" 20 test_leaders 1
new=$(leader_name)
demote_end=$(hook_awk a end 'event == "demote" && reason == "shutdown" { print ns }')
[ -n "$demote_end" ] || fail "a's shutdown demote did not end: $(hook_lines a)"
promote_start=$(hook_awk "$new" start 'event == "promote" { print ns }')
[ "$promote_start" -gt "$demote_end" ] ||
	fail "$new promoted $(((demote_end - promote_start) / 1000000)) ms before a's demote ended"
new_epoch=$(state_of "$new" EPOCH)
[ "$new_epoch" -gt "$old_epoch" ] || fail "epoch went from $old_epoch to $new_epoch"
grep -q "deleted $ELECTION_PATH/n_" "$T/a.log" || fail "a's log does not show its znode deleted"
pass
