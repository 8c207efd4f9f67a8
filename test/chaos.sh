#!/bin/bash
# test/chaos.sh: randomized faults against a 3-server ZooKeeper ensemble and
# NODES real daemons, each behind its own fault proxy; then the invariant
# checker (test/check_invariants.py) judges the whole run.
#
#   DURATION=SECONDS NODES=5 SESSION_MS=1500 SEED=N test/chaos.sh
#   make chaos DURATION=1800
#
# Each round injects one or two faults (on different nodes), holds them for a
# random time, heals everything, writes HEAL to the event log and waits (with
# a deadline) for a leader. Faults: blackhole or reset of a node's link, SIGSTOP
# (shorter and longer than the session timeout), SIGKILL and restart, SIGTERM
# and restart, resign, a failing or hanging promote hook, the leader's znode
# or the whole election path deleted by hand, one ensemble member restarted,
# the whole ensemble down for twice the session timeout.
# Prints faults by kind, promotions, the longest leaderless gap and the
# checker's verdict; exits 1 on any violation.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-120}
NODES=${NODES:-5}
SESSION_MS=${SESSION_MS:-1500}
SEED=${SEED:-$$}
RANDOM=$SEED
LOG=$T/hooks.log
declare -A BLACKHOLED=() RESET=() STOPPED=() DOWN=() KNOB=()
ZK_DOWN=()
NAMES=()

# A random integer in [LO, HI].
rnd() {
	echo $(($1 + RANDOM % ($2 - $1 + 1)))
}

# Sleep MS milliseconds: the fault's intended duration, not a wait for a condition.
hold() {
	sleep "$(awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }')"
}

# The current leader's name, or a random node when there is none.
target() {
	leader_name 2>/dev/null || echo "${NAMES[RANDOM % NODES]}"
}

# A random node that no fault of this round touches yet.
free_node() {
	local n tries=0
	while [ $tries -lt 20 ]; do
		n=${NAMES[RANDOM % NODES]}
		[ -z "${BLACKHOLED[$n]:-}${RESET[$n]:-}${STOPPED[$n]:-}${DOWN[$n]:-}" ] && {
			echo "$n"
			return 0
		}
		tries=$((tries + 1))
	done
	return 1
}

# Inject fault KIND on node N (zk faults ignore N).
inject() {
	local kind=$1 n=$2 k
	case $kind in
	blackhole) proxy_mode "$n" blackhole; BLACKHOLED[$n]=1 ;;
	reset) proxy_mode "$n" reset; RESET[$n]=1 ;;
	stop) daemon_stop "$n" STOP; event_mark "$n" STOP; STOPPED[$n]=1 ;;
	kill) daemon_stop "$n" KILL; event_mark "$n" KILL; DOWN[$n]=1 ;;
	term) daemon_stop "$n"; DOWN[$n]=1 ;;
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

# Undo every fault, then mark HEAL.
heal() {
	local n k
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
	event_mark - HEAL
}

# Wait for one leader after a heal; the checker judges lateness, so never fail here.
await_leader() {
	local deadline=$(($(now_us) + (SESSION_MS + 8000) * 1000))
	until [ "$(leader_count)" -ge 1 ]; do
		[ "$(now_us)" -lt "$deadline" ] && { sleep 0.05; continue; }
		echo "chaos: no leader $((SESSION_MS + 8000)) ms after a heal" >&2
		return 0
	done
}

# One round: pick one or two faults, hold them, heal.
round() {
	local kinds=(blackhole blackhole blackhole reset reset reset stop stop stop kill kill kill
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
		[ -n "${BLACKHOLED[$n]:-}${RESET[$n]:-}${STOPPED[$n]:-}${DOWN[$n]:-}" ] && continue
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
for ((i = 1; i <= NODES; i++)); do
	n=n$i
	NAMES+=("$n")
	proxy_start "$n"
	write_conf "$n" "zookeeper.hosts=127.0.0.1:${PROXY_PORT[$n]}" \
		"zookeeper.session_timeout=${SESSION_MS}ms" "hooks.promote_timeout=1s" \
		"hooks.follow=" "daemon.log_level=debug"
	daemon_start "$n"
done
wait_for "a first leader" 30 test_leaders 1
echo "chaos: seed $SEED, $NODES nodes, session timeout $SESSION_MS ms, $DURATION s"
end=$(($(now_us) + DURATION * 1000000))
rounds=0
while [ "$(now_us)" -lt "$end" ]; do
	round
	rounds=$((rounds + 1))
done
event_mark - END
{ cat "$LOG"; promote_tries; } >"$T/run.log"
echo "chaos: $rounds rounds"
if [ -n "${CHAOS_JSON:-}" ]; then
	python3 "$ROOT/test/check_invariants.py" "$T/run.log" --json "$CHAOS_JSON"
else
	python3 "$ROOT/test/check_invariants.py" "$T/run.log"
fi || {
	keep=${CHAOS_KEEP:-/tmp}/chaos-failed-$SEED
	mkdir -p "$keep" && cp "$T"/*.log "$keep/" 2>/dev/null
	fail "the invariant checker found violations (event log and daemon logs kept in $keep)"
}
pass
