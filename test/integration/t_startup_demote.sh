#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# Start-up (rule 17). demote_on_start = yes: the first hook run of a fresh
# daemon is a demote (reason startup, role follower), run before ZooKeeper is
# contacted (state starting, no znode); with demote_on_start = no there is none.
# A leader killed with SIGKILL and restarted at once (same id, the default
# unless-leader) without its session file (so it cannot resume: t_resume covers
# that) leaves its old znode behind until its session expires: the new daemon
# is behind it, so it demotes at once and must not promote while that znode is
# still listed. (t_startup_join_first: unless-leader on its own.)
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's state file says ROLE.
role_is() {
	[ "$(state_of "$1" ROLE 2>/dev/null)" = "$2" ]
}

# How many runs of EVENT on ID have started.
starts() {
	hook_awk "$1" start -v e="$2" 'event == e' | wc -l
}

zk_start

# 1. demote_on_start = yes, held for 1 s so we can look at it.
mkdir -p "$T/a"
echo 1 >"$T/a/HOOK_SLEEP_demote"
write_conf a "election.demote_on_start=yes"
daemon_start a
wait_for "a's start-up demote" 10 hook_seen a demote start
first=$(hook_lines a | head -n 1)
[ "$(hook_awk a "" 'ns ~ /^[0-9]+$/ { print event, phase, epoch, reason, role } { exit }')" = \
    "demote start - startup follower" ] || fail "a's first hook line: $first"
# while it runs, ZooKeeper has not been contacted yet
role_is a starting || fail "a is $(state_of a ROLE) during its start-up demote"
[ -z "$(state_of a ZNODE)" ] || fail "a has a znode during its start-up demote"
zkctl a list >"$T/list" 2>/dev/null || true
[ ! -s "$T/list" ] || fail "a is listed during its start-up demote: $(cat "$T/list")"
wait_for "a to lead" 20 role_is a leader
wait_for "a's promote to end" 10 hook_seen a promote end
rm "$T/a/HOOK_SLEEP_demote"
[ "$(hook_awk a "" '{ printf "%s-%s ", event, phase }')" = "demote-start demote-end promote-start promote-end " ] ||
	fail "a's hook lines: $(hook_lines a)"

# 2. demote_on_start = no: no start-up demote, the first run is the follow.
write_conf b "election.demote_on_start=no"
daemon_start b
wait_for "b to follow" 20 role_is b follower
wait_for "b's follow hook" 10 hook_seen b follow end
[ "$(hook_awk b "" '{ print event; exit }')" = follow ] || fail "b's first hook run: $(hook_lines b | head -n 1)"
[ "$(starts b demote)" -eq 0 ] || fail "b ran a demote with demote_on_start = no: $(hook_lines b)"
daemon_stop b
daemon_stop a

# 3. A lingering node: l leads, is killed, and is restarted at once.
write_conf l "election.path=$ELECTION_PATH-linger" "zookeeper.session_timeout=4s"
daemon_start l
wait_for "l to lead" 20 role_is l leader
wait_for "l's promote to end" 10 hook_seen l promote end
old=$(state_of l ZNODE)
[ -n "$old" ] || fail "l's state has no ZNODE"
daemon_stop l KILL
killed_ns=$(($(now_us) * 1000))
rm "$T/l/zkelectd.session"
daemon_start l
# Until the new promote starts, list the election again and again: remember when
# the old znode was last seen (the time the listing began).
last_seen_ns=0
deadline=$(($(now_us) + 20000000))
while [ "$(starts l promote)" -lt 2 ]; do
	[ "${EPOCHREALTIME/./}" -lt "$deadline" ] || fail "timed out waiting for the restarted l to promote"
	t=$(($(now_us) * 1000))
	if zkctl l list >"$T/list" 2>/dev/null && grep -qF "$old" "$T/list"; then
		last_seen_ns=$t
	fi
	nap 0.05
done
[ "$last_seen_ns" -gt 0 ] || fail "the old znode $old was never seen after the kill"
promote_ns=$(hook_awk l start 'event == "promote" { print ns }' | tail -n 1)
[ "$promote_ns" -gt "$last_seen_ns" ] ||
	fail "l promoted while its old znode was still listed ($(((last_seen_ns - promote_ns) / 1000000)) ms before)"
[ $((promote_ns - killed_ns)) -ge 2500000000 ] ||
	fail "l promoted $(((promote_ns - killed_ns) / 1000000)) ms after the kill, before the old session (4 s) could expire"
zkctl l list >"$T/list" || fail "list exited $?"
grep -qF "$old" "$T/list" && fail "the old znode is still listed after the promote"
[ "$(wc -l <"$T/list")" -eq 1 ] || fail "list: $(cat "$T/list")"
[ "$(cut -f 4 "$T/list")" = "$(state_of l ZNODE)" ] || fail "list: $(cat "$T/list"), state ZNODE=$(state_of l ZNODE)"
wait_for "the restarted l to lead" 10 role_is l leader
# the first l led at once (no start-up demote); the restarted one demoted first, then promoted
[ "$(hook_awk l start 'event != "follow" { printf "%s ", event }')" = "promote demote promote " ] ||
	fail "l's hook runs: $(hook_lines l start)"
[ "$(hook_awk l start 'event == "demote" { print reason, role }' | tail -n 1)" = "startup follower" ] ||
	fail "the restarted l's first demote: $(hook_awk l start 'event == "demote"' | tail -n 1)"
pass
