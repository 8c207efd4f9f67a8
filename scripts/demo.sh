#!/bin/bash
# scripts/demo.sh: a one-minute tour of zkelectd (run by `make demo`).
#
# Starts a private ZooKeeper and three daemons (db1, db2, db3) on this machine,
# shows who leads, hands leadership to the last node in line with zkelectctl
# switchover (the one in between steps back), stops the new leader cleanly (a
# planned handover), kills the next leader's daemon and starts it again at once
# (it resumes its session: nothing changes), then kills that leader outright (a
# crash: failover after the session timeout), and cleans everything up. Exits
# non-zero when a step did not happen in time.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
ZKELECTD=$BUILD/zkelectd
ZKELECTCTL=$BUILD/zkelectctl
NODES="db1 db2 db3"
SESSION_TIMEOUT=3
D=""
SHOWN=0
declare -A PIDS=()

if [ -t 1 ]; then
	BOLD=$'\e[1m' DIM=$'\e[2m' OFF=$'\e[0m'
else
	BOLD="" DIM="" OFF=""
fi

# Microseconds since the epoch, without a fork.
now_us() {
	local t=$EPOCHREALTIME
	echo "${t/./}"
}

START_US=$(now_us)

# A step's heading and a few words on what is about to happen.
step() {
	printf '\n%s== %s%s\n' "$BOLD" "$1" "$OFF"
	shift
	[ $# -eq 0 ] || printf '   %s\n' "$@"
}

# Print a command, then run it with its output indented.
show() {
	printf '%s   $ %s%s\n' "$DIM" "$*" "$OFF"
	"$@" 2>&1 | sed 's/^/     /'
	return "${PIPESTATUS[0]}"
}

# Say what went wrong, show the ends of the daemon logs, and exit 1.
die() {
	local f
	printf '\n%sdemo failed: %s%s\n' "$BOLD" "$*" "$OFF" >&2
	for f in "$D"/*.log; do
		[ -e "$f" ] || continue
		echo "----- last lines of $f" >&2
		tail -n 15 "$f" >&2
	done
	exit 1
}

# Seconds (with two decimals) from microsecond time A to B.
secs() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'
}

# Poll CMD every 50 ms until it succeeds; die after SECS seconds.
wait_until() {
	local desc=$1 secs=$2 deadline
	shift 2
	deadline=$(($(now_us) + secs * 1000000))
	until "$@"; do
		[ "$(now_us)" -lt "$deadline" ] || die "no $desc within ${secs}s"
		sleep 0.05
	done
}

# True once process PID has exited (a zombie counts as exited).
gone() {
	! kill -0 "$1" 2>/dev/null || [[ $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) == Z* ]]
}

# The hook every node runs: it records each event in $D/events.
write_hook() {
	cat >"$D/hook" <<EOF
#!/bin/bash
# demo hook: one line per run: time id event epoch reason leader
t=\$EPOCHREALTIME
printf '%s %s %s %s %s %s\n' "\${t/./}" "\$ZKELECT_ID" "\${ZKELECT_EVENT:-\${!#}}" \\
	"\${ZKELECT_EPOCH:--}" "\${ZKELECT_REASON:--}" "\${ZKELECT_LEADER_ID:--}" >>"$D/events"
EOF
	chmod 755 "$D/hook"
}

# Write the configuration of node NAME.
write_conf() {
	mkdir -p "$D/$1"
	cat >"$D/$1.conf" <<EOF
[zookeeper]
hosts = $(cat "$D/zk/connect")
session_timeout = ${SESSION_TIMEOUT}s

[election]
path = /zkelectd/demo
id = $1
data = host=$1.example port=5432

[hooks]
promote = $D/hook
demote = $D/hook
follow = $D/hook
timeout = 10s

[daemon]
pid_file = $D/$1/zkelectd.pid
state_file = $D/$1/zkelectd.state
EOF
}

# Print the hook events recorded since the last call, one readable line each.
show_events() {
	[ -e "$D/events" ] || return 0
	awk -v skip="$SHOWN" -v t0="$START_US" 'NR > skip {
		what = toupper($3)
		if ($3 == "follow")
			what = what " " $6
		extra = ($4 == "-") ? "" : "epoch " $4 ", "
		printf "     +%6.2fs  [%s] %s (%sreason %s)\n", ($1 - t0) / 1e6, $2, what, extra, $5
	}' "$D/events"
	SHOWN=$(wc -l <"$D/events")
}

# The microsecond time of the first EVENT hook run by ID after time AFTER, if any.
event_time() {
	[ -e "$D/events" ] || return 1
	awk -v id="$1" -v ev="$2" -v after="$3" \
	    '$2 == id && $3 == ev && $1 >= after { print $1; found = 1; exit }
	     END { exit !found }' "$D/events"
}

# The value of KEY in NAME's state file.
state_of() {
	# shellcheck disable=SC1090
	(set +u; . "$D/$1/zkelectd.state" 2>/dev/null && eval "printf '%s' \"\${$2-}\"")
}

# The running node whose state says leader (exactly one), printed.
the_leader() {
	local n found=""
	for n in "${!PIDS[@]}"; do
		kill -0 "${PIDS[$n]}" 2>/dev/null || continue
		if [ "$(state_of "$n" ROLE)" = leader ]; then
			[ -z "$found" ] || return 1
			found=$n
		fi
	done
	[ -n "$found" ] && echo "$found"
}

# True when a leader other than OLD runs and has run its promote hook after time AFTER.
new_leader() {
	local l
	l=$(the_leader) && [ "$l" != "$1" ] && event_time "$l" promote "$2" >/dev/null
}

# True when every running node other than the leader says follower.
all_follow() {
	local n l
	l=$(the_leader) || return 1
	event_time "$l" promote 0 >/dev/null || return 1
	for n in "${!PIDS[@]}"; do
		[ "$n" = "$l" ] && continue
		kill -0 "${PIDS[$n]}" 2>/dev/null || continue
		[ "$(state_of "$n" ROLE)" = follower ] || return 1
	done
}

# Stop what is still running (daemons by PID, then ZooKeeper) and remove $D.
cleanup() {
	local rc=$? n pid i
	# A child forked for "cmd &" runs our traps until it execs: leave it alone.
	[ "$BASHPID" = "$$" ] || exit "$rc"
	for n in "${!PIDS[@]}"; do
		kill -s TERM "${PIDS[$n]}" 2>/dev/null
	done
	for n in "${!PIDS[@]}"; do
		pid=${PIDS[$n]}
		for ((i = 0; i < 200; i++)); do
			gone "$pid" && break
			sleep 0.05
		done
		gone "$pid" || kill -s KILL "$pid" 2>/dev/null
	done
	[ -z "$D" ] || "$ROOT/scripts/zk-local.sh" stop "$D/zk" >/dev/null 2>&1
	[ -z "$D" ] || [ "${KEEP:-0}" = 1 ] || rm -rf "$D"
	exit "$rc"
}

# Start a private ZooKeeper.
start_zookeeper() {
	local t0
	step "1. A private ZooKeeper" \
	    "zkelectd needs a ZooKeeper ensemble; for this demo one server runs in $D/zk."
	t0=$(now_us)
	"$ROOT/scripts/zk-local.sh" start "$D/zk" >/dev/null || die "ZooKeeper did not start"
	echo "   ZooKeeper serves at $(cat "$D/zk/connect") (started in $(secs "$t0" "$(now_us)")s)"
}

# Start the three daemons and wait for an elected leader.
start_daemons() {
	local n
	step "2. Three daemons: db1, db2, db3" \
	    "Each runs beside its database and contends in the election /zkelectd/demo." \
	    "Their hooks print what they do. Each joins the election first; the one elected" \
	    "at once promotes its database as it is, the others demote theirs first (reason" \
	    "startup), in case one was left primary by a crash."
	write_hook
	for n in $NODES; do
		write_conf "$n"
		"$ZKELECTD" -c "$D/$n.conf" </dev/null >"$D/$n.log" 2>&1 &
		PIDS[$n]=$!
		disown "$!"	# no "Killed" job report in the middle of step 6
	done
	wait_until "elected leader with two followers" 20 all_follow
	show_events
	LEADER=$(the_leader)
	echo "   Leader: $LEADER. The epoch is the fencing token its database gets: every new"
	echo "   leader has a greater one, so a stale primary can be refused."
}

# Show what zkelectctl says.
show_ctl() {
	local n
	step "3. Asking zkelectctl" \
	    "'list' asks ZooKeeper for the contenders in election order (position 1 leads):"
	show "$ZKELECTCTL" -c "$D/db1.conf" list || die "zkelectctl list failed"
	echo "   'status' reads each local daemon's state file:"
	for n in $NODES; do
		printf '%s   $ zkelectctl -c %s.conf status%s\n' "$DIM" "$n" "$OFF"
		"$ZKELECTCTL" -c "$D/$n.conf" status | grep -E 'running|role:|leader:' |
			sed 's/^ */     /'
	done
}

# The id at POSITION (1 leads) in the election order, as zkelectctl list prints it.
in_line_at() {
	"$ZKELECTCTL" -c "$D/db1.conf" list 2>/dev/null | awk -F '\t' -v p="$1" '$1 == p { print $2 }'
}

# True when every running node other than the leader has run follow since time AFTER.
all_followed_since() {
	local n l
	l=$(the_leader) || return 1
	for n in "${!PIDS[@]}"; do
		[ "$n" = "$l" ] && continue
		event_time "$n" follow "$1" >/dev/null || return 1
	done
}

# True when the newest record of the leader history names leader ID with cause CAUSE.
history_says() {
	"$ZKELECTCTL" -c "$D/db1.conf" history -n 1 2>/dev/null |
		awk -F '\t' -v id="$1" -v c="$2" '$2 == id && index($6, c) == 1 { f = 1 } END { exit !f }'
}

# True when this build's zkelectctl has the command NAME.
ctl_has() {
	"$ZKELECTCTL" -h 2>/dev/null | grep -q "^  $1 "
}

# zkelectctl switchover --to the last in line: the one in between steps back, no hook runs on it.
switchover() {
	local t0 td tp old=$LEADER to
	to=$(in_line_at 3)
	[ -n "$to" ] || die "zkelectctl list shows no third node in line"
	step "4. Planned switchover: zkelectctl switchover --to $to" \
	    "$to is third in line. The leader $old checks the request, the node in between" \
	    "steps back in line (no hook runs there), then $old demotes and $to, next in" \
	    "line by then, promotes: both with reason switchover. From any host that" \
	    "reaches ZooKeeper; the command prints each step as it sees it."
	t0=$(now_us)
	show "$ZKELECTCTL" -c "$D/db1.conf" switchover --to "$to" --wait 30s ||
		die "zkelectctl switchover --to $to failed"
	wait_until "$to to lead after the switchover" 10 new_leader "$old" "$t0"
	LEADER=$(the_leader)
	[ "$LEADER" = "$to" ] || die "$LEADER leads after the switchover, not $to"
	wait_until "every other node to follow $to" 10 all_followed_since "$t0"
	show_events
	td=$(event_time "$old" demote "$t0") || die "$old did not run its demote hook"
	tp=$(event_time "$LEADER" promote "$t0")
	[ "$td" -le "$tp" ] || die "$LEADER promoted before $old demoted"
	awk -v t="$t0" '$1 >= t && ($3 == "promote" || $3 == "demote") && $5 != "switchover" {
		bad = 1 } END { exit bad }' "$D/events" || die "a promote or demote without reason switchover"
	echo "   $old demoted at +$(secs "$t0" "$td")s, $LEADER promoted at +$(secs "$t0" "$tp")s" \
	    "after the request. The order now:"
	show "$ZKELECTCTL" -c "$D/db1.conf" list || die "zkelectctl list failed"
	if ctl_has history; then
		echo "   Each new leader adds a record to the leader history in ZooKeeper: when, leader,"
		echo "   epoch, the previous leader and its epoch, the cause (who asked), how long"
		echo "   nobody led, and whether the promote hook succeeded:"
		wait_until "the history record of $LEADER" 10 history_says "$LEADER" switchover
		show "$ZKELECTCTL" -c "$D/db1.conf" history || die "zkelectctl history failed"
	fi
}

# SIGTERM the leader and show the ordered handover.
handover() {
	local t0 tp td old=$LEADER
	step "5. Planned handover: SIGTERM to the leader $old" \
	    "It runs its demote hook to completion, then leaves the election; only then" \
	    "can the next node in line promote."
	t0=$(now_us)
	kill -s TERM "${PIDS[$old]}"
	wait_until "new leader after stopping $old" 20 new_leader "$old" "$t0"
	wait_until "exit of $old after SIGTERM" 15 gone "${PIDS[$old]}"
	unset "PIDS[$old]"
	LEADER=$(the_leader)
	show_events
	td=$(event_time "$old" demote "$t0") || die "$old did not run its demote hook"
	tp=$(event_time "$LEADER" promote "$t0")
	[ "$td" -le "$tp" ] || die "$LEADER promoted before $old demoted"
	echo "   $old demoted at +$(secs "$t0" "$td")s, $LEADER promoted at +$(secs "$t0" "$tp")s after the signal."
}

# SIGKILL the leader and show the failover after the session timeout.
failover() {
	local t0 tp old=$LEADER
	step "7. Crash: SIGKILL to the leader $old" \
	    "Nothing runs on $old now. Its ZooKeeper session expires after the session" \
	    "timeout (${SESSION_TIMEOUT}s); then its znode goes and the next node takes over."
	t0=$(now_us)
	kill -s KILL "${PIDS[$old]}"
	wait_until "exit of $old after SIGKILL" 5 gone "${PIDS[$old]}"
	unset "PIDS[$old]"
	wait_until "new leader after killing $old" $((SESSION_TIMEOUT + 15)) new_leader "$old" "$t0"
	LEADER=$(the_leader)
	show_events
	tp=$(event_time "$LEADER" promote "$t0")
	echo "   $LEADER promoted $(secs "$t0" "$tp")s after the kill (session timeout ${SESSION_TIMEOUT}s)."
	show "$ZKELECTCTL" -c "$D/$LEADER.conf" leader || die "zkelectctl leader failed"
}

# True when ID has run promote since time AFTER.
promoted_since() {
	event_time "$1" promote "$2" >/dev/null
}

# The leader's daemon alone crashes and is restarted at once: it resumes its session.
resume() {
	local old=$LEADER t0 tp epoch
	step "6. Sidecar crash: SIGKILL to $old's zkelectd, restarted 0.2s later" \
	    "As systemd would restart it. The restarted daemon finds its session file, resumes" \
	    "its ZooKeeper session and takes its znode back: the same leader with the same" \
	    "epoch runs promote again (reason resumed); no other node sees anything."
	epoch=$(state_of "$old" EPOCH)
	t0=$(now_us)
	kill -s KILL "${PIDS[$old]}"
	wait_until "exit of $old after SIGKILL" 5 gone "${PIDS[$old]}"
	sleep 0.2	# systemd's RestartSec
	"$ZKELECTD" -c "$D/$old.conf" </dev/null >>"$D/$old.log" 2>&1 &
	PIDS[$old]=$!
	disown "$!"
	wait_until "$old to lead again" 10 promoted_since "$old" "$t0"
	show_events
	tp=$(event_time "$old" promote "$t0")
	echo "   $old led again $(secs "$t0" "$tp")s after the kill, epoch $(state_of "$old" EPOCH)" \
	    "(it was $epoch); no other node ran a hook."
}

# Run the tour.
main() {
	local n
	for n in "$ZKELECTD" "$ZKELECTCTL"; do
		[ -x "$n" ] || { echo "demo: $n is missing: run make first" >&2; exit 1; }
	done
	D=$(mktemp -d "${TMPDIR:-/tmp}/zkelectd-demo.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	start_zookeeper
	start_daemons
	show_ctl
	switchover
	handover
	resume
	failover
	step "Done in $(secs "$START_US" "$(now_us)")s." \
	    "Stopping the last daemon and ZooKeeper, removing $D."
}

main "$@"
