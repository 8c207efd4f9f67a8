#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (the same code runs under ASan in t_switchover and t_pause)
# A failed switchover changes nothing (rule 25). b, ahead of the target, is
# stopped (SIGSTOP, a long session timeout), so the request waits in state
# moving. 1: the target c dies (SIGKILL): the leader a cancels, the command
# exits 1 naming c, a keeps leading with its epoch and ran no hook. 2: with
# --wait 2s and b still stopped, the command cancels at its deadline and
# names the step still pending (b ahead of d); a still leads, no hook ran.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when a's state file shows the switchover request in STATE.
request_is() {
	[[ $(state_of a SWITCHOVER 2>/dev/null) == "$1 "* ]]
}

zk_start
write_conf a
write_conf b "zookeeper.session_timeout=30s"
write_conf c
write_conf d
start_queue a b c d
epoch=$(state_of a EPOCH)
hooks=$(hook_lines a | wc -l)
daemon_stop b STOP

# 1: the target dies before the leader has demoted
rc=0
zkctl a switchover --to c --wait 20s >"$T/out1" 2>&1 &
cmd=$!
wait_for "the request to be moving" 10 request_is moving
daemon_stop c KILL
wait "$cmd" || rc=$?
[ "$rc" -eq 1 ] || fail "switchover exited $rc, not 1: $(cat "$T/out1")"
if ! grep -q "cancelled" "$T/out1" || ! grep -q "c left the line" "$T/out1"; then
	fail "the command does not say it was cancelled because c left: $(cat "$T/out1")"
fi

# 2: the deadline, with b still ahead of d. zkelectctl's own deadline and the
# leader's (the request's wait, the same 2 s) race: whichever passes first, the
# report names the contender still ahead.
rc=0
zkctl a switchover --to d --wait 2s >"$T/out2" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a switchover that could not finish exited 0: $(cat "$T/out2")"
if ! grep -q -e "after 2s" -e "the leader's deadline passed" "$T/out2" ||
	! grep -q "pending: b" "$T/out2"; then
	fail "the deadline report does not name b ahead of d: $(cat "$T/out2")"
fi
wait_for "the request to be cancelled" 10 request_is cancelled

daemon_stop b CONT
[ "$(state_of a ROLE)" = leader ] || fail "a is $(state_of a ROLE)"
[ "$(state_of a EPOCH)" = "$epoch" ] || fail "a's epoch changed: $(state_of a EPOCH)"
[ "$(hook_lines a | wc -l)" -eq "$hooks" ] || fail "a ran a hook: $(hook_lines a | tail -n 2)"
hook_awk "" start 'event == "promote" && id != "a"' | grep -q . && fail "another node promoted"
pass
