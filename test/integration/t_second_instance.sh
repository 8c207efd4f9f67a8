#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# A second zkelectd on the same configuration (same PID file) exits 1 naming the
# first one's PID, runs no hook and leaves the state file and the session file
# alone (it never reads the session: only the PID lock's holder may resume
# it); the first keeps running and leading.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when a's state file says ROLE.
role_is() {
	[ "$(state_of a ROLE 2>/dev/null)" = "$1" ]
}

# True when a's promote run has ended and a has recorded it (its state file no
# longer changes on its own; the hook's own log line comes before that).
promoted() {
	hook_seen a promote end &&
		[ "$(state_of a LAST_HOOK_STATUS 2>/dev/null)" != running ] &&
		[ "$(state_of a LAST_HOOK 2>/dev/null)" = promote ]
}

zk_start
write_conf a
daemon_start a
wait_for "a to lead" 20 role_is leader
wait_for "a's promote to end" 10 promoted
pid=$(daemon_pid a)
hooks_before=$(hook_lines | wc -l)
state_before=$(cat "$T/a/zkelectd.state")
session_before=$(stat -c '%i %Y %s' "$T/a/zkelectd.session") || fail "a has no session file"

rc=0
timeout 20 "$ZKELECTD" -c "$T/a.conf" </dev/null >"$T/second.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "the second instance exited $rc, not 1: $(cat "$T/second.log")"
grep -qw -- "$pid" "$T/second.log" ||
	fail "the second instance does not name PID $pid: $(cat "$T/second.log")"
[ "$(hook_lines | wc -l)" -eq "$hooks_before" ] ||
	fail "the second instance ran a hook: $(hook_lines | tail -n 2)"
[ "$(cat "$T/a/zkelectd.state")" = "$state_before" ] ||
	fail "the second instance changed the state file: $(cat "$T/a/zkelectd.state")"
[ "$(stat -c '%i %Y %s' "$T/a/zkelectd.session")" = "$session_before" ] ||
	fail "the second instance touched the session file"
grep -q "resume\|session file" "$T/second.log" && fail "the second instance looked at the session: $(cat "$T/second.log")"
[ "$(tr -d '[:space:]' <"$T/a/zkelectd.pid" 2>/dev/null)" = "$pid" ] ||
	fail "the PID file now says '$(cat "$T/a/zkelectd.pid" 2>/dev/null)', not $pid"

daemon_running a || fail "the first instance is gone"
role_is leader || fail "the first instance is $(state_of a ROLE)"
[ "$(state_of a PID)" = "$pid" ] || fail "the state file says PID $(state_of a PID)"
zkctl a is-leader || fail "is-leader says the first instance does not lead"
zkctl a list >"$T/list" || fail "list exited $?"
[ "$(wc -l <"$T/list")" -eq 1 ] || fail "list shows more than one node: $(cat "$T/list")"
daemon_stop a
[ "$LAST_EXIT" -eq 0 ] || fail "the first instance exited $LAST_EXIT after SIGTERM"
[ ! -e "$T/a/zkelectd.pid" ] || fail "the PID file is still there after a clean stop"
pass
