# shellcheck shell=bash disable=SC2034,SC2119,SC2120
# (variables and optional arguments for the tests that source this file)
# test/lib.sh: sourced by every integration test (bash). It gives the test a
# private temporary directory $T and a trap that, on exit, stops every daemon
# the test started and its ZooKeeper, checks the daemon logs for sanitizer
# reports, shows the logs when the test failed, and removes $T (unless KEEP=1).
#
# Variables
#   T               the test's temporary directory
#   ROOT            the repository
#   ZKELECTD        the daemon (default build/zkelectd; run.sh sets build/asan/...)
#   ZKELECTCTL      the operator tool (default build/zkelectctl)
#   ZK_DIR ZK_HOSTS the private ZooKeeper's directory and connect string (zk_start)
#   ELECTION_PATH   the election path every config of this test uses
#   PYTHON          Debian's python3 (exported; default /usr/bin/python3), for every
#                   Python the tests and scripts run
#   LAST_EXIT       the daemon's exit status after daemon_stop NAME TERM|INT|KILL
#   DAEMON_NETNS[NAME]  a network namespace NAME's daemon and zkctl NAME run in
#                   (test/netns.sh's hosts; unset: the root namespace)
#
# Functions
#   zk_start [N]            start a private ZooKeeper of N members (default 1)
#   zk_stop [K]             stop the ZooKeeper (or member K)
#   zk_start_member K       start member K again (same ports and data)
#   proxy_start NAME        start a fault proxy (test/faultproxy.c) for NAME in front of
#                           ZooKeeper; PROXY_PORT[NAME] is its port
#   proxy_mode NAME MODE    switch it to pass, blackhole or reset and wait until in force
#   write_conf NAME [ARG..] write $T/NAME.conf: hosts of our ZooKeeper, session_timeout 2s,
#                           path $ELECTION_PATH, id NAME, every hook = $T/hook.sh,
#                           pid and state files in $T/NAME/. Each ARG is either
#                           SECTION.KEY=VALUE (set or replace a key; an empty VALUE
#                           removes it) or a raw line appended at the end.
#   daemon_start NAME       start zkelectd -c $T/NAME.conf in the background, log to
#                           $T/NAME.log
#   daemon_stop NAME [SIG]  send SIG (default TERM); for TERM, INT and KILL wait until it
#                           exited (KILL after 10 s) and set LAST_EXIT
#   daemon_pid NAME         print the daemon's PID
#   daemon_running NAME     true while the daemon's process exists
#   zkctl NAME ARGS...      run zkelectctl -c $T/NAME.conf ARGS... (stderr also kept)
#   nap SECS                sleep without a fork (tests poll a lot; forks are dear here)
#   poll SECS CMD...        poll CMD every 50 ms for up to SECS s; status 1 if it never succeeded
#   wait_for DESC SECS CMD... poll CMD every 50 ms until it succeeds, else fail
#                           "timed out after SECSs waiting for DESC"
#   state_of NAME KEY       the value of KEY in NAME's state file (sourced by sh)
#   leader_count            how many running daemons' state says leader
#   hook_lines [ID] [start|end]  the hook records of $T/hooks.log, for one id / phase
#   hook_awk ID PHASE [OPT..] PROG  awk PROG over those records, fields by name
#                           (ns id event phase epoch reason role; see HOOK_FIELDS)
#   hook_field FIELD LINES  FIELD of each hook record in LINES
#   hook_read LINE          split one record into HOOK_REC[FIELD] (no fork)
#   fail MSG                print "FAIL: MSG" and exit 1
#   pass                    exit 0 (PASS is printed once cleanup found no sanitizer report)
#
# The hook ($T/hook.sh -> test/hookrec.c) appends to $T/hooks.log one line when it starts and one when it
# ends:  <ns since the epoch> <id> <event> start|end <epoch> <reason> <role>
# ("-" for an empty value; read the fields by name, see HOOK_FIELDS). A file $T/HOOK_SLEEP_<event> (every node) or
# $T/<id>/HOOK_SLEEP_<event> (one node) holding seconds makes that hook sleep
# before it ends; $T/HOOK_EXIT_<event> or $T/<id>/HOOK_EXIT_<event> holding a
# number makes it exit with that status.

set -u

# Debian's interpreter rather than the first python3 on PATH: it is the one
# with Debian's python3 packages, and a version manager's shim ahead of it
# (pyenv's, on our CI machines) costs 0.5 s of CPU at each start against
# 0.06 s, paid at every ZooKeeper start and every check.
export PYTHON=${PYTHON:-/usr/bin/python3}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TEST_NAME=$(basename "$0" .sh)
ZKELECTD=${ZKELECTD:-build/zkelectd}
ZKELECTCTL=${ZKELECTCTL:-build/zkelectctl}
[[ $ZKELECTD == /* ]] || ZKELECTD=$ROOT/$ZKELECTD
[[ $ZKELECTCTL == /* ]] || ZKELECTCTL=$ROOT/$ZKELECTCTL
T=$(mktemp -d "${TMPDIR:-/tmp}/zkelectd-$TEST_NAME.XXXXXX")
ZK_DIR=""
ZK_HOSTS=""
ELECTION_PATH=/zkelectd/test-$RANDOM$RANDOM
LAST_EXIT=""
LIB_PID=$$
LIB_PASSED=0
declare -A DAEMON_PIDS=() PROXY_PIDS=() PROXY_PORT=() WD_PIDS=() DAEMON_NETNS=()
CLEANUP_HOOKS=()

# Print "FAIL: MSG" on stderr and exit 1 (the trap cleans up).
fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	exit 1
}

# Run CMD (one word: a function) at cleanup, after the daemons and ZooKeeper stopped.
at_cleanup() {
	CLEANUP_HOOKS+=("$1")
}

# Exit 77 (run.sh counts it as skipped): this machine cannot run the test; WHY says so.
skip() {
	echo "SKIP: $TEST_NAME: $*" >&2
	exit 77
}

# Exit 0; the trap prints PASS once the daemon logs proved clean.
pass() {
	LIB_PASSED=1
	exit 0
}

# Microseconds since the epoch, without a fork (but $(now_us) is one: in a
# loop, use ${EPOCHREALTIME/./}).
now_us() {
	local t=$EPOCHREALTIME
	echo "${t/./}"
}

# nap SECS: sleep without a fork or an exec (read times out on a pipe nobody
# writes to). On our 2-core VMs a fork and exec of sleep costs about 6 ms of
# CPU, and the tests poll every 50 ms: that was a good part of make check.
exec {NAP_FD}<> <(:)
nap() {
	read -r -t "$1" -u "$NAP_FD" _ || :
}

# True when PID has exited: gone, or a zombie (it still answers kill -0 until
# reaped, and bash may reap it at any moment: one check, no fork).
exited() {
	local st=""
	read -r st 2>/dev/null <"/proc/$1/stat" || return 0
	[[ ${st##*) } == Z* ]]
}

# Poll CMD every 50 ms for up to SECS seconds; 1 when it never succeeded.
poll() {
	local deadline=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	until "$@"; do
		[ "${EPOCHREALTIME/./}" -lt "$deadline" ] || return 1
		nap 0.05
	done
}

# Poll CMD every 50 ms until it succeeds; fail after SECS seconds.
wait_for() {
	local desc=$1 secs=$2
	shift 2
	poll "$secs" "$@" || fail "timed out after ${secs}s waiting for $desc"
}

# Start the private ZooKeeper: N members (default 1) in $T/zk.
zk_start() {
	ZK_DIR=$T/zk
	ZK_HOSTS=$("$ROOT/scripts/zk-local.sh" start "$ZK_DIR" "${1:-1}") ||
		fail "could not start ZooKeeper"
}

# Stop the ZooKeeper, or only member K.
zk_stop() {
	[ -n "$ZK_DIR" ] || return 0
	"$ROOT/scripts/zk-local.sh" stop "$ZK_DIR" "$@"
}

# Start ZooKeeper member K again on its old ports and data.
zk_start_member() {
	"$ROOT/scripts/zk-local.sh" start-member "$ZK_DIR" "$1" ||
		fail "could not start ZooKeeper member $1"
}

# Start a fault proxy for NAME between it and ZooKeeper (every member in turn);
# PROXY_PORT[NAME] is its port: give NAME "zookeeper.hosts=127.0.0.1:PORT".
proxy_start() {
	local name=$1 ports
	# shellcheck disable=SC2001 # a regular expression: a bash pattern cannot repeat [0-9.]
	ports=$(echo "$ZK_HOSTS" | sed 's/[0-9.]*://g')	# 127.0.0.1:1,127.0.0.1:2 -> 1,2
	"$(dirname "$ZKELECTD")/faultproxy" 0 "$ports" "$T/$name.proxy" 2>>"$T/$name.proxy.log" &
	PROXY_PIDS[$name]=$!
	wait_for "$name's proxy to listen" 10 test -s "$T/$name.proxy.port"
	PROXY_PORT[$name]=$(cat "$T/$name.proxy.port")
}

# Switch NAME's proxy to MODE (pass, blackhole or reset) and wait until it is in force.
proxy_mode() {
	local name=$1 mode=$2 sig
	case $mode in
	pass) sig=HUP ;;
	blackhole) sig=USR1 ;;
	reset) sig=USR2 ;;
	*) fail "proxy_mode: unknown mode $mode" ;;
	esac
	kill -s "$sig" "${PROXY_PIDS[$name]}"
	wait_for "$name's proxy to be in $mode" 5 grep -qx "$mode" "$T/$name.proxy"
}

# Start a watchdog stand-in (test/wdstandin.c) for NAME: the FIFO $T/NAME/wd,
# resetting after MS ms without a kick; every event goes to $T/watchdog.log.
# Give NAME "watchdog.device=$T/NAME/wd".
wd_start() {
	local name=$1
	mkdir -p "$T/$name"
	"$(dirname "$ZKELECTD")/wdstandin" "$T/$name/wd" "$2" "$T/watchdog.log" "$name" \
		2>>"$T/$name.wd.log" &
	WD_PIDS[$name]=$!
	wait_for "$name's watchdog stand-in" 5 grep -q " $name ready" "$T/watchdog.log"
}

# $T/hook.sh, the hook every generated config runs: a link to test/hookrec.c's
# binary, which records each run in $T/hooks.log as its very first action.
write_hook() {
	[ -e "$T/hook.sh" ] && return 0
	ln -s "$(dirname "$ZKELECTD")/hookrec" "$T/hook.sh"
}

# Write $T/NAME.conf from the defaults and the SECTION.KEY=VALUE overrides.
write_conf() {
	local name=$1 arg key sect k
	local -a order=() raw=()
	local -A val=()
	shift
	[ -n "$ZK_HOSTS" ] || fail "write_conf $name: call zk_start first"
	write_hook
	mkdir -p "$T/$name"
	for arg in "zookeeper.hosts=$ZK_HOSTS" "zookeeper.session_timeout=2s" \
	    "election.path=$ELECTION_PATH" "election.id=$name" \
	    "hooks.promote=$T/hook.sh" "hooks.demote=$T/hook.sh" "hooks.follow=$T/hook.sh" \
	    "hooks.timeout=20s" \
	    "daemon.pid_file=$T/$name/zkelectd.pid" "daemon.state_file=$T/$name/zkelectd.state" \
	    "daemon.log_level=debug" "$@"; do
		if [[ $arg =~ ^([a-z]+)\.([a-z_]+)=(.*)$ ]]; then
			key=${BASH_REMATCH[1]}.${BASH_REMATCH[2]}
			[ -n "${val[$key]+x}" ] || order+=("$key")
			val[$key]=${BASH_REMATCH[3]}
		else
			raw+=("$arg")
		fi
	done
	{
		for sect in zookeeper election hooks health daemon status watchdog; do
			[[ " ${order[*]} " == *" $sect."* ]] || continue
			echo "[$sect]"
			for k in "${order[@]}"; do
				[[ $k == "$sect".* ]] && [ -n "${val[$k]}" ] &&
					echo "${k#*.} = ${val[$k]}"
			done
			echo
		done
		[ ${#raw[@]} -eq 0 ] || printf '%s\n' "${raw[@]}"
	} >"$T/$name.conf"
}

# ip netns exec NS when NAME has a namespace (DAEMON_NETNS), for "${NETNS_PRE[@]}" CMD.
daemon_netns_pre() {
	NETNS_PRE=()
	[ -z "${DAEMON_NETNS[$1]:-}" ] || NETNS_PRE=(ip netns exec "${DAEMON_NETNS[$1]}")
}

# Start zkelectd for NAME in the background; its output goes to $T/NAME.log.
daemon_start() {
	local name=$1 NETNS_PRE
	[ -e "$T/$name.conf" ] || fail "daemon_start $name: no $T/$name.conf"
	if [ -n "${DAEMON_PIDS[$name]:-}" ] && daemon_running "$name"; then
		fail "daemon_start $name: already running"
	fi
	echo "--- $(date '+%T.%N') daemon_start" >>"$T/$name.log"
	daemon_netns_pre "$name"	# ip netns exec execs: $! stays the daemon's PID
	"${NETNS_PRE[@]}" "$ZKELECTD" -c "$T/$name.conf" </dev/null >>"$T/$name.log" 2>&1 &
	DAEMON_PIDS[$name]=$!
}

# A TCP port on 127.0.0.1 that nothing holds now.
free_port() {
	"$ROOT/scripts/zk-local.sh" ports 1
}

# The port of NAME's [status] listen (127.0.0.1:PORT, as its config says).
status_port() {
	sed -n 's/^listen = 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/$1.conf"
}

# True when NAME's daemon said it listens on its status port, or has exited.
listening_or_gone() {
	grep -qF "status: listening on http://127.0.0.1:$(status_port "$1")/" "$T/$1.log" ||
		exited "${DAEMON_PIDS[$1]}"
}

# daemon_start_listening NAME: daemon_start for a config whose [status] listen
# is on a port picked free. Another test may take the port between the pick and
# the daemon's bind: the daemon then exits saying so, and this picks another
# and starts again (as zk-local.sh does for ZooKeeper's ports).
daemon_start_listening() {
	local name=$1 try port
	for try in 1 2 3 4 5; do
		daemon_start "$name"
		wait_for "$name to listen on its status port" 10 listening_or_gone "$name"
		exited "${DAEMON_PIDS[$name]}" || return 0
		wait "${DAEMON_PIDS[$name]}" 2>/dev/null || :
		grep -q "cannot listen there" "$T/$name.log" ||
			fail "$name exited at start (not the port): $(tail -n 3 "$T/$name.log")"
		port=$(free_port)
		echo "--- port taken meanwhile (try $try): now $port" >>"$T/$name.log"
		sed -i "s/^listen = 127\.0\.0\.1:[0-9]*$/listen = 127.0.0.1:$port/" "$T/$name.conf"
	done
	fail "$name: no free status port in 5 tries"
}

# The PID of NAME's daemon.
daemon_pid() {
	echo "${DAEMON_PIDS[$1]:?no daemon $1}"
}

# True while NAME's daemon process exists (stopped by SIGSTOP counts as existing).
daemon_running() {
	local pid=${DAEMON_PIDS[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# Send SIG (default TERM) to NAME's daemon; for TERM, INT and KILL reap it
# (KILL after 10 s) and set LAST_EXIT.
daemon_stop() {
	local name=$1 sig=${2:-TERM} pid
	pid=$(daemon_pid "$name")
	kill -s "$sig" "$pid" 2>/dev/null || true
	case $sig in
	TERM | INT | KILL) ;;
	*) return 0 ;;
	esac
	kill -s CONT "$pid" 2>/dev/null || true
	reap "$pid" 10
	LAST_EXIT=$REAPED
}

# Wait up to SECS for our child PID to exit, then KILL it; REAPED = its status.
reap() {
	local pid=$1 deadline
	deadline=$((${EPOCHREALTIME/./} + $2 * 1000000))
	while ! exited "$pid" && [ "${EPOCHREALTIME/./}" -lt "$deadline" ]; do
		nap 0.05
	done
	if ! exited "$pid"; then
		echo "lib.sh: pid $pid still running after $2 s, sending SIGKILL" >&2
		kill -s KILL "$pid" 2>/dev/null || true
	fi
	REAPED=0
	wait "$pid" 2>/dev/null || REAPED=$?
}

# Run zkelectctl with NAME's config; its stderr is shown and kept for the sanitizer check.
zkctl() {
	local name=$1 rc=0 NETNS_PRE
	shift
	daemon_netns_pre "$name"
	"${NETNS_PRE[@]}" "$ZKELECTCTL" -c "$T/$name.conf" "$@" 2>"$T/.zkctl.err" || rc=$?
	cat "$T/.zkctl.err" >&2
	cat "$T/.zkctl.err" >>"$T/zkelectctl.log"
	return "$rc"
}

# The value of KEY in NAME's state file, read the way an operator's sh would.
state_of() {
	local f=$T/$1/zkelectd.state
	[ -r "$f" ] || return 1
	# shellcheck disable=SC1090
	(set +u; . "$f" && eval "printf '%s\n' \"\${$2-}\"")
}

# How many running daemons' state files say leader.
leader_count() {
	local name n=0
	for name in "${!DAEMON_PIDS[@]}"; do
		daemon_running "$name" || continue
		[ "$(state_of "$name" ROLE 2>/dev/null)" = leader ] && n=$((n + 1))
	done
	echo "$n"
}

# The hook log's layout: the one place that knows which column holds what.
# Read it through hook_awk, hook_lines, hook_field and hook_read, never by
# column number, so that a new field (appended by test/hookrec.c, added here)
# breaks no test.
#   a hook record (test/hookrec.c):   ns id event phase epoch reason role
#   an event mark (event_mark, chaos.sh's mark; check_log adds CONFIG and END
#   for test/check_invariants.py, which has its own parser): ns id WHAT [ARG...]
#   with WHAT in capitals (KILL STOP CONT FAULT HEAL), id "-" for none.
# The two share $T/hooks.log; a hook record is a line whose phase is start or
# end, and the helpers below see hook records only.
HOOK_FIELDS=(ns id event phase epoch reason role)
declare -A HOOK_REC=()
# The awk prelude: each field in a variable of its name, marks skipped, and the
# records that are not of hook_id or hook_phase (when set) skipped.
HOOK_AWK='{'
for HOOK_I in "${!HOOK_FIELDS[@]}"; do
	HOOK_AWK+=" ${HOOK_FIELDS[HOOK_I]} = \$$((HOOK_I + 1));"
done
unset HOOK_I
HOOK_AWK+=' }
!(phase == "start" || phase == "end") { next }
(hook_id != "" && id != hook_id) || (hook_phase != "" && phase != hook_phase) { next }
'

# hook_awk ID PHASE [AWK-OPTION...] PROGRAM: run awk PROGRAM over the hook
# records of hooks.log in file order, only those of ID and PHASE (start or end)
# when not empty, each field in a variable of its name (see HOOK_FIELDS):
#   hook_awk b start 'event == "promote" { print ns }'
#   hook_awk a end -v t="$t" 'event == "demote" && reason == "resigned" && ns >= t'
hook_awk() {
	local f=$T/hooks.log
	local -a opts=("${@:3:$# - 3}")
	[ -e "$f" ] || f=/dev/null
	awk -v hook_id="$1" -v hook_phase="$2" "${opts[@]}" "$HOOK_AWK${!#}" "$f"
}

# The hook records of hooks.log, only those of ID and PHASE (start or end) when given.
hook_lines() {
	hook_awk "${1:-}" "${2:-}" 1
}

# hook_read LINE: split one line of hooks.log into HOOK_REC[FIELD], without a
# fork; status 1 when the line is not a hook record (an event mark).
hook_read() {
	local -a w=()
	local i
	read -r -a w <<<"$1"
	HOOK_REC=()
	for i in "${!HOOK_FIELDS[@]}"; do
		HOOK_REC[${HOOK_FIELDS[i]}]=${w[i]:-}
	done
	[ "${HOOK_REC[phase]}" = start ] || [ "${HOOK_REC[phase]}" = end ]
}

# hook_field FIELD LINES: print FIELD (ns, id, event, ...) of each hook record in LINES
# (as hook_lines or hook_awk printed them).
hook_field() {
	local line
	while IFS= read -r line; do
		hook_read "$line" || true
		printf '%s\n' "${HOOK_REC[$1]}"
	done <<<"$2"
}

# True when a log holds an AddressSanitizer, LeakSanitizer or UBSan report.
sanitizer_reports() {
	grep -l -e 'runtime error:' -e 'ERROR: AddressSanitizer' -e 'LeakSanitizer' \
		"$T"/*.log 2>/dev/null
}

# Show the end of every daemon log and the hook log (after a failure).
show_logs() {
	local f
	for f in "$T"/*.log; do
		[ -e "$f" ] || continue
		case $f in */zkelectctl.log) [ -s "$f" ] || continue ;; esac
		echo "----- tail of ${f#"$T"/}" >&2
		tail -n 40 "$f" >&2
	done
}

# The EXIT trap: stop daemons and ZooKeeper, check logs, report, remove $T.
cleanup() {
	local rc=$? name bad
	# A child forked for "cmd &" runs our traps until it execs: leave it alone.
	[ "$BASHPID" = "$LIB_PID" ] || exit "$rc"
	trap - EXIT
	for name in "${!PROXY_PIDS[@]}"; do
		kill -s HUP "${PROXY_PIDS[$name]}" 2>/dev/null || true	# pass, so daemons can leave
	done
	for name in "${!DAEMON_PIDS[@]}"; do
		daemon_running "$name" || continue
		kill -s TERM "${DAEMON_PIDS[$name]}" 2>/dev/null || true
		kill -s CONT "${DAEMON_PIDS[$name]}" 2>/dev/null || true
	done
	for name in "${!DAEMON_PIDS[@]}"; do
		reap "${DAEMON_PIDS[$name]}" 10
	done
	for name in "${!PROXY_PIDS[@]}"; do
		kill -s TERM "${PROXY_PIDS[$name]}" 2>/dev/null || true
		reap "${PROXY_PIDS[$name]}" 5
	done
	for name in "${!WD_PIDS[@]}"; do
		kill -s TERM "${WD_PIDS[$name]}" 2>/dev/null || true
		reap "${WD_PIDS[$name]}" 5
	done
	zk_stop >/dev/null 2>&1 || true
	for name in "${CLEANUP_HOOKS[@]}"; do
		$name || true	# after the daemons and ZooKeeper: what they ran in goes last
	done
	if bad=$(sanitizer_reports); then
		echo "FAIL: $TEST_NAME: sanitizer report in: $bad" >&2
		for name in $bad; do
			grep -B2 -A30 -m1 -e 'runtime error:' -e 'ERROR: AddressSanitizer' \
				-e 'LeakSanitizer' "$name" >&2
		done
		rc=1
	fi
	if [ "$rc" -eq 77 ]; then
		:	# skipped: nothing ran
	elif [ "$rc" -ne 0 ]; then
		show_logs
	elif [ "$LIB_PASSED" = 1 ]; then
		echo "PASS: $TEST_NAME"
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		echo "lib.sh: kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}

# shellcheck source=test/lib_roles.sh
. "$ROOT/test/lib_roles.sh"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
