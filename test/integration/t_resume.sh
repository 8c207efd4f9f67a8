#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: the code it drives runs under ASan in other tests)
# Resuming the session after a crash (rule 22, docs/resume.md). Session 6 s.
# 1. The leader's daemon is SIGKILLed and started again 0.2 s later: it resumes
#    its session and znode, leads with the same epoch and runs promote with
#    reason resumed; no start-up demote, and the follower sees nothing at all.
# 2. The follower's daemon likewise: follow with reason resumed, nothing else.
# 3. A session file readable by others is not used: one log line says why, the
#    file is removed, and the start is today's (start-up demote).
# 4. ZooKeeper does not answer the resume (every connection reset): the start-up
#    demote runs within a third of the session timeout; once ZooKeeper answers
#    (the session is still alive) the node leads again with the same epoch.
# 5. The session expired before the restart: the start is today's.
# The password in the session file is never in a log or the state file.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# Hook records of NAME so far.
nlines() {
	hook_lines "$1" | wc -l
}

# True when NAME ran EVENT for REASON since its record number FROM.
seen_since() {
	hook_awk "$1" end -v e="$2" -v r="$3" 'event == e && reason == r' | tail -n +"$4" | grep -q .
}

# How many runs of EVENT for REASON NAME ended so far.
ends() {
	hook_awk "$1" end -v e="$2" -v r="$3" 'event == e && reason == r' | wc -l
}

zk_start
proxy_start a
write_conf a "zookeeper.hosts=127.0.0.1:${PROXY_PORT[a]}" "zookeeper.session_timeout=6s"
write_conf b "zookeeper.session_timeout=6s"
start_queue a b
wait_for "b's follow to end" 10 hook_seen b follow end
epoch=$(state_of a EPOCH)
znode=$(state_of a ZNODE)
[ "$(stat -c %a "$T/a/zkelectd.session")" = 600 ] || fail "session file mode $(stat -c %a "$T/a/zkelectd.session")"
grep -q "^znode=$znode\$" "$T/a/zkelectd.session" || fail "the session file lacks znode $znode"

# 1. the leader crashes and comes back at once
b_before=$(nlines b)
a_before=$(nlines a)
daemon_stop a KILL
sleep 0.2	# systemd's RestartSec
daemon_start a
wait_for "a to promote again (resumed)" 10 hook_seen_reason a promote end resumed
[ "$(state_of a EPOCH)" = "$epoch" ] || fail "a leads with epoch $(state_of a EPOCH), not $epoch"
[ "$(state_of a ZNODE)" = "$znode" ] || fail "a's znode changed: $(state_of a ZNODE)"
[ "$(hook_lines a | tail -n +$((a_before + 1)) | grep -c .)" -eq 2 ] ||
	fail "a ran more than the resumed promote: $(hook_lines a | tail -n +$((a_before + 1)))"
[ "$(nlines b)" -eq "$b_before" ] || fail "b saw the crash: $(hook_lines b | tail -n +$((b_before + 1)))"
[ "$(state_of b EPOCH)" = "$epoch" ] || fail "b's leader epoch is $(state_of b EPOCH)"
grep -q "resume: session 0x.* resumed; still the leader" "$T/a.log" || fail "no resume line in a's log"

# 2. the follower crashes and comes back at once
a_before=$(nlines a)
b_before=$(nlines b)
daemon_stop b KILL
sleep 0.2
daemon_start b
wait_for "b to follow again (resumed)" 10 hook_seen_reason b follow end resumed
[ "$(hook_lines b | tail -n +$((b_before + 1)) | grep -c .)" -eq 2 ] ||
	fail "b ran more than the resumed follow: $(hook_lines b | tail -n +$((b_before + 1)))"
[ "$(nlines a)" -eq "$a_before" ] || fail "a saw b's crash"

# the password is nowhere else
pw=$(sed -n 's/^passwd=//p' "$T/a/zkelectd.session")
[ -n "$pw" ] || fail "no password in the session file"
grep -rqF "$pw" "$T"/*.log "$T"/a/zkelectd.state "$T"/b/zkelectd.state && fail "the password leaked"

# 3. a session file others can read is refused
daemon_stop b KILL
chmod 644 "$T/b/zkelectd.session"
follows=$(ends b follow leader-changed)
startups=$(ends b demote startup)
daemon_start b
wait_for "b's start-up demote" 10 seen_since b demote startup "$((startups + 1))"
grep -q "not using the session file $T/b/zkelectd.session: mode 0644" "$T/b.log" ||
	fail "no line saying why the file was refused"
wait_for "b to follow again" 20 seen_since b follow leader-changed "$((follows + 1))"
[ "$(stat -c %a "$T/b/zkelectd.session")" = 600 ] || fail "b's new session file is not 0600"

# 4. the resume is not answered in time
elected_before=$(ends a promote elected)
daemon_stop a KILL
kill_us=$(now_us)
proxy_mode a reset
daemon_start a
wait_for "a's start-up demote" 10 hook_seen_reason a demote start startup
demote_ns=$(hook_awk a start 'event == "demote" && reason == "startup" { print ns }' | tail -n 1)
[ $((demote_ns / 1000 - kill_us)) -lt 3000000 ] ||
	fail "the start-up demote began $(((demote_ns / 1000 - kill_us) / 1000)) ms after the kill (bound 2 s after the restart)"
proxy_mode a pass
wait_for "a to lead again" 10 seen_since a promote elected "$((elected_before + 1))"
[ "$(state_of a EPOCH)" = "$epoch" ] || fail "a leads with epoch $(state_of a EPOCH), not $epoch"
hook_seen b promote start && fail "b promoted"

# 5. the session expired before the restart
startups=$(ends a demote startup)
daemon_stop a KILL
wait_for "b to lead" 20 hook_seen b promote end
daemon_start a
wait_for "a to follow b" 20 seen_since a follow leader-changed 1
grep -q "resume: the saved session has expired; starting afresh" "$T/a.log" ||
	fail "no line saying the saved session expired"
seen_since a demote startup "$((startups + 1))" || fail "no start-up demote after the expired resume"
[ "$(state_of a ROLE)" = follower ] || fail "a is $(state_of a ROLE)"
pass
