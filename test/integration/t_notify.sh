#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# systemd's notification protocol, spoken without libsystemd. A receiver stands
# in for systemd on NOTIFY_SOCKET, once a filesystem path and once an abstract
# @name; with WATCHDOG_USEC=400000 the daemon sends READY=1 once it is in the
# election, a STATUS= line, WATCHDOG=1 again and again, RELOADING=1 with
# MONOTONIC_USEC= and then READY=1 on SIGHUP, and STOPPING=1 on SIGTERM. With
# WATCHDOG_PID naming another process, or a WATCHDOG_USEC that is not a number,
# it never pings; a NOTIFY_SOCKET too long for a socket address is reported
# once and the daemon runs on.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# Whatever systemd gave the shell running us is not for the daemons under test.
unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID
RECV_PID=""

# Start the stand-in for systemd on ADDR (a path or @name), writing every
# datagram as one line of $T/NAME.notify (newline as \n, backslash as \\).
# It leaves on its own if this test dies without stopping it.
recv_start() {
	local name=$1 addr=$2
	"$PYTHON" - "$addr" "$T/$name.notify" <<'PY' &
import os, socket, sys
addr, out = sys.argv[1], sys.argv[2]
parent = os.getppid()
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
s.settimeout(0.2)
with open(out, "a") as f:
    open(out + ".ready", "w").close()
    while os.getppid() == parent:
        try:
            msg = s.recv(65536)
        except socket.timeout:
            continue
        f.write(msg.decode(errors="replace").replace("\\", "\\\\").replace("\n", "\\n") + "\n")
        f.flush()
PY
	RECV_PID=$!
	wait_for "the receiver on $addr" 10 test -e "$T/$name.notify.ready"
}

# Stop the receiver we started.
recv_stop() {
	kill -s TERM "$RECV_PID" 2>/dev/null || true
	reap "$RECV_PID" 5
	RECV_PID=""
}

# How many lines of $T/NAME.notify match the extended regex RE.
count() {
	grep -cE -- "$2" "$T/$1.notify"
}

# True when at least N lines of $T/NAME.notify match RE.
got() {
	[ "$(count "$1" "$2")" -ge "$3" ]
}

# True when K (default 1) lines after line N of $T/NAME.notify match RE.
got_after() {
	[ "$(tail -n "+$(($2 + 1))" "$T/$1.notify" | grep -cE -- "$3")" -ge "${4:-1}" ]
}

# The number of the first line of $T/NAME.notify after line N matching RE.
line_after() {
	awk -v n="$2" -v re="$3" 'NR > n && $0 ~ re { print NR; exit }' "$T/$1.notify"
}

# How many lines $T/NAME.notify has.
lines() {
	wc -l <"$T/$1.notify"
}

# True when NAME's state file names a znode: it is in the election.
in_election() {
	[ -n "$(state_of "$1" ZNODE 2>/dev/null)" ]
}

# The whole story for NAME with the receiver on ADDR.
lifecycle() {
	local name=$1 addr=$2 n r
	recv_start "$name" "$addr"
	write_conf "$name"
	NOTIFY_SOCKET=$addr WATCHDOG_USEC=400000 daemon_start "$name"
	wait_for "$name: READY=1" 20 got "$name" '^READY=1$' 1
	wait_for "$name to be in the election" 10 in_election "$name"
	wait_for "$name to lead" 20 role_is "$name" leader
	wait_for "$name: a STATUS= line saying it leads" 10 \
		got "$name" '^STATUS=leader, ZooKeeper [a-z]+, leader this node$' 1
	# the timer's pings, not only the one sent at start-up
	r=$(line_after "$name" 0 '^READY=1$')
	wait_for "$name: 3 WATCHDOG=1 pings after READY=1" 10 got_after "$name" "$r" '^WATCHDOG=1$' 3
	[ "$(count "$name" '^READY=1$')" -eq 1 ] ||
		fail "$name: READY=1 sent $(count "$name" '^READY=1$') times before any reload"
	grep -q "pinging every 200 ms" "$T/$name.log" || fail "$name: no 'pinging every 200 ms' in its log"

	# reload: RELOADING=1 and MONOTONIC_USEC= in one datagram, then READY=1
	n=$(lines "$name")
	daemon_stop "$name" HUP
	wait_for "$name: RELOADING=1" 10 got_after "$name" "$n" '^RELOADING=1'
	r=$(line_after "$name" "$n" '^RELOADING=1')
	grep -qE '^RELOADING=1\\nMONOTONIC_USEC=[1-9][0-9]*$' <(sed -n "${r}p" "$T/$name.notify") ||
		fail "$name: reload message is '$(sed -n "${r}p" "$T/$name.notify")'"
	wait_for "$name: READY=1 after RELOADING=1" 10 got_after "$name" "$r" '^READY=1$'

	# stop: STOPPING=1, and the daemon exits cleanly
	n=$(lines "$name")
	daemon_stop "$name" TERM
	[ "$LAST_EXIT" = 0 ] || fail "$name exited with $LAST_EXIT"
	wait_for "$name: STOPPING=1" 10 got_after "$name" "$n" '^STOPPING=1$'
	recv_stop
}

# NAME runs with a receiver on ADDR, WATCHDOG_USEC=USEC and, when given,
# WATCHDOG_PID=PID: a watchdog it may not ping, so it never pings.
no_watchdog() {
	local name=$1 addr=$2
	recv_start "$name" "$addr"
	write_conf "$name"
	local -x NOTIFY_SOCKET=$addr WATCHDOG_USEC=$3
	[ $# -lt 4 ] || local -x WATCHDOG_PID=$4
	daemon_start "$name"
	wait_for "$name: READY=1" 20 got "$name" '^READY=1$' 1
	wait_for "$name to lead" 20 role_is "$name" leader
	# the first ping would have gone at start-up, before READY=1
	got "$name" '^WATCHDOG=1$' 1 && fail "$name pinged the watchdog"
	daemon_stop "$name" TERM
	[ "$LAST_EXIT" = 0 ] || fail "$name exited with $LAST_EXIT"
	wait_for "$name: STOPPING=1" 10 got "$name" '^STOPPING=1$' 1
	got "$name" '^WATCHDOG=1$' 1 && fail "$name pinged the watchdog"
	recv_stop
}

zk_start
lifecycle a "$T/notify.sock"
lifecycle b "@zkelectd-t_notify-$$-$RANDOM"

# a watchdog for another process (the variables survive a fork) is not ours
no_watchdog c "@zkelectd-t_notify-$$-$RANDOM" 400000 $$
grep -q "WATCHDOG_PID=$$ is not us" "$T/c.log" || fail "c did not say the watchdog is not its own"
# a period that is not a number: a warning, no pings
no_watchdog d "$T/notify-d.sock" 400ms
grep -q "warning: systemd watchdog settings unusable: WATCHDOG_USEC=400ms" "$T/d.log" ||
	fail "d did not warn about WATCHDOG_USEC=400ms"

# a NOTIFY_SOCKET that no socket address can hold: one warning, and it leads regardless
write_conf e
NOTIFY_SOCKET=/$(printf 'x%.0s' {1..200}) daemon_start e
wait_for "e to lead" 20 role_is e leader
daemon_stop e TERM
[ "$LAST_EXIT" = 0 ] || fail "e exited with $LAST_EXIT"
[ "$(grep -c "NOTIFY_SOCKET is 201 bytes long" "$T/e.log")" -eq 1 ] ||
	fail "e warned $(grep -c "NOTIFY_SOCKET is 201 bytes long" "$T/e.log") times about NOTIFY_SOCKET"
pass
