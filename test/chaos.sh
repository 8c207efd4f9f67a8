#!/bin/bash
# test/chaos.sh: randomized faults against a 3-server ZooKeeper ensemble and
# NODES real daemons, each behind its own fault proxy; then the invariant
# checker (test/check_invariants.py) judges the whole run.
#
#   DURATION=SECONDS NODES=5 SESSION_MS=1500 SEED=N WATCHDOG=0|1 WD_MS=400 test/chaos.sh
#   make chaos DURATION=1800 [WATCHDOG=1]
#
# Each round injects one or two faults (on different nodes), holds them for a
# random time, heals everything, writes HEAL to the event log and waits (with
# a deadline) for a leader. Faults: blackhole or reset of a node's link, SIGSTOP
# (shorter and longer than the session timeout), SIGKILL and restart at the
# heal (kill), SIGKILL and restart after a random 0 to 2 x the session timeout
# (crash-restart: the daemon resumes its session when it comes back in time),
# SIGTERM and restart, an in-place upgrade (SIGUSR2: the daemon execs a fresh
# copy of its binary in the same PID; the daemons run from a per-run copy,
# $T/bin/zkelectd, replaced by a new file before each upgrade so that the exec
# loads a new inode), resign, a failing or hanging promote hook, the leader's
# znode or the whole election path deleted by hand, one ensemble member
# restarted, the whole ensemble down for twice the session timeout. Restarts
# still pending at the end of a round are waited for before its HEAL.
#
# WATCHDOG=1: each node's config gets a [watchdog] section (mode = required,
# timeout WD_MS ms, which must stay <= session timeout / 3) on a FIFO served
# by its own stand-in (build/wdstandin, lib.sh's wd_start: it logs to
# $T/watchdog.log; lib.sh stops the stand-ins after the daemons). A
# stand-in's "reset" means the host is reset at that moment; the harness
# models it as the host going down: as soon as it reads the line it SIGKILLs
# the daemon (its hooks die with it: the daemon gives them a parent-death
# signal), writes a KILL line, and starts the daemon again after a random 0 to
# 2 x the session timeout (a reboot), as for crash-restart; a stopped daemon
# whose host was reset is killed, never woken. The checker gets the watchdog
# log (--watchdog): a reset ends that node's lead, and the frozen-leader
# exception is off.
#
# Prints the rounds, the upgrades seen done (IMAGE_STARTED_MS changed), the
# watchdog resets the harness acted on, then the checker's summary: faults by
# kind, promotions, the longest leaderless gap, frozen-leader exceptions
# used, the watchdog figures, and its verdict; exits 1 on any violation.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-120}
NODES=${NODES:-5}
SESSION_MS=${SESSION_MS:-1500}
WATCHDOG=${WATCHDOG:-0}
WD_MS=${WD_MS:-400}
SEED=${SEED:-$$}
RANDOM=$SEED
LOG=$T/hooks.log
WD_LOG=$T/watchdog.log
# Faults of this round by node; RESTART_AT: a daemon down until then (us).
declare -A BLACKHOLED=() RESET=() STOPPED=() DOWN=() KNOB=() UPGRADED=() RESTART_AT=()
ZK_DOWN=()
NAMES=()
RESETS=0 UPGRADES_DONE=0 UPGRADES_UNSEEN=0 UPGRADES_UNKNOWN=0
WD_FD="" WD_PART=""

# The daemons run from a copy of the binary that an upgrade can replace; the
# test tools stay where they are (lib.sh finds them beside $ZKELECTD).
SRC_ZKELECTD=$ZKELECTD
mkdir -p "$T/bin"
cp "$SRC_ZKELECTD" "$T/bin/zkelectd" || fail "cannot copy $SRC_ZKELECTD"
for tool in faultproxy zktool hookrec wdstandin; do
	ln -s "$(dirname "$SRC_ZKELECTD")/$tool" "$T/bin/$tool"
done
ZKELECTD=$T/bin/zkelectd

# A random integer in [LO, HI].
rnd() {
	echo $(($1 + RANDOM % ($2 - $1 + 1)))
}

# The current leader's name, or a random node when there is none.
target() {
	leader_name 2>/dev/null || echo "${NAMES[RANDOM % NODES]}"
}

# True when a fault of this round touches node N, or its daemon is down.
busy() {
	[ -n "${BLACKHOLED[$1]:-}${RESET[$1]:-}${STOPPED[$1]:-}${DOWN[$1]:-}${UPGRADED[$1]:-}${RESTART_AT[$1]:-}" ]
}

# A random node that no fault of this round touches yet.
free_node() {
	local n tries=0
	while [ $tries -lt 20 ]; do
		n=${NAMES[RANDOM % NODES]}
		busy "$n" || {
			echo "$n"
			return 0
		}
		tries=$((tries + 1))
	done
	return 1
}

# Start node N's daemon again at a random time 0 to 2 x the session timeout from now.
restart_later() {
	RESTART_AT[$1]=$(($(now_us) + $(rnd 0 $((2 * SESSION_MS))) * 1000))
}

# Start the daemons whose time has come.
restart_due() {
	local n now
	now=$(now_us)
	for n in "${!RESTART_AT[@]}"; do
		[ "${RESTART_AT[$n]}" -le "$now" ] || continue
		unset "RESTART_AT[$n]"
		daemon_start "$n"
	done
}

# Node N's watchdog reset its host: take the host down now (SIGKILL the daemon
# unless it is down already; its hooks die with it), write KILL, start it
# again later. A stopped daemon is killed without being woken.
host_down() {
	local n=$1
	RESETS=$((RESETS + 1))
	[ -n "${DOWN[$n]:-}${RESTART_AT[$n]:-}" ] || daemon_stop "$n" KILL
	event_mark "$n" KILL
	unset "STOPPED[$n]" "DOWN[$n]" "UPGRADED[$n]"
	restart_later "$n"
}

# Read the stand-ins' new lines; take down the host of each reset.
watch_resets() {
	local line
	while IFS= read -r -u "$WD_FD" line; do
		line=$WD_PART$line
		WD_PART=""
		[[ $line =~ ^[0-9]+\ ([^ ]+)\ reset( |$) ]] && host_down "${BASH_REMATCH[1]}"
	done
	WD_PART+=$line	# a line still being written
}

# What must happen while time passes: resets acted on, pending restarts made.
service() {
	if [ "$WATCHDOG" = 1 ]; then watch_resets; fi
	restart_due
}

# Hold for MS milliseconds (the fault's intended duration), serving meanwhile.
hold() {
	local until=$(($(now_us) + $1 * 1000)) left
	while :; do
		service
		left=$((until - $(now_us)))
		[ "$left" -gt 0 ] || return 0
		[ "$left" -lt 50000 ] || left=50000
		sleep "$(printf '0.%06d' "$left")"
	done
}

# Inject fault KIND on node N (zk faults ignore N).
inject() {
	local kind=$1 n=$2 k
	case $kind in
	blackhole) proxy_mode "$n" blackhole; BLACKHOLED[$n]=1 ;;
	reset) proxy_mode "$n" reset; RESET[$n]=1 ;;
	stop) daemon_stop "$n" STOP; event_mark "$n" STOP; STOPPED[$n]=1 ;;
	kill) daemon_stop "$n" KILL; event_mark "$n" KILL; DOWN[$n]=1 ;;
	crash-restart) daemon_stop "$n" KILL; event_mark "$n" KILL; restart_later "$n" ;;
	term) daemon_stop "$n"; DOWN[$n]=1 ;;
	upgrade)
		UPGRADED[$n]=$(state_of "$n" IMAGE_STARTED_MS 2>/dev/null)-
		cp "$SRC_ZKELECTD" "$T/bin/zkelectd.new" && mv -f "$T/bin/zkelectd.new" "$T/bin/zkelectd"
		kill -s USR2 "$(daemon_pid "$n")" ;;
	resign) kill -s USR1 "$(daemon_pid "$n")" ;;
	promote-fail) echo 1 >"$T/$n/HOOK_EXIT_promote"; KNOB[$n]=1 ;;
	promote-hang) echo 10 >"$T/$n/HOOK_SLEEP_promote"; KNOB[$n]=1 ;;
	delete-znode) zkdelete "$(state_of "$n" ZNODE)" || true ;;
	delete-path) zkdeleteall "$ELECTION_PATH" || true ;;
	zk-member)
		k=$(rnd 1 3)
		zk_stop "$k" >/dev/null 2>&1
		ZK_DOWN+=("$k") ;;
	zk-all)
		zk_stop >/dev/null 2>&1
		ZK_DOWN=(1 2 3) ;;
	esac
	event_mark - FAULT "$kind" "$n"
}

# True once node N's daemon runs a new image (IMAGE_STARTED_MS changed).
upgraded() {
	[ "$(state_of "$1" IMAGE_STARTED_MS 2>/dev/null)-" != "${UPGRADED[$1]}" ]
}

# Count the upgrades of this round seen done, giving each up to 5 s (the exec
# waits for a running hook to end); unknown when the state had no IMAGE_STARTED_MS.
check_upgrades() {
	local n deadline=$(($(now_us) + 5000000))
	for n in "${!UPGRADED[@]}"; do
		until [ -z "${UPGRADED[$n]:-}" ] || upgraded "$n" || [ "$(now_us)" -ge "$deadline" ]; do
			[ "${UPGRADED[$n]}" != - ] || break
			hold 50
		done
		[ -n "${UPGRADED[$n]:-}" ] || continue	# its host went down meanwhile
		if [ "${UPGRADED[$n]}" = - ]; then
			UPGRADES_UNKNOWN=$((UPGRADES_UNKNOWN + 1))
		elif upgraded "$n"; then
			UPGRADES_DONE=$((UPGRADES_DONE + 1))
		else
			UPGRADES_UNSEEN=$((UPGRADES_UNSEEN + 1))
			echo "chaos: $n's upgrade not seen done: IMAGE_STARTED_MS still ${UPGRADED[$n]%-}" >&2
		fi
	done
	UPGRADED=()
}

# Undo every fault, wait for the pending restarts, then mark HEAL.
heal() {
	local n k deadline
	service	# a host whose watchdog reset it is taken down, not woken
	for k in "${ZK_DOWN[@]}"; do
		"$ROOT/scripts/zk-local.sh" start-member "$ZK_DIR" "$k" >/dev/null 2>&1 ||
			echo "chaos: could not restart ZooKeeper member $k" >&2
	done
	ZK_DOWN=()
	for n in "${!BLACKHOLED[@]}" "${!RESET[@]}"; do
		proxy_mode "$n" pass
	done
	for n in "${!STOPPED[@]}"; do
		daemon_stop "$n" CONT
		event_mark "$n" CONT
	done
	for n in "${!KNOB[@]}"; do
		rm -f "$T/$n/HOOK_EXIT_promote" "$T/$n/HOOK_SLEEP_promote"
	done
	for n in "${!DOWN[@]}"; do
		daemon_start "$n"
	done
	BLACKHOLED=() RESET=() STOPPED=() DOWN=() KNOB=()
	check_upgrades
	deadline=$(($(now_us) + 30000000))
	while [ ${#RESTART_AT[@]} -gt 0 ] && [ "$(now_us)" -lt "$deadline" ]; do
		hold 50
	done
	[ ${#RESTART_AT[@]} -eq 0 ] || echo "chaos: restarts still pending at a HEAL: ${!RESTART_AT[*]}" >&2
	event_mark - HEAL
}

# Wait for one leader after a heal; the checker judges lateness, so never fail here.
await_leader() {
	local deadline=$(($(now_us) + (SESSION_MS + 8000) * 1000))
	until [ "$(leader_count)" -ge 1 ]; do
		[ "$(now_us)" -lt "$deadline" ] && { hold 50; continue; }
		echo "chaos: no leader $((SESSION_MS + 8000)) ms after a heal" >&2
		return 0
	done
}

# One round: pick one or two faults, hold them, heal.
round() {
	local kinds=(blackhole blackhole blackhole reset reset reset stop stop stop kill kill kill
		crash-restart crash-restart crash-restart upgrade upgrade
		term resign resign promote-fail promote-hang delete-znode delete-znode zk-member
		zk-member delete-path zk-all)
	local kind n count i long=0
	count=$((RANDOM % 2 + 1))
	for ((i = 0; i < count; i++)); do
		kind=${kinds[RANDOM % ${#kinds[@]}]}
		if [ $i -gt 0 ]; then	# at most one ZooKeeper-wide fault per round
			case $kind in zk-* | delete-path) kind=blackhole ;; esac
		fi
		if [ $i -eq 0 ] && [ $((RANDOM % 2)) -eq 0 ]; then n=$(target); else n=$(free_node) || continue; fi
		busy "$n" && continue
		inject "$kind" "$n"
		case $kind in zk-all) long=$((2 * SESSION_MS)) ;; stop) long=$((RANDOM % 2 * (SESSION_MS + 500))) ;; esac
	done
	hold $((long + $(rnd 100 1500)))
	heal
	await_leader
	hold "$(rnd 0 200)"
}

zk_start 3
event_mark - CONFIG "session_timeout_ms=$SESSION_MS"
if [ "$WATCHDOG" = 1 ]; then
	: >"$WD_LOG"
	exec {WD_FD}<"$WD_LOG"
fi
for ((i = 1; i <= NODES; i++)); do
	n=n$i
	NAMES+=("$n")
	proxy_start "$n"
	wd=()
	if [ "$WATCHDOG" = 1 ]; then
		wd_start "$n" "$WD_MS"
		wd=("watchdog.mode=required" "watchdog.device=$T/$n/wd" "watchdog.timeout=${WD_MS}ms")
	fi
	write_conf "$n" "zookeeper.hosts=127.0.0.1:${PROXY_PORT[$n]}" \
		"zookeeper.session_timeout=${SESSION_MS}ms" "hooks.promote_timeout=1s" \
		"hooks.follow=" "daemon.log_level=debug" "${wd[@]}"
	daemon_start "$n"
done
wait_for "a first leader" 30 test_leaders 1
wd_note=""
[ "$WATCHDOG" != 1 ] || wd_note=", watchdog stand-ins with a $WD_MS ms timeout"
echo "chaos: seed $SEED, $NODES nodes, session timeout $SESSION_MS ms, $DURATION s$wd_note"
end=$(($(now_us) + DURATION * 1000000))
rounds=0
while [ "$(now_us)" -lt "$end" ]; do
	round
	rounds=$((rounds + 1))
done
event_mark - END
{ cat "$LOG"; promote_tries; } >"$T/run.log"
echo "chaos: $rounds rounds; upgrades seen done: $UPGRADES_DONE, not seen: $UPGRADES_UNSEEN," \
	"unknown (no IMAGE_STARTED_MS in the state file): $UPGRADES_UNKNOWN"
checker=("$T/run.log")
if [ "$WATCHDOG" = 1 ]; then
	echo "chaos: watchdog resets (hosts taken down and restarted): $RESETS"
	checker+=(--watchdog "$WD_LOG")
fi
[ -z "${CHAOS_JSON:-}" ] || checker+=(--json "$CHAOS_JSON")
python3 "$ROOT/test/check_invariants.py" "${checker[@]}" || {
	keep=${CHAOS_KEEP:-/tmp}/chaos-failed-$SEED
	mkdir -p "$keep" && cp "$T"/*.log "$keep/" 2>/dev/null
	fail "the invariant checker found violations (event log and daemon logs kept in $keep)"
}
pass
