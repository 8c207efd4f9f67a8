#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# A follow hook still running when its node is elected is killed at once (the
# kill is logged) and promote starts as soon as it is reaped: b's follow sleeps
# 30 s; the leader a stops (SIGTERM) meanwhile; b's promote starts well before
# the 30 s are over. On each node promote and demote alternate.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's state file says ROLE.
role_is() {
	[ "$(state_of "$1" ROLE 2>/dev/null)" = "$2" ]
}

# True when a live (not zombie) process is in process group PGID.
group_alive() {
	local f st state pgrp
	for f in /proc/[0-9]*/stat; do
		st=$(sed 's/.*) //' "$f" 2>/dev/null) || continue
		read -r state _ pgrp _ <<<"$st"
		[ "$pgrp" = "$1" ] && [ "$state" != Z ] && return 0
	done
	return 1
}

# The promote and demote runs of ID, in order, as one line.
pd_sequence() {
	hook_awk "$1" start 'event != "follow" { printf "%s ", event }'
}

zk_start
mkdir -p "$T/b"
echo 30 >"$T/b/HOOK_SLEEP_follow"
write_conf a
write_conf b
daemon_start a
wait_for "a to lead" 20 role_is a leader
wait_for "a's promote to end" 10 hook_seen a promote end
daemon_start b
wait_for "b's follow hook to start" 20 hook_seen b follow start
follow_pid=$(pgrep -f -P "$(daemon_pid b)" "$T/hook.sh") || fail "cannot find b's follow hook process"

stop_ns=$(($(now_us) * 1000))
daemon_stop a
[ "$LAST_EXIT" -eq 0 ] || fail "a exited $LAST_EXIT after SIGTERM"
wait_for "b's promote to start" 10 hook_seen b promote start
promote_ns=$(hook_awk b start 'event == "promote" { print ns }' | head -n 1)
[ $((promote_ns - stop_ns)) -lt 8000000000 ] ||
	fail "b's promote started $(((promote_ns - stop_ns) / 1000000)) ms after a's stop"
grep -qE 'hook follow\[[0-9]+\] killed' "$T/b.log" || fail "b's log does not say its follow hook was killed"
hook_seen b follow end && fail "b's follow hook ran to its end: $(hook_lines b)"
kill -0 "$follow_pid" 2>/dev/null && fail "b's follow hook process $follow_pid still exists"
# the follow's sleep went with it (same process group)
group_alive "$follow_pid" && fail "something of b's follow hook's process group is left"
wait_for "b to lead" 10 role_is b leader
wait_for "b's promote to end" 10 hook_seen b promote end

# on each node promote and demote alternate (a led at once: no start-up demote;
# b was behind a, so its start-up demote ran)
[ "$(pd_sequence a)" = "promote demote " ] || fail "a's runs: $(pd_sequence a)"
[ "$(pd_sequence b)" = "demote promote " ] || fail "b's runs: $(pd_sequence b)"
# a's demote (reason shutdown) ended before b's promote began
a_demote_end=$(hook_awk a end 'event == "demote" { print ns }' | tail -n 1)
[ "$a_demote_end" -lt "$promote_ns" ] || fail "b promoted before a's shutdown demote ended"
[ "$(hook_awk a start 'event == "demote" { print reason, role }' | tail -n 1)" = "shutdown stopped" ] ||
	fail "a's last demote: $(hook_lines a start | tail -n 1)"
pass
