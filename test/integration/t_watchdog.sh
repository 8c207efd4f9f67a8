#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only
# (the watchdog's code runs under ASan+UBSan in t_status, whose follower arms
# one when it leads, and in test_watchdog)
# The hardware watchdog while leading (rule 23, docs/watchdog.md), on
# stand-in devices (test/wdstandin.c: a FIFO that records every open, kick
# and close, and a "reset" when kicks stop for longer than its timeout).
# Session 3 s, watchdog timeout 800 ms (the limit is 1 s).
# 1. mode = required with a device that cannot be opened: never leads.
# 2. The leader opens its device before its promote starts and kicks it; the
#    follower never opens its own.
# 3. The leader is SIGKILLed and started again 0.2 s later: it resumes and
#    reopens the device in time: no reset.
# 4. A resign: the demote ends, then the magic close.
# 5. The new leader is stopped longer than the session: its device resets
#    the host before any other node's promote starts.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

WD=$T/watchdog.log

# The stand-in records of NAME for EVENT, as "ns" lines.
wd_times() {
	awk -v n="$1" -v e="$2" '$2 == n && $3 == e { print $1 }' "$WD"
}

wd_seen() {
	[ -n "$(wd_times "$1" "$2")" ]
}

# True once NAME's stand-in saw EVENT at least N times.
wd_count() {
	[ "$(wd_times "$1" "$2" | wc -l)" -ge "$3" ]
}

# True once NAME started more than N promotes.
promotes_above() {
	[ "$(hook_awk "$1" start 'event == "promote"' | wc -l)" -gt "$2" ]
}

# The watchdog config of NAME (its stand-in's FIFO).
wd_conf() {
	write_conf "$1" "zookeeper.session_timeout=3s" "hooks.demote_timeout=1s" \
	    "watchdog.mode=required" "watchdog.device=${2:-$T/$1/wd}" "watchdog.timeout=800ms" \
	    "hooks.promote_backoff=30s"
}

zk_start

# 1. a device that cannot be opened: n never leads, and says why
wd_conf n "$T/n/no-such-device"
daemon_start n
wait_for "n to refuse to lead" 10 grep -q "not leading: .*no-such-device" "$T/n.log"
hook_seen n promote start && fail "n promoted without its watchdog"

# 2. x leads with its device armed first; y follows and never opens its own
wd_start x 800
wd_start y 800
wd_conf x
wd_conf y
start_queue x y
wait_for "y's follow to end" 10 hook_seen y follow end
# (the stand-in notices an open a little late: the daemon's own line says when)
wd_seen x open || fail "x never opened its watchdog"
armed_at=$(grep -m1 "watchdog $T/x/wd armed" "$T/x.log" | cut -d' ' -f1)
armed_ns=$(date -d "$armed_at" +%s%N)
promote_ns=$(hook_awk x start 'event == "promote" { print ns }' | head -n 1)
[ "$armed_ns" -lt "$promote_ns" ] || fail "x armed its watchdog after its promote started"
wait_for "x's kicks" 5 wd_seen x kick
wd_seen y open && fail "the follower y opened its watchdog"
hook_seen n promote start && fail "n promoted"

# 3. x crashes and is back 0.2 s later: no reset
daemon_stop x KILL
sleep 0.2	# systemd's RestartSec
daemon_start x
wait_for "x to promote again (resumed)" 10 hook_seen_reason x promote end resumed
wait_for "x's device reopened" 5 wd_count x open 2
wd_seen x close-armed || fail "the crash did not leave x's watchdog armed"
wd_seen x reset && fail "x's host was reset although its daemon came back in time"

# 4. x resigns: the magic close comes after its demote ended
zkctl x resign
wait_for "y to lead" 20 role_is y leader
wait_for "x's magic close" 5 wd_seen x magic-close
demote_end=$(hook_awk x end 'event == "demote" && reason == "resigned" { print ns }' | tail -n 1)
[ "$(wd_times x magic-close | tail -n 1)" -gt "$demote_end" ] ||
	fail "x's watchdog was disarmed before its demote ended"
wait_for "y's device armed" 5 wd_seen y open

# 5. y freezes for longer than the session: its host is reset before x promotes
before=$(hook_awk x start 'event == "promote"' | wc -l)
kill -s STOP "$(daemon_pid y)"
event_mark y STOP
wait_for "x to promote" 20 promotes_above x "$before"
kill -s CONT "$(daemon_pid y)"
event_mark y CONT
reset_ns=$(wd_times y reset | head -n 1)
[ -n "$reset_ns" ] || fail "y's watchdog never reset its host"
x_promote=$(hook_awk x start 'event == "promote" { print ns }' | tail -n 1)
[ "$reset_ns" -lt "$x_promote" ] ||
	fail "y's host was reset $(((reset_ns - x_promote) / 1000000)) ms after x's promote started"
wd_seen x reset && fail "x's host was reset"
hook_seen n promote start && fail "n promoted"
pass
