#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# Upgrade in place (SIGUSR2, zkelectctl upgrade; docs/resume.md). The leader
# runs from a copy of the binary that the test replaces, as a package upgrade
# would. After the upgrade the daemon has the same PID and runs the new file,
# leads with the same epoch, no hook ran on any node and the follower saw
# nothing. The follower upgrades the same way without a follow. An exec that
# fails, or a new binary that rejects the configuration (checked with its -t
# first), leaves the old image running and says why. An upgrade asked for while
# a hook runs waits for it to end.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# The inode of the file the process PID executes.
exe_inode() {
	stat -L -c %i "/proc/$1/exe"
}

# True when NAME's log says it was upgraded in place N times.
upgraded() {
	[ "$(grep -c 'upgraded in place, same pid' "$T/$1.log")" -ge "$2" ]
}

# Replace the copy of the binary with a new file, as dpkg does (a new inode).
new_binary() {
	cp "$ZKELECTD" "$T/bin/zkelectd.new"
	mv -f "$T/bin/zkelectd.new" "$T/bin/zkelectd"
}

zk_start
mkdir -p "$T/bin"
cp "$ZKELECTD" "$T/bin/zkelectd"
write_conf a "zookeeper.session_timeout=6s"
write_conf b "zookeeper.session_timeout=6s"
ZKELECTD=$T/bin/zkelectd daemon_start a
wait_for "a to lead" 20 role_is a leader
wait_for "a's promote to end" 10 hook_seen a promote end
daemon_start b
wait_for "b to follow" 20 hook_seen b follow end
pid=$(daemon_pid a)
epoch=$(state_of a EPOCH)
before=$(hook_lines "" | wc -l)

# an exec that fails: the old image goes on
chmod -x "$T/bin/zkelectd"
zkctl a upgrade && fail "zkelectctl upgrade succeeded with a binary that cannot run"
grep -q "upgrade: cannot execute $T/bin/zkelectd .*; this image goes on" "$T/a.log" ||
	fail "no line saying why the exec failed"
[ "$(state_of a ROLE)" = leader ] || fail "a is $(state_of a ROLE) after the failed exec"
chmod +x "$T/bin/zkelectd"

# a configuration the new binary rejects: no exec (it would exit 78), the old image goes on
cp "$T/a.conf" "$T/a.conf.good"
echo "bogus = 1" >>"$T/a.conf"
kill -s USR2 "$pid"	# (zkelectctl reads the same file: it would refuse it too)
wait_for "a to refuse the upgrade" 10 grep -q "upgrade: $T/bin/zkelectd -t rejects $T/a.conf: .*bogus" "$T/a.log"
[ "$(state_of a ROLE)" = leader ] || fail "a is $(state_of a ROLE) after the refused upgrade"
daemon_running a || fail "a's daemon is gone"
mv "$T/a.conf.good" "$T/a.conf"

# the leader's upgrade
new_binary
inode=$(stat -c %i "$T/bin/zkelectd")
zkctl a upgrade >"$T/upgrade.out" || fail "zkelectctl upgrade exited $?: $(cat "$T/upgrade.out")"
wait_for "a's new image" 10 upgraded a 1
[ "$(exe_inode "$pid")" = "$inode" ] || fail "pid $pid does not run the new binary"
daemon_running a || fail "a's daemon is gone"
wait_for "a to resume" 10 grep -q "resume: session 0x.* resumed; still the leader" "$T/a.log"
[ "$(state_of a ROLE)" = leader ] || fail "a is $(state_of a ROLE) after the upgrade"
[ "$(state_of a PID)" = "$pid" ] || fail "the state file names pid $(state_of a PID)"
[ "$(state_of a EPOCH)" = "$epoch" ] || fail "a leads with epoch $(state_of a EPOCH), not $epoch"
[ "$(hook_lines "" | wc -l)" -eq "$before" ] || fail "hooks ran: $(hook_lines "" | tail -n +$((before + 1)))"

# the follower's upgrade (its own binary, executed again)
bpid=$(daemon_pid b)
kill -s USR2 "$bpid"
wait_for "b's new image" 10 upgraded b 1
wait_for "b to resume" 10 grep -q "resume: session 0x.* resumed; in the queue" "$T/b.log"
wait_for "b to learn the leader" 10 grep -q "was followed before the upgrade: no follow" "$T/b.log"
[ "$(state_of b ROLE)" = follower ] || fail "b is $(state_of b ROLE)"
[ "$(hook_lines "" | wc -l)" -eq "$before" ] || fail "hooks ran: $(hook_lines "" | tail -n +$((before + 1)))"

# asked while a hook runs: the upgrade waits for it
echo 1 >"$T/a/HOOK_SLEEP_demote"
zkctl a resign
wait_for "a's demote to start" 10 hook_seen_reason a demote start resigned
kill -s USR2 "$pid"
wait_for "a's second new image" 15 upgraded a 2
demote_end=$(hook_awk a end 'event == "demote" && reason == "resigned" { print ns }' | tail -n 1)
[ -n "$demote_end" ] || fail "the demote did not end before the exec"
exec_at=$(grep "upgrade: executing" "$T/a.log" | tail -n 1 | cut -d' ' -f1)
exec_ns=$(date -d "$exec_at" +%s%N)
[ "$exec_ns" -ge "$demote_end" ] || fail "the exec came before the demote ended"
pass
