#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only
# (timing: the stalls are placed to the 0.3 s around the deadline; the code it
# exercises runs under ASan+UBSan in t_sigstop_expiry, t_resume and t_chaos)
# A short stall costs nothing (rule 6, docs/safety.md). Session 3 s, so a
# leader may lead until 1.5 s after it sent the last request the server
# answered through the ensemble's leader (its deadline: 2/3 of the session
# after that request, less one probe interval of 0.5 s).
# Each stall starts right after a known answer: the test rewrites the
# announcement, whose data watch the leader holds, waits until the leader has
# written its own again (its requests are what the server heard last), and
# stops it at once. Under: stopped 0.8 s, the leader wakes 0.7 s before its deadline,
# asks the server and keeps leading: no hook runs anywhere. Over: stopped
# 1.75 s, it wakes past its deadline and demotes at once, before the session
# can expire, so the follower never promotes; the session is still alive, so
# the leader leads again with the same epoch. The invariant checker judges
# the run.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

ZKPUT=$(dirname "$ZKELECTD")/zkput

# Hold A stopped for MS milliseconds, right after the server told it something.
stall() {
	local pid
	pid=$(daemon_pid a)
	"$ZKPUT" "$ZK_HOSTS" set "$ELECTION_PATH/leader" "x" 2>>"$T/zkput.log" ||
		fail "cannot rewrite the announcement"
	# a's answer: it reads the announcement and writes its own again (a watch
	# event alone is no contact: only a's own requests restart the session's clock)
	wait_for "a to write its announcement again" 5 announced_by_a
	kill -s STOP "$pid"
	event_mark a STOP
	sleep "$(awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }')"	# the stall itself
	kill -s CONT "$pid"
	event_mark a CONT
}

# True when the announcement names a again (a valid one: zkelectctl leader reads it).
announced_by_a() {
	[ "$("$ZKELECTCTL" -c "$T/a.conf" leader 2>/dev/null | sed -n "s/^LEADER_ID='\(.*\)'$/\1/p")" = a ]
}

# The Nth wake line of a's log (the daemon's own account of the stall).
wake_line() {
	grep "the event loop woke" "$T/a.log" | sed -n "${1}p"
}

# True once a's log has N wake lines.
woke() {
	[ -n "$(wake_line "$1")" ]
}

# True once a has ended N promotes.
promotes() {
	[ "$(hook_awk a end 'event == "promote"' | wc -l)" -ge "$1" ]
}

zk_start
write_conf a "zookeeper.session_timeout=3s" "hooks.demote_timeout=1s"
write_conf b "zookeeper.session_timeout=3s" "hooks.demote_timeout=1s"
start_queue a b
wait_for "b's follow to end" 10 hook_seen b follow end
epoch=$(state_of a EPOCH)
before=$(hook_lines "" | wc -l)

# under the point: nothing happens
stall 800
wait_for "a's account of the stall" 10 woke 1
line=$(wake_line 1)
[[ $line =~ deadline\ in\ ([0-9]+)\ ms ]] || fail "a woke past its deadline: $line"
left=${BASH_REMATCH[1]}
[ "$left" -ge 150 ] || fail "a woke only $left ms before its deadline (test timing off): $line"
# the deadline a gave itself passes; it must still lead, with no hook run anywhere
sleep "$(awk -v ms="$left" 'BEGIN { printf "%.3f", (ms + 300) / 1000 }')"	# past that deadline
[ "$(hook_lines "" | wc -l)" -eq "$before" ] || fail "hooks ran: $(hook_lines "" | tail -n +$((before + 1)))"
[ "$(state_of a ROLE)" = leader ] || fail "a is $(state_of a ROLE)"
grep -q "leadership is no longer safe" "$T/a.log" && fail "a gave up leadership"

# over the point: demote at once, lead again with the same epoch
stall 1750
wait_for "a's second account" 10 woke 2
[[ $(wake_line 2) == *"deadline passed"* ]] || fail "a woke before its deadline: $(wake_line 2)"
wait_for "a to demote" 10 hook_seen_reason a demote end 'connection-lost|session-expired'
wait_for "a to lead again" 20 promotes 2
[ "$(state_of a EPOCH)" = "$epoch" ] || fail "a leads with epoch $(state_of a EPOCH), not $epoch"
hook_seen b promote start && fail "b promoted"
check_log 3000
pass
