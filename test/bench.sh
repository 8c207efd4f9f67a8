#!/bin/bash
# test/bench.sh: make bench. Starts a private ZooKeeper and real daemons whose
# hooks are test/hookrec.c (a no-op that records a ns timestamp as its first
# action), runs each scenario many times and prints one table: median, p90, p95,
# max, run count, the goal, and the physical limit the figure is measured against
# (bare ZooKeeper clients and the spawn cost, measured in the same run). A goal
# "X every run" (a count that must be exact in each round) is met only when no
# round missed it; the rounds that did are listed under the table with the
# daemon's log lines of the round ("Anomalies"; also in the JSON).
#
#   test/bench.sh                     the full run (about 11 minutes on 2 cores)
#   BENCH_QUICK=1 test/bench.sh       a smoke run (about two minutes)
#   BENCH_JSON=FILE test/bench.sh     also write the figures as JSON to FILE
#   KEEP=1                            keep the run's directory (logs, samples, snapshots)
#   BENCH_SCALE="3 100 1000"          contender counts of the scale scenario
#   BENCH_IDLE=60                     seconds of the idle footprint window
#   BENCH_BATCH=50                    daemons started at once when the crowd grows
#   BENCH_ONLY="floor handover"       run only these scenarios (names below), in this order
#   BENCH_RESTART_ROUNDS=20           rounds of the crash-restart scenario
#   BENCH_UPGRADE_ROUNDS=20           rounds of the upgrade scenario
#   BENCH_PGCLIENT_ROUNDS=5           rounds of each pgclient scenario
#   BENCH_LOGLEVEL=info               log level of the handover daemons (debug to trace one)
#   BENCH_KAZOO_ROUNDS=60             handovers of each kind (cold, warm) per contender in kazoo
#   BENCH_KAZOO_FIRST=15              cold starts of each trio in kazoo
#   BENCH_KAZOO_IDLE=20               seconds of kazoo's idle footprint window
#   BENCH_ENSEMBLE_ROUNDS=30          handovers of each kind per contender in ensemble
#   BENCH_KAZOO_PYTHON=/usr/bin/python3  the interpreter with Debian's python3-kazoo
#   BENCH_TMPDIR=/dev/shm             where the run's directory goes: state and PID files
#                                     belong on tmpfs, as in /run/zkelectd (on ext4 each
#                                     state-file rename costs 0.2-7 ms); ZooKeeper's data
#                                     stays on disk (/tmp), fsync and all
#
# Scenarios (BENCHMARKS.md says what each figure means):
#   spawn      posix_spawn -> the hook's first instruction (test/spawnbench.c)
#   floor      ZooKeeper alone: a delete reaching a watcher, then list + exists;
#              connect + create + list + exists (what a cold start must wait for);
#              and the least handover that spawns its hook, in one sequence after
#              50 ms of quiet (bare clients: delete -> notified -> list + exists ->
#              spawn -> the hook's first instruction), the limit of the handovers
#   handover   3 daemons; SIGTERM the leader: demote end -> successor's promote start
#   crash      3 daemons, session_timeout 2 s; SIGKILL the leader
#   crash-restart 3 daemons, session_timeout 6 s; SIGKILL the leader and start it again
#              100 ms later: it must resume its session (same znode, same epoch, promote
#              with reason resumed, no other node's hook); its 'starting' -> 'resumed'
#   upgrade    3 daemons, session_timeout 6 s, each run from its own copy of the binary
#              in $T/bin; replace the leader's copy (cp + mv -f) and SIGUSR2 it: no time
#              without a leader (ZooKeeper's view and the state files), no hook,
#              SIGUSR2 -> 'resumed'
#   cold       one daemon on an empty election: exec -> promote start
#   footprint  an idle leader and follower (session_timeout 10 s) beside a bare client
#   kazoo      side by side, same ZooKeeper, session_timeout 10 s: 3 daemons and 3 processes
#              of kazoo's Election recipe (test/bench_kazoo.py), rounds alternating:
#              idle footprint (RSS, PSS, CPU); handover cold (SIGTERM: demote end ->
#              successor's promote start; kazoo: leader callback's return -> successor's
#              callback start) and warm (zkelectctl resign / SIGUSR1, also resign ->
#              demote start); first leader after 3 contenders start at once (exec of the
#              first -> first promote / callback start); the ratios zkelectd / kazoo,
#              also without the hook's spawn (demote end -> the successor's 'running
#              promote' line), and (with spawn and floor in the run) the least a
#              handover can take, over kazoo's median (limit / kazoo)
#   ensemble   the same handovers (cold, warm) on a 3-member ZooKeeper ensemble, and
#              ZooKeeper's own floor there
#   scale      N contenders, no follow hook: per handover the requests, bytes, who
#              listed, notifications per follower; the time for the crowd to join
#   postgresql two real PostgreSQL clusters with the example hooks (test/pg_drill.sh,
#              BENCH_PG_ROUNDS rounds each of handover, resign, primary crash): the
#              time until the old primary streams from the new leader again
#   pgclient   the same clusters with a client writing a row every 5 ms (test/pg_client.sh,
#              BENCH_PGCLIENT_ROUNDS rounds each of a planned switchover, zkelectd
#              SIGKILL + restart, a host crash): the longest write gap and the
#              acknowledged rows lost, from the client's own log
# Targets are goals to report, never pass/fail: the exit status is 0 unless the
# harness itself failed.
TMPDIR=${BENCH_TMPDIR:-/dev/shm}
export TMPDIR
# shellcheck source=test/lib.sh
. "$(dirname "$0")/lib.sh"

QUICK=${BENCH_QUICK:-0}
SPAWNBENCH=$(dirname "$ZKELECTD")/spawnbench
SAMPLES=$T/samples
FIGS=$T/figures.tsv
HOOKLOG=$T/hooks.log
BATCH=${BENCH_BATCH:-50}
declare -A LAST=() LASTEP=() CROWD=() LOGAT=()
CROWD_NAMES=()
BG_PIDS=()
HOOK_PARTIAL=""
JOIN_NS=0
ZK_DATA=""
ANOMALIES=$T/anomalies.txt
LOG_FD=""
LOG_OFF=0
LOG_PARTIAL=""
LEADS=0

# FULL or QUICK, by the mode.
pick() {
	if [ "$QUICK" = 1 ]; then echo "$2"; else echo "$1"; fi
}

N_SPAWN=$(pick 1000 30)
N_FLOOR=$(pick 500 20)
N_LEAST=$(pick 200 20)
LEAST_IDLE_MS=50	# quiet before each least handover, as before a bench round's
N_HANDOVER=$(pick 200 6)
N_CRASH=$(pick 30 3)
N_COLD=$(pick 200 6)
N_SCALE_RUNS=$(pick 40 3)
IDLE=${BENCH_IDLE:-$(pick 60 10)}
SCALE_NS=${BENCH_SCALE:-$(pick "3 100 1000" "3 30")}
N_PG=${BENCH_PG_ROUNDS:-$(pick 5 1)}
N_RESTART=${BENCH_RESTART_ROUNDS:-$(pick 20 3)}
N_UPGRADE=${BENCH_UPGRADE_ROUNDS:-$(pick 20 3)}
N_PGCLIENT=${BENCH_PGCLIENT_ROUNDS:-$(pick 5 1)}
N_KAZOO=${BENCH_KAZOO_ROUNDS:-$(pick 60 5)}
N_KZFIRST=${BENCH_KAZOO_FIRST:-$(pick 15 3)}
KZ_IDLE=${BENCH_KAZOO_IDLE:-$(pick 20 5)}
N_ENSEMBLE=${BENCH_ENSEMBLE_ROUNDS:-$(pick 30 4)}
KAZOO_PY=${BENCH_KAZOO_PYTHON:-$PYTHON}
COMPARE=$T/compare.tsv
declare -A KZ_PIDS=() KZQ=()
ENS_DIR=""
PGCLIENT_SWITCH=""

# --- small tools ---

# The realtime clock in ns (µs resolution), without a fork.
now_ns() {
	local t=$EPOCHREALTIME
	echo "${t/./}000"
}

# Declare a row of the table: KEY UNIT TARGET LIMIT LABEL. TARGET and LIMIT are text,
# or "=EXPR" over the medians of other keys (ns, bytes or counts); "=MED|=P95" for two.
figure() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$FIGS"
}

# Declare a row of the zkelectd / kazoo table: LABEL ZKELECTD-KEY KAZOO-KEY UNIT [LIMIT],
# LIMIT an "=EXPR" as figure's: the least zkelectd's side can take on this machine.
compare() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:--}" >>"$COMPARE"
}

# Append VALUE... (one per line) to the samples of KEY.
sample() {
	local k=$1
	shift
	printf '%s\n' "$@" >>"$SAMPLES/$k"
}

# Print a progress line on stderr.
say() {
	echo "bench: $(date +%T) $*" >&2
}

# --- the hook log, read as it grows (no fork while waiting) ---

# Read the new complete lines of hooks.log into LAST[id:event:phase] (ns) and LASTEP (epoch).
hooks_poll() {
	local line="" key
	while IFS= read -r -u "$HOOK_FD" line; do
		line=$HOOK_PARTIAL$line
		HOOK_PARTIAL=""
		hook_read "$line" || continue
		key=${HOOK_REC[id]}:${HOOK_REC[event]}:${HOOK_REC[phase]}
		LAST[$key]=${HOOK_REC[ns]}
		LASTEP[$key]=${HOOK_REC[epoch]}
	done
	HOOK_PARTIAL+=$line	# a record still being written
}

# Forget what we know of ID's EVENT PHASE, so that we can wait for the next one.
hook_forget() {
	hooks_poll
	unset "LAST[$1:$2:$3]" "LASTEP[$1:$2:$3]"
}

# Wait up to SECS for a record ID EVENT PHASE (newer than the last hook_forget);
# with EPOCH, one for that epoch.
wait_hook() {
	local id=$1 ev=$2 ph=$3 secs=$4 ep=${5:-} deadline
	deadline=$((${EPOCHREALTIME/./} + secs * 1000000))
	while :; do
		hooks_poll
		if [ -n "${LAST[$id:$ev:$ph]:-}" ] &&
		    { [ -z "$ep" ] || [ "${LASTEP[$id:$ev:$ph]}" = "$ep" ]; }; then
			return 0
		fi
		[ "${EPOCHREALTIME/./}" -lt "$deadline" ] ||
			fail "timed out after ${secs}s waiting for $id's $ev $ph${ep:+ (epoch $ep)}"
		nap 0.005
	done
}

# --- processes ---

# True while our child PID runs (a zombie does not count). No fork.
alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# Wait up to SECS for our child PID to exit (KILL it then) and reap it.
wait_exit() {
	local pid=$1 deadline
	deadline=$((${EPOCHREALTIME/./} + $2 * 1000000))
	while alive "$pid"; do
		if [ "${EPOCHREALTIME/./}" -ge "$deadline" ]; then
			echo "bench: pid $pid still running after $2 s, sending SIGKILL" >&2
			kill -s KILL "$pid" 2>/dev/null || true
		fi
		nap 0.01
	done
	wait "$pid" 2>/dev/null || true
}

# Stop NAME's daemon (started by daemon_start) with SIG and wait until it is gone.
stop_daemon() {
	local pid
	pid=$(daemon_pid "$1")
	kill -s "$2" "$pid" 2>/dev/null || true
	wait_exit "$pid" 20
}

# Kill the crowd and our helpers (by PID), stop ZooKeeper and remove its data
# (unless KEEP=1), then run lib.sh's cleanup.
bench_cleanup() {
	local rc=$? pid
	[ "$BASHPID" = "$LIB_PID" ] || exit "$rc"
	for pid in "${CROWD[@]}" "${BG_PIDS[@]}"; do
		kill -s KILL "$pid" 2>/dev/null || true
	done
	for pid in "${CROWD[@]}" "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done 2>/dev/null
	for pid in "${KZ_PIDS[@]}"; do
		kill -s TERM "$pid" 2>/dev/null || true
	done
	for pid in "${KZ_PIDS[@]}"; do
		wait_exit "$pid" 10
	done
	if [ -n "$ZK_DATA" ] && [ "${KEEP:-0}" != 1 ]; then
		for pid in "${DAEMON_PIDS[@]}"; do	# they leave while ZooKeeper still runs
			kill -s TERM "$pid" 2>/dev/null || true
		done
		for pid in "${DAEMON_PIDS[@]}"; do
			wait_exit "$pid" 10
		done
		zk_stop >/dev/null 2>&1 || true
		rm -rf "$ZK_DATA"
	fi
	ensemble_stop
	(exit "$rc")
	cleanup
}
trap bench_cleanup EXIT

# --- ZooKeeper ---

# Start the private ZooKeeper with its data on disk (not in the tmpfs run directory),
# allowing any number of connections from one address (scripts/zk-local.sh keeps the
# default of 60): start it, stop it, add the key, start it again.
bench_zk() {
	ZK_DATA=$(mktemp -d /tmp/zkelectd-bench-zk.XXXXXX)
	ln -s "$ZK_DATA" "$T/zk"
	zk_start
	zk_stop
	echo "maxClientCnxns=0" >>"$ZK_DIR/zk1.cfg"
	zk_start_member 1
}

# Send a four-letter word to our ZooKeeper.
fourlw() {
	"$ROOT/scripts/zk-local.sh" cli "$ZK_DIR" "$1"
}

# --- scenario: spawn cost and the ZooKeeper floors ---

# posix_spawn of the no-op hook, as the daemon does it.
bench_spawn() {
	say "spawn: $N_SPAWN runs"
	mkdir -p "$T/spawn"
	ln -s "$(dirname "$ZKELECTD")/hookrec" "$T/spawn/hook.sh"
	"$SPAWNBENCH" spawn 20 "$T/spawn" >/dev/null || fail "spawnbench spawn"
	rm -f "$T/spawn/hooks.log"
	"$SPAWNBENCH" spawn "$N_SPAWN" "$T/spawn" >>"$SAMPLES/spawn" || fail "spawnbench spawn"
}

# The least handover that spawns its hook, measured as one sequence after a quiet
# spell: on these VMs a machine that sat idle answers 1-2 ms slower than one timed
# back to back, as floor and spawn are, so their sum is below what any daemon can do.
bench_least() {
	mkdir -p "$T/least"
	ln -s "$(dirname "$ZKELECTD")/hookrec" "$T/least/hook.sh"
	"$SPAWNBENCH" least "$ZK_HOSTS" /benchleast 5 "$T/least" "$LEAST_IDLE_MS" >/dev/null ||
		fail "spawnbench least"
	rm -f "$T/least/hooks.log"
	"$SPAWNBENCH" least "$ZK_HOSTS" /benchleast "$N_LEAST" "$T/least" "$LEAST_IDLE_MS" \
	    >>"$SAMPLES/least" || fail "spawnbench least"
}

# ZooKeeper's own share of a handover and of a cold start, with bare clients.
bench_floor() {
	local out
	say "floor: $N_FLOOR handovers, $N_LEAST least handovers and $N_COLD joins with bare clients"
	"$SPAWNBENCH" floor "$ZK_HOSTS" /benchfloor 20 >/dev/null || fail "spawnbench floor"
	out=$("$SPAWNBENCH" floor "$ZK_HOSTS" /benchfloor "$N_FLOOR") || fail "spawnbench floor"
	awk '{ print $1 }' <<<"$out" >>"$SAMPLES/floor_notify"
	awk '{ print $2 }' <<<"$out" >>"$SAMPLES/floor_total"
	awk '{ print $2 - $1 }' <<<"$out" >>"$SAMPLES/floor_react"
	bench_least
	"$SPAWNBENCH" join "$ZK_HOSTS" /benchjoin 5 >/dev/null || fail "spawnbench join"
	out=$("$SPAWNBENCH" join "$ZK_HOSTS" /benchjoin "$N_COLD") || fail "spawnbench join"
	awk '{ print $1 }' <<<"$out" >>"$SAMPLES/join_connect"
	awk '{ print $2 }' <<<"$out" >>"$SAMPLES/join_total"
}

# --- scenario: graceful handover (N = 3) ---

# The id of the contender at POSITION (1 = leader) in NAME's election.
nth_in_list() {
	"$ZKELECTCTL" -c "$T/$1.conf" list 2>/dev/null | awk -F'\t' -v p="$2" '$1 == p { print $2 }'
}

# Start NAMES... as a queue (configs written): the first leads, each waits for the one before.
queue_up() {
	local n first=$1
	for n in "$@"; do
		hook_forget "$n" promote end
		daemon_start "$n"
		if [ "$n" = "$first" ]; then
			wait_hook "$n" promote end 20
		else
			wait_for "$n to follow" 20 role_is "$n" follower
		fi
	done
}

# Wait until every daemon of NAMES... other than LEADER ran follow for EPOCH.
followers_settled() {
	local leader=$1 ep=$2 n
	shift 2
	for n in "$@"; do
		[ "$n" = "$leader" ] && continue
		wait_hook "$n" follow end 20 "$ep"
	done
}

# After a handover to SUCCESSOR: wait for its promote to end, start the old LEADER
# again (it joins at the back) and wait until every one of NAMES... is quiet.
rejoin_settled() {
	local successor=$1 leader=$2 ep
	shift 2
	ep=${LASTEP[$successor:promote:start]}
	wait_hook "$successor" promote end 20
	hook_forget "$leader" follow end
	daemon_start "$leader"
	followers_settled "$successor" "$ep" "$@"
}

# SIGTERM the leader of NAMES...; record demote end -> promote start as KEY and the
# end-to-end time as KEY_e2e; restart the old leader (it joins at the back) and wait
# until all is quiet.
one_handover() {
	local key=$1 leader successor t0 promoted demoted
	shift
	leader=$(nth_in_list "$1" 1)
	successor=$(nth_in_list "$1" 2)
	if [ -z "$leader" ] || [ -z "$successor" ]; then
		fail "handover: no leader or successor listed"
	fi
	hook_forget "$leader" demote end
	hook_forget "$successor" promote start
	hook_forget "$successor" promote end
	t0=$(now_ns)
	kill -s TERM "$(daemon_pid "$leader")"
	wait_hook "$successor" promote start 20
	stop_daemon "$leader" TERM
	wait_hook "$leader" demote end 1
	promoted=${LAST[$successor:promote:start]}
	demoted=${LAST[$leader:demote:end]}
	sample "$key" $((promoted - demoted))
	sample "${key}_e2e" $((promoted - t0))
	sample_decision "$key" "$successor" "$demoted"
	rejoin_settled "$successor" "$leader" "$@"
}

# KEY_decision: the old leader's demote end (DEMOTED, ns) -> SUCCESSOR's 'running
# promote' log line, just before the spawn: the handover without the hook's start,
# the most a hook that is not a process could give.
sample_decision() {
	local key=$1 successor=$2 demoted=$3 t
	t=$(log_line_ns "$successor" ' role: running promote ')
	[ -z "$t" ] || sample "${key}_decision" $((t - demoted))
}

# The time (ns) of NODE's last recent log line that contains TEXT; nothing if none.
log_line_ns() {
	local line
	line=$(tail -n 40 "$T/$1.log" | grep -F -- "$2" | tail -n 1)
	[ -z "$line" ] || iso_ns "${line%% *}"
}

# Three daemons with every hook; SIGTERM the leader again and again.
bench_handover() {
	local n i
	say "handover: $N_HANDOVER graceful handovers among 3 daemons"
	for n in h1 h2 h3; do
		write_conf "$n" election.path=/benchhand/e zookeeper.session_timeout=10s \
		    "daemon.log_level=${BENCH_LOGLEVEL:-info}"
	done
	queue_up h1 h2 h3
	followers_settled h1 "${LASTEP[h1:promote:end]}" h1 h2 h3
	for ((i = 0; i < 3; i++)); do	# warm-up, not counted
		one_handover handover h1 h2 h3
	done
	rm -f "$SAMPLES/handover" "$SAMPLES/handover_e2e" "$SAMPLES/handover_decision"
	for ((i = 0; i < N_HANDOVER; i++)); do
		one_handover handover h1 h2 h3
	done
	for n in h1 h2 h3; do
		stop_daemon "$n" TERM
	done
}

# --- scenario: crash failover (session_timeout 2 s) ---

# SIGKILL the leader; record SIGKILL -> deletion delivered (to a bare watcher) ->
# successor's promote start; restart the killed node and wait until all is quiet.
one_crash() {
	local leader successor znode t0 w tdel promoted
	leader=$(nth_in_list k1 1)
	successor=$(nth_in_list k1 2)
	znode=$(state_of "$leader" ZNODE)
	if [ -z "$znode" ] || [ -z "$successor" ]; then
		fail "crash: no leader znode or successor"
	fi
	w=$T/crash/watch.$RANDOM
	"$SPAWNBENCH" watch "$ZK_HOSTS" "$znode" "$w" 2>>"$T/crash/watch.err" &
	BG_PIDS+=($!)
	wait_for "the watcher to arm" 10 test -e "$w.armed"
	hook_forget "$successor" promote start
	hook_forget "$successor" promote end
	t0=$(now_ns)
	{
		kill -s KILL "$(daemon_pid "$leader")"
		wait_exit "$(daemon_pid "$leader")" 5
	} 2>/dev/null	# bash would report the job as Killed
	wait_hook "$successor" promote start 20
	wait_for "the watcher's report" 10 test -s "$w"
	read -r tdel <"$w"
	promoted=${LAST[$successor:promote:start]}
	sample crash_delivery $((tdel - t0))
	sample crash_react $((promoted - tdel))
	sample crash_total $((promoted - t0))
	rejoin_settled "$successor" "$leader" k1 k2 k3
}

# Three daemons at session_timeout 2 s; SIGKILL the leader again and again.
bench_crash() {
	local n i
	say "crash: $N_CRASH crash failovers among 3 daemons (each waits out the 2 s session)"
	mkdir -p "$T/crash"
	for n in k1 k2 k3; do
		write_conf "$n" election.path=/benchcrash/e zookeeper.session_timeout=2s \
		    daemon.log_level=info
	done
	queue_up k1 k2 k3
	followers_settled k1 "${LASTEP[k1:promote:end]}" k1 k2 k3
	one_crash	# warm-up, not counted
	rm -f "$SAMPLES"/crash_*
	for ((i = 0; i < N_CRASH; i++)); do
		one_crash
	done
	for n in k1 k2 k3; do
		stop_daemon "$n" TERM
	done
}

# --- scenarios: crash-restart and upgrade (the session resumed: docs in src/role_resume.c) ---

# Forget background PID (it was reaped): the cleanup must not signal a reused PID.
drop_bg() {
	local i
	for i in "${!BG_PIDS[@]}"; do
		[ "${BG_PIDS[i]}" != "$1" ] || unset "BG_PIDS[i]"
	done
}

# Note an anomaly of round K of SCENARIO: TEXT; it is printed with the table (and in the JSON).
anomaly() {
	echo "$1 round $2: $3" >>"$ANOMALIES"
	say "$1 round $2: ${3:0:150}..."
}

# Follow NAME's daemon log from its current end: log_poll then fills LOGAT[start]
# (the new image's 'starting' line), LOGAT[exec] ('upgrade: executing PATH'),
# LOGAT[resumed] (the 'resumed' line; LOGAT[resumed_as] what follows "resumed; "),
# LOGAT[afresh] (a resume given up), each the line's ISO timestamp. No fork.
log_follow() {
	local line=""
	[ -z "$LOG_FD" ] || exec {LOG_FD}<&-
	LOG_OFF=$(stat -c %s "$T/$1.log")
	exec {LOG_FD}<"$T/$1.log"
	while IFS= read -r -u "$LOG_FD" line; do :; done
	LOG_PARTIAL=$line
	LOGAT=()
}

# Read the new complete lines of the followed log (see log_follow).
log_poll() {
	local line=""
	while IFS= read -r -u "$LOG_FD" line; do
		line=$LOG_PARTIAL$line
		LOG_PARTIAL=""
		case $line in
		*" starting (id "*) LOGAT[start]=${line%% *} ;;
		*" upgrade: executing /"*) LOGAT[exec]=${line%% *} ;;
		*" resume: session 0x"*" resumed; "*)
			LOGAT[resumed]=${line%% *}
			LOGAT[resumed_as]=${line#*resumed; }
			;;
		*" resume: "*"starting afresh"* | *" resume: "*"start-up demote now"*)
			: "${LOGAT[afresh]:=${line%% *}}"
			;;
		esac
	done
	LOG_PARTIAL+=$line
}

# Stop following the log.
log_unfollow() {
	[ -z "$LOG_FD" ] || exec {LOG_FD}<&-
	LOG_FD=""
}

# The ns since the epoch of an ISO timestamp of the daemon's log (2026-12-05T04:08:25.123456Z).
iso_ns() {
	date -u -d "$1" +%s%N
}

# What ZooKeeper says of NAME's election: leader id, data, epoch and znode (one line).
zk_leader() {
	"$ZKELECTCTL" -c "$T/$1.conf" leader 2>&1 | tr '\n' ' '
}

# Hook records (start) of hooks.log since NS: "id event reason" per line.
hooks_since() {
	hook_awk "" start -v t="$1" 'ns >= t { print id, event, reason }'
}

# Keep the log lines NAME wrote since OFFSET in FILE (an anomalous round's evidence);
# add them to the anomalies for the first three anomalous rounds of SCENARIO.
keep_excerpt() {
	local scenario=$1 name=$2 off=$3 file=$4
	tail -c +"$((off + 1))" "$T/$name.log" >"$file"
	if [ "$(grep -c "^$scenario round " "$ANOMALIES")" -le 3 ]; then
		grep -v ' debug: ' "$file" | head -n 25 | sed "s/^/    $name: /" >>"$ANOMALIES"
	fi
}

# Three daemons NAMES... (configs written) started as a queue; the first leads.
resume_trio() {
	local n
	queue_up "$@"
	followers_settled "$1" "${LASTEP[$1:promote:end]}" "$@"
	for n in "$@"; do
		[ -s "$T/$n/zkelectd.session" ] || fail "$n wrote no session file"
	done
}

# Round K of crash-restart among NAMES...: SIGKILL the leader, start it again 100 ms
# after the kill (its exec time noted by spawnbench), wait until it resumed and its
# promote ended, or another node promoted; then judge the round.
one_restart() {
	local k=$1 leader n t0 rest zk0 zk1 deadline ok="" others ev texec tstart tres
	local failovers resumed foreign ep0 ep1 off
	shift
	leader=$(nth_in_list "$1" 1)
	[ -n "$leader" ] || fail "crash-restart: nobody leads"
	zk0=$(zk_leader "$1")
	ep0=$(state_of "$leader" EPOCH)
	log_follow "$leader"
	off=$LOG_OFF
	for n in "$@"; do
		hook_forget "$n" promote start
	done
	hook_forget "$leader" promote end
	rm -f "$T/restart/exec.t0"
	t0=${EPOCHREALTIME/./}000	# no fork: the signal follows at once
	{
		kill -s KILL "$(daemon_pid "$leader")"
		wait "$(daemon_pid "$leader")"
	} 2>/dev/null
	rest=$((t0 / 1000 + 100000 - ${EPOCHREALTIME/./}))
	[ "$rest" -le 0 ] || nap "$(printf '0.%06d' "$rest")"
	echo "--- ${EPOCHREALTIME} restart (crash-restart round $k)" >>"$T/$leader.log"
	"$SPAWNBENCH" exec "$T/restart/exec.t0" "$ZKELECTD" -c "$T/$leader.conf" </dev/null \
	    >>"$T/$leader.log" 2>&1 &
	DAEMON_PIDS[$leader]=$!
	deadline=$((${EPOCHREALTIME/./} + 20000000))
	while [ -z "$ok" ]; do
		hooks_poll
		log_poll
		if [ -n "${LAST[$leader:promote:end]:-}" ] && [ -n "${LOGAT[resumed]:-}" ]; then
			ok=resumed
		fi
		for n in "$@"; do
			[ "$n" != "$leader" ] && [ -n "${LAST[$n:promote:start]:-}" ] && ok=failover
		done
		if [ "${EPOCHREALTIME/./}" -ge "$deadline" ]; then
			ok=timeout
		else
			nap 0.002
		fi
	done
	nap 0.5	# anything the others would do comes now, inside the round
	log_poll
	log_unfollow
	zk1=$(zk_leader "$1")
	ep1=$(state_of "$leader" EPOCH)
	others=$(hooks_since "$t0" | awk -v l="$leader" '$1 != l')
	failovers=$(hooks_since "$t0" | awk -v l="$leader" '$1 != l && $2 == "promote"' | wc -l)
	resumed=$(hooks_since "$t0" |
	    awk -v l="$leader" '$1 == l && $2 == "promote" && $3 == "resumed"' | wc -l)
	foreign=$(grep -c . <<<"$others")
	[ -n "$others" ] || foreign=0
	sample restart_failover "$failovers"
	sample restart_resumed "$resumed"
	sample restart_others "$foreign"
	if [ "$zk1" = "$zk0" ] && [ "$ep1" = "$ep0" ]; then
		sample restart_epoch 0
	else
		sample restart_epoch 1
	fi
	if [ -n "${LOGAT[start]:-}" ] && [ -n "${LOGAT[resumed]:-}" ] &&
	    [ -s "$T/restart/exec.t0" ]; then
		read -r texec <"$T/restart/exec.t0"
		tstart=$(iso_ns "${LOGAT[start]}")
		tres=$(iso_ns "${LOGAT[resumed]}")
		sample restart_resume $((tres - tstart))
		sample restart_load $((tstart - texec))
		sample restart_exec $((tres - texec))
		sample restart_kill_exec $((texec - t0))
		ev=$(hook_awk "$leader" start -v t="$t0" \
		    'ns >= t && event == "promote" && reason == "resumed" { print ns; exit }')
		[ -z "$ev" ] || sample restart_promote $((ev - texec))
	fi
	if [ "$ok" != resumed ] || [ "$failovers" != 0 ] || [ "$resumed" != 1 ] ||
	    [ "$foreign" != 0 ] || [ "$zk1" != "$zk0" ] || [ "$ep1" != "$ep0" ] ||
	    [ "${LOGAT[resumed_as]:-}" != "still the leader (same epoch)" ]; then
		anomaly crash-restart "$k" "$leader restarted: $ok; resumed as\
 '${LOGAT[resumed_as]:-}'; promotes elsewhere $failovers; promotes 'resumed' $resumed;\
 other nodes' hooks $foreign (${others//$'\n'/, }); ZooKeeper before: $zk0;\
 after: $zk1; state epoch $ep0 -> $ep1"
		keep_excerpt crash-restart "$leader" "$off" "$T/restart/round-$k.$leader.log"
	fi
	if [ "$ok" != resumed ]; then	# let it settle whatever happened before the next round
		wait_for "a leader after crash-restart round $k" 30 test -n "$(nth_in_list "$1" 1)"
		nap 7
	fi
}

# Three daemons at session_timeout 6 s; SIGKILL the leader and start it 100 ms later.
bench_crash_restart() {
	local n k
	say "crash-restart: $N_RESTART rounds among 3 daemons" \
	    "(SIGKILL the leader, start it 100 ms later)"
	mkdir -p "$T/restart"
	for n in c1 c2 c3; do
		write_conf "$n" election.path=/benchrestart/e zookeeper.session_timeout=6s \
		    hooks.timeout=2s daemon.log_level=info
	done
	resume_trio c1 c2 c3
	for ((k = 1; k <= N_RESTART; k++)); do
		one_restart "$k" c1 c2 c3
	done
	for n in c1 c2 c3; do
		stop_daemon "$n" TERM
	done
}

# The number of NAMES... whose state file says leader: LEADS (read without a fork).
state_leaders() {
	local n line
	LEADS=0
	for n in "$@"; do
		read -r line <"$T/$n/zkelectd.state" || continue
		[ "$line" = "ROLE='leader'" ] && LEADS=$((LEADS + 1))
	done
	return 0
}

# Replace NAME's copy of the binary with a fresh file (a new inode), as a package upgrade does.
new_binary() {
	cp "$ZKELECTD" "$T/bin/$1/zkelectd.new"
	mv -f "$T/bin/$1/zkelectd.new" "$T/bin/$1/zkelectd"
}

# Round K of upgrade among NAMES...: replace the leader's binary, SIGUSR2 it; poll every
# state file about every ms until the 'resumed' line is in and a state file says leader
# again (200 ms more); then judge the round from ZooKeeper, the state files and hooks.log.
one_upgrade() {
	local k=$1 leader pid inode w t0 t tend="" zk0 zk1 ep0 ep1 off no_since="" gap=0 polls=0
	local most=0 deadline tdel="" ev tsig_exec tres tstart hooks nhooks zkgap exe watcher
	local gap_ms line roles=""
	shift
	leader=$(nth_in_list "$1" 1)
	[ -n "$leader" ] || fail "upgrade: nobody leads"
	pid=$(daemon_pid "$leader")
	new_binary "$leader"
	inode=$(stat -c %i "$T/bin/$leader/zkelectd")
	zk0=$(zk_leader "$1")
	ep0=$(state_of "$leader" EPOCH)
	w=$T/upgrade/watch.$k
	"$SPAWNBENCH" watch "$ZK_HOSTS" "$(state_of "$leader" ZNODE)" "$w" \
	    2>>"$T/upgrade/watch.err" &
	watcher=$!
	BG_PIDS+=("$watcher")
	wait_for "the watcher to arm" 10 test -e "$w.armed"
	log_follow "$leader"
	off=$LOG_OFF
	hooks_poll
	t0=${EPOCHREALTIME/./}000	# no fork: the signal follows at once
	kill -s USR2 "$pid"
	deadline=$((t0 / 1000 + 20000000))
	while :; do
		t=${EPOCHREALTIME/./}
		state_leaders "$@"
		polls=$((polls + 1))
		read -r line <"$T/$leader/zkelectd.state" || line="ROLE=?"
		[ "${line#ROLE=}" = "${roles##* }" ] || roles+=" ${line#ROLE=}"
		[ "$LEADS" -le "$most" ] || most=$LEADS
		if [ "$LEADS" -eq 0 ]; then
			[ -n "$no_since" ] || no_since=$t
		elif [ -n "$no_since" ]; then
			gap=$((gap + t - no_since))
			no_since=""
		fi
		log_poll
		if [ -z "$tend" ] && [ -n "${LOGAT[resumed]:-}" ] && [ "$LEADS" -ge 1 ]; then
			tend=$((t + 200000))
		fi
		[ -z "$tend" ] || [ "$t" -lt "$tend" ] || break
		if [ "$t" -ge "$deadline" ]; then
			[ -z "$no_since" ] || gap=$((gap + t - no_since))
			anomaly upgrade "$k" "no 'resumed' line and leader in the state files in 20 s"
			break
		fi
		nap 0.001
	done
	sample upgrade_poll_ms $(((t - t0 / 1000) * 1000 / polls))
	nap 0.3	# anything the others would do comes now, inside the round
	log_poll
	log_unfollow
	hooks=$(hooks_since "$t0")
	hooks=${hooks//$'\n'/, }
	nhooks=$(hooks_since "$t0" | wc -l)
	zk1=$(zk_leader "$1")
	ep1=$(state_of "$leader" EPOCH)
	{
		kill -s TERM "$watcher"
		wait "$watcher"
	} 2>/dev/null
	drop_bg "$watcher"
	[ ! -s "$w" ] || read -r tdel <"$w"
	zkgap=0
	if [ -n "$tdel" ]; then	# the leader's znode went: until the next promote starts
		ev=$(hook_awk "" start -v t="$tdel" \
		    'ns >= t && event == "promote" { print ns; exit }')
		zkgap=$((${ev:-$(now_ns)} - tdel))
	fi
	sample upgrade_gap_zk "$zkgap"
	sample upgrade_gap_state $((gap * 1000))
	sample upgrade_hooks "$nhooks"
	if [ "$zk1" = "$zk0" ] && [ "$ep1" = "$ep0" ]; then
		sample upgrade_epoch 0
	else
		sample upgrade_epoch 1
	fi
	if [ -n "${LOGAT[exec]:-}" ]; then
		tsig_exec=$(iso_ns "${LOGAT[exec]}")
		sample upgrade_sig_exec $((tsig_exec - t0))
		[ -z "${LOGAT[start]:-}" ] ||
			sample upgrade_load $(($(iso_ns "${LOGAT[start]}") - tsig_exec))
	fi
	if [ -n "${LOGAT[resumed]:-}" ]; then
		tres=$(iso_ns "${LOGAT[resumed]}")
		sample upgrade_total $((tres - t0))
		if [ -n "${LOGAT[start]:-}" ]; then
			tstart=$(iso_ns "${LOGAT[start]}")
			sample upgrade_resume $((tres - tstart))
		fi
	fi
	exe=$(stat -L -c %i "/proc/$pid/exe" 2>/dev/null || echo gone)
	if [ "$zkgap" != 0 ] || [ "$gap" != 0 ] || [ "$nhooks" != 0 ] || [ "$zk1" != "$zk0" ] ||
	    [ "$ep1" != "$ep0" ] || [ "$most" -gt 1 ] || [ "$exe" != "$inode" ] ||
	    [ "${LOGAT[resumed_as]:-}" != "still the leader (same epoch)" ]; then
		printf -v gap_ms '%d.%03d' $((gap / 1000)) $((gap % 1000))
		anomaly upgrade "$k" "$leader (pid $pid, runs inode $exe, new binary $inode):\
 resumed as '${LOGAT[resumed_as]:-}'; no leader in the state files for $gap_ms ms\
 (polled $polls times; most leaders at once $most; $leader's state file said$roles);\
 znode deleted at ${tdel:-never};\
 hooks: ${hooks:-none}; ZooKeeper before: $zk0; after: $zk1;\
 state epoch $ep0 -> $ep1"
		keep_excerpt upgrade "$leader" "$off" "$T/upgrade/round-$k.$leader.log"
	fi
}

# Three daemons at session_timeout 6 s, each from its own copy of the binary; upgrade
# the leader in place again and again.
bench_upgrade() {
	local n k
	say "upgrade: $N_UPGRADE in-place upgrades of the leader among 3 daemons (SIGUSR2)"
	mkdir -p "$T/upgrade"
	for n in u1 u2 u3; do
		write_conf "$n" election.path=/benchupgrade/e zookeeper.session_timeout=6s \
		    hooks.timeout=2s daemon.log_level=info
		mkdir -p "$T/bin/$n"
		cp "$ZKELECTD" "$T/bin/$n/zkelectd"
	done
	for n in u1 u2 u3; do
		hook_forget "$n" promote end
		ZKELECTD=$T/bin/$n/zkelectd daemon_start "$n"
		if [ "$n" = u1 ]; then
			wait_hook u1 promote end 20
		else
			wait_for "$n to follow" 20 role_is "$n" follower
		fi
	done
	followers_settled u1 "${LASTEP[u1:promote:end]}" u1 u2 u3
	for ((k = 1; k <= N_UPGRADE; k++)); do
		one_upgrade "$k" u1 u2 u3
	done
	for n in u1 u2 u3; do
		stop_daemon "$n" TERM
	done
}

# --- scenario: cold start ---

# Start one daemon on an empty election (its exec time noted by spawnbench), wait
# for its promote hook, record exec -> demote start and -> promote start; stop it.
one_cold() {
	local t0 promoted
	hook_forget cold promote start
	hook_forget cold promote end
	rm -f "$T/cold.t0"
	"$SPAWNBENCH" exec "$T/cold.t0" "$ZKELECTD" -c "$T/cold.conf" </dev/null \
	    >>"$T/cold.log" 2>&1 &
	DAEMON_PIDS["cold"]=$!	# lib.sh's cleanup stops it if we fail
	wait_hook cold promote start 20
	read -r t0 <"$T/cold.t0"
	promoted=${LAST[cold:promote:start]}
	sample cold $((promoted - t0))
	wait_hook cold promote end 20
	stop_daemon cold TERM
}

# One daemon started again and again on an empty election.
bench_cold() {
	local i
	say "cold: $N_COLD cold starts on an empty election"
	write_conf cold election.path=/benchcold/e zookeeper.session_timeout=10s \
	    daemon.log_level=info
	for ((i = 0; i < 3; i++)); do	# warm-up (the first creates the path), not counted
		one_cold
	done
	rm -f "$SAMPLES"/cold*
	for ((i = 0; i < N_COLD; i++)); do
		one_cold
	done
}

# --- scenario: footprint ---

# CPU time (ns) PID used so far, summed over its threads (schedstat is exact, unlike ticks).
cpu_ns() {
	local f t sum=0
	for f in /proc/"$1"/task/*/schedstat; do
		read -r t _ <"$f" 2>/dev/null && sum=$((sum + t))
	done
	echo "$sum"
}

# The value of FIELD (in kB) in /proc/PID/status, as bytes.
status_bytes() {
	local k v _u
	while read -r k v _u; do
		if [ "$k" = "$2:" ]; then
			echo $((v * 1024))
			return 0
		fi
	done <"/proc/$1/status"
	echo 0
}

# How many threads PID has, and their names.
threads_of() {
	local f names="" c n=0
	for f in /proc/"$1"/task/*/comm; do
		read -r c <"$f" && names+="${names:+,}$c" && n=$((n + 1))
	done
	echo "$n $names"
}

# An idle leader and follower at session_timeout 10 s, and a bare client beside them.
bench_footprint() {
	local n pid bare c0f c0l c0b i th
	say "footprint: an idle leader, follower and bare client for ${IDLE}s"
	for n in f1 f2; do
		write_conf "$n" election.path=/benchfoot/e zookeeper.session_timeout=10s \
		    daemon.log_level=info
	done
	queue_up f1 f2
	followers_settled f1 "${LASTEP[f1:promote:end]}" f1 f2
	"$SPAWNBENCH" idle "$ZK_HOSTS" 10000 $((IDLE + 30)) &
	bare=$!
	BG_PIDS+=("$bare")
	nap 1	# let the bare client's session come up: nothing is measured before
	c0l=$(cpu_ns "$(daemon_pid f1)")
	c0f=$(cpu_ns "$(daemon_pid f2)")
	c0b=$(cpu_ns "$bare")
	for ((i = 0; i < IDLE; i += 5)); do
		nap 5
		for n in f1 f2; do
			pid=$(daemon_pid "$n")
			sample "rss_$n" "$(status_bytes "$pid" VmRSS)"
			sample "anon_$n" "$(status_bytes "$pid" RssAnon)"
		done
		sample rss_bare "$(status_bytes "$bare" VmRSS)"
		sample anon_bare "$(status_bytes "$bare" RssAnon)"
	done
	sample cpu_f1 $(($(cpu_ns "$(daemon_pid f1)") - c0l))
	sample cpu_f2 $(($(cpu_ns "$(daemon_pid f2)") - c0f))
	sample cpu_bare $(($(cpu_ns "$bare") - c0b))
	for n in f1 f2 bare; do
		if [ "$n" = bare ]; then pid=$bare; else pid=$(daemon_pid "$n"); fi
		th=$(threads_of "$pid")
		sample "threads_$n" "${th%% *}"
		echo "$n: ${th#* }" >>"$T/threads.txt"
	done
	kill -s TERM "$bare" 2>/dev/null || true
	wait_exit "$bare" 5
	for n in f1 f2; do
		stop_daemon "$n" TERM
	done
}

# --- scenarios: kazoo side by side, and the ensemble ---

# Start kazoo contender NAME (test/bench_kazoo.py) of trio TRIO; its exec time goes
# to T0FILE (default $T/kz/NAME.t0), its output to $T/NAME.log.
kz_start() {
	local name=$1 trio=$2 t0=${3:-$T/kz/$1.t0}
	echo "--- ${EPOCHREALTIME} start" >>"$T/$name.log"
	"$SPAWNBENCH" exec "$t0" "$KAZOO_PY" "$ROOT/test/bench_kazoo.py" "${KZQ[$trio:hosts]}" \
	    "${KZQ[$trio:path]}" "$name" "$T" 10 </dev/null >>"$T/$name.log" 2>&1 &
	KZ_PIDS[$name]=$!
}

# SIGTERM kazoo contender NAME and wait until it exited (KILL after 20 s).
kz_stop() {
	local pid=${KZ_PIDS[$1]:?no kazoo contender $1}
	kill -s TERM "$pid" 2>/dev/null || true
	wait_exit "$pid" 20
	unset "KZ_PIDS[$1]"
}

# Name trio TRIO (its contenders TRIO1..TRIO3) on HOSTS and election PATH.
kz_trio() {
	KZQ[$1:hosts]=$2
	KZQ[$1:path]=$3
	KZQ[$1]="${1}1 ${1}2 ${1}3"
}

# Start kazoo trio TRIO as a queue: the first leads, each waits for the one before.
kz_queue_up() {
	local n
	for n in ${KZQ[$1]}; do
		hook_forget "$n" promote end
		hook_forget "$n" follow end
		kz_start "$n" "$1"
		if [ "$n" = "${1}1" ]; then
			wait_hook "$n" promote end 30
		else
			wait_hook "$n" follow end 30
		fi
	done
}

# Stop every contender of kazoo trio TRIO.
kz_trio_stop() {
	local n
	for n in ${KZQ[$1]}; do
		kz_stop "$n"
	done
}

# One kazoo handover in trio TRIO, MODE cold (SIGTERM: the leader process exits and
# starts again at the back) or warm (SIGUSR1: the leader returns from its callback and
# joins again in the same process); record the leader's release (its callback's last
# statement) -> the successor's callback start as KEY; wait until the old leader
# waits in line again.
kz_handover() {
	local key=$1 mode=$2 trio=$3 leader successor rest pid promoted demoted
	read -r leader successor rest <<<"${KZQ[$trio]}"
	pid=${KZ_PIDS[$leader]}
	hook_forget "$leader" demote end
	hook_forget "$leader" follow end
	hook_forget "$successor" promote start
	hook_forget "$successor" promote end
	if [ "$mode" = cold ]; then
		kill -s TERM "$pid"
	else
		kill -s USR1 "$pid"
	fi
	wait_hook "$successor" promote start 20
	wait_hook "$leader" demote end 5
	promoted=${LAST[$successor:promote:start]}
	demoted=${LAST[$leader:demote:end]}
	sample "$key" $((promoted - demoted))
	wait_hook "$successor" promote end 20
	if [ "$mode" = cold ]; then
		wait_exit "$pid" 20
		unset "KZ_PIDS[$leader]"
		kz_start "$leader" "$trio"
	fi
	wait_hook "$leader" follow end 30
	KZQ[$trio]="$successor $rest $leader"
}

# `zkelectctl resign` to the leader of daemons NAMES...: record its demote end ->
# the successor's promote start as KEY, and the exec of zkelectctl -> the demote
# hook's start as KEY_resign, split at the daemon's "received SIGUSR1" log line
# (KEY_resign_sig, KEY_resign_daemon); wait until the old leader follows again at
# the back.
one_resign() {
	local key=$1 leader successor t0 ep promoted demoted dstart tsig
	shift
	leader=$(nth_in_list "$1" 1)
	successor=$(nth_in_list "$1" 2)
	if [ -z "$leader" ] || [ -z "$successor" ]; then
		fail "resign: no leader or successor listed"
	fi
	hook_forget "$leader" demote start
	hook_forget "$leader" demote end
	hook_forget "$successor" promote start
	hook_forget "$successor" promote end
	rm -f "$T/kz/resign.t0"
	"$SPAWNBENCH" exec "$T/kz/resign.t0" "$ZKELECTCTL" -c "$T/$leader.conf" resign \
	    >/dev/null 2>>"$T/zkelectctl.log" || fail "zkelectctl resign on $leader failed"
	wait_hook "$successor" promote start 20
	wait_hook "$leader" demote end 5
	read -r t0 <"$T/kz/resign.t0"
	promoted=${LAST[$successor:promote:start]}
	demoted=${LAST[$leader:demote:end]}
	dstart=${LAST[$leader:demote:start]}
	sample "$key" $((promoted - demoted))
	sample "${key}_resign" $((dstart - t0))
	sample_decision "$key" "$successor" "$demoted"
	tsig=$(log_line_ns "$leader" ' received SIGUSR1')
	if [ -n "$tsig" ]; then
		sample "${key}_resign_sig" $((tsig - t0))
		sample "${key}_resign_daemon" $((dstart - tsig))
	fi
	ep=${LASTEP[$successor:promote:start]}
	wait_hook "$successor" promote end 20
	followers_settled "$successor" "$ep" "$@"
}

# Daemons NAMES... (configs written) in a queue, settled: the first leads.
zd_queue_up() {
	queue_up "$@"
	followers_settled "$1" "${LASTEP[$1:promote:end]}" "$@"
}

# Write the configs of daemons NAMES... on HOSTS and election PATH, as the handover
# scenario's (every hook, session_timeout 10 s, BENCH_LOGLEVEL).
zd_trio_conf() {
	local hosts=$1 path=$2 n
	shift 2
	for n in "$@"; do
		write_conf "$n" "zookeeper.hosts=$hosts" "election.path=$path" \
		    zookeeper.session_timeout=10s "daemon.log_level=${BENCH_LOGLEVEL:-info}"
	done
}

# Stop daemons NAMES... (SIGTERM) and wait until they are gone.
zd_trio_stop() {
	local n
	for n in "$@"; do
		stop_daemon "$n" TERM
	done
}

# ROUNDS handovers of each kind, alternating between the daemons of trio ZD (ZD1..3)
# and kazoo trio KZ, as PREFIX_{cold,warm}_{zd,kz} (and PREFIX_warm_zd_resign), after
# WARM uncounted rounds of each. With BENCH_LOGLEVEL=debug, the daemons' per-step
# medians go to $T/steps.PREFIX.txt (printed under the table).
handover_rounds() {
	local prefix=$1 zd=$2 kz=$3 rounds=$4 warm=$5 mode i key since
	local -a names=("${zd}1" "${zd}2" "${zd}3")
	since=$(now_ns)
	for mode in cold warm; do
		for ((i = -warm; i < rounds; i++)); do
			key=${prefix}_${mode}
			[ "$i" -ge 0 ] || key=warmup_$key
			if [ "$mode" = cold ]; then
				one_handover "${key}_zd" "${names[@]}"
			else
				one_resign "${key}_zd" "${names[@]}"
			fi
			[ -z "$kz" ] || kz_handover "${key}_kz" "$mode" "$kz"
		done
	done
	if [ "${BENCH_LOGLEVEL:-info}" = debug ]; then
		report_py steps "$T" "${names[0]},${names[1]},${names[2]}" "$since" "$(now_ns)" \
		    >"$T/steps.$prefix.txt" || fail "steps of $prefix"
	fi
}

# Bytes of FIELD (Rss, Pss) in /proc/PID/smaps_rollup.
rollup_bytes() {
	local k v _u
	while read -r k v _u; do
		if [ "$k" = "$2:" ]; then
			echo $((v * 1024))
			return 0
		fi
	done <"/proc/$1/smaps_rollup"
	echo 0
}

# Idle footprint of the daemons ZDPIDS and the kazoo contenders KZPIDS (two lists
# of PIDs) as kz_{cpu,rss,pss,threads}_{zd,kz}, one sample per process: the CPU time
# used in KZ_IDLE seconds of idling, then RSS, PSS and threads at its end.
idle_footprint() {
	local -a zdp=() kzp=() c0=()
	local pid i suffix
	read -r -a zdp <<<"$1"
	read -r -a kzp <<<"$2"
	for pid in "${zdp[@]}" "${kzp[@]}"; do
		c0+=("$(cpu_ns "$pid")")
	done
	nap "$KZ_IDLE"
	i=0
	for pid in "${zdp[@]}" "${kzp[@]}"; do
		suffix=zd
		[ "$i" -lt "${#zdp[@]}" ] || suffix=kz
		sample "kz_cpu_$suffix" $(($(cpu_ns "$pid") - c0[i]))
		sample "kz_rss_$suffix" "$(rollup_bytes "$pid" Rss)"
		sample "kz_pss_$suffix" "$(rollup_bytes "$pid" Pss)"
		sample "kz_threads_$suffix" "$(threads_of "$pid" | cut -d' ' -f1)"
		i=$((i + 1))
	done
}

# The first of NAMES... whose promote started (after hook_forget): FIRST_ID, FIRST_NS;
# wait up to 30 s.
first_promote() {
	local n deadline
	deadline=$((${EPOCHREALTIME/./} + 30000000))
	FIRST_ID=""
	while :; do
		hooks_poll
		for n in "$@"; do
			if [ -n "${LAST[$n:promote:start]:-}" ] &&
			    { [ -z "$FIRST_ID" ] || [ "${LAST[$n:promote:start]}" -lt "$FIRST_NS" ]; }; then
				FIRST_ID=$n
				FIRST_NS=${LAST[$n:promote:start]}
			fi
		done
		[ -z "$FIRST_ID" ] || return 0
		[ "${EPOCHREALTIME/./}" -lt "$deadline" ] || fail "no promote of $* in 30 s"
		nap 0.005
	done
}

# The earliest of the exec times in $T/kz/NAME.t0 of NAMES... (each waited for).
first_exec() {
	local n t min=""
	for n in "$@"; do
		wait_for "$n's exec time" 10 test -s "$T/kz/$n.t0"
		read -r t <"$T/kz/$n.t0"
		[ -n "$min" ] && [ "$min" -le "$t" ] || min=$t
	done
	echo "$min"
}

# Start daemons NAMES... at once on an empty election (their exec times noted) and
# record the first exec -> the first promote start as KEY; wait until the others
# follow, then stop all.
zd_first_round() {
	local key=$1 n t0
	shift
	for n in "$@"; do
		hook_forget "$n" promote start
		hook_forget "$n" promote end
		hook_forget "$n" follow end
		rm -f "$T/kz/$n.t0"
	done
	for n in "$@"; do
		"$SPAWNBENCH" exec "$T/kz/$n.t0" "$ZKELECTD" -c "$T/$n.conf" </dev/null \
		    >>"$T/$n.log" 2>&1 &
		DAEMON_PIDS[$n]=$!
	done
	first_promote "$@"
	t0=$(first_exec "$@")
	sample "$key" $((FIRST_NS - t0))
	wait_hook "$FIRST_ID" promote end 20
	followers_settled "$FIRST_ID" "${LASTEP[$FIRST_ID:promote:start]}" "$@"
	zd_trio_stop "$@"
}

# Start kazoo trio TRIO's contenders at once on an empty election and record the
# first exec -> the first callback start as KEY (and exec -> script running as
# KEY_init, per contender); wait until the others wait in line, then stop all.
kz_first_round() {
	local key=$1 trio=$2 n t0 t ready
	local -a names
	read -r -a names <<<"${KZQ[$trio]}"
	for n in "${names[@]}"; do
		hook_forget "$n" promote start
		hook_forget "$n" follow end
		hook_forget "$n" init end
		rm -f "$T/kz/$n.t0"
	done
	for n in "${names[@]}"; do
		kz_start "$n" "$trio"
	done
	first_promote "${names[@]}"
	t0=$(first_exec "${names[@]}")
	sample "$key" $((FIRST_NS - t0))
	for n in "${names[@]}"; do
		[ "$n" = "$FIRST_ID" ] || wait_hook "$n" follow end 30
		wait_hook "$n" init end 1
		read -r t <"$T/kz/$n.t0"
		ready=${LAST[$n:init:end]}
		sample "${key}_init" $((ready - t))
	done
	kz_trio_stop "$trio"
}

# True when the Debian kazoo module loads in KAZOO_PY; say so when not.
have_kazoo() {
	"$KAZOO_PY" -c 'import kazoo.recipe.election' 2>/dev/null && return 0
	say "kazoo: $KAZOO_PY cannot import kazoo (apt-get install python3-kazoo): no kazoo figures"
	return 1
}

# zkelectd and kazoo's Election side by side on our ZooKeeper: footprint, handovers
# cold and warm, first leader; rounds alternate between the two trios.
bench_kazoo() {
	local kz="" i key
	local -a zd=(zd1 zd2 zd3)
	mkdir -p "$T/kz"
	have_kazoo && kz=kz
	say "kazoo: idle ${KZ_IDLE}s; $N_KAZOO handovers cold and warm each;" \
	    "$N_KZFIRST first leaders (zkelectd${kz:+ and kazoo})"
	zd_trio_conf "$ZK_HOSTS" /benchkazoo/zd "${zd[@]}"
	zd_queue_up "${zd[@]}"
	if [ -n "$kz" ]; then
		kz_trio kz "$ZK_HOSTS" /benchkazoo/kz
		kz_queue_up kz
	fi
	idle_footprint "${DAEMON_PIDS[zd1]} ${DAEMON_PIDS[zd2]} ${DAEMON_PIDS[zd3]}" \
	    "${KZ_PIDS[kz1]:-} ${KZ_PIDS[kz2]:-} ${KZ_PIDS[kz3]:-}"
	handover_rounds kz zd "$kz" "$N_KAZOO" 3
	zd_trio_stop "${zd[@]}"
	[ -z "$kz" ] || kz_trio_stop kz
	for ((i = -1; i < N_KZFIRST; i++)); do	# the first round creates the paths: not counted
		key=kz_first
		[ "$i" -ge 0 ] || key=warmup_first
		zd_first_round "${key}_zd" "${zd[@]}"
		[ -z "$kz" ] || kz_first_round "${key}_kz" kz
	done
}

# Stop the ensemble (if one runs) and remove its data unless KEEP=1.
ensemble_stop() {
	[ -n "$ENS_DIR" ] || return 0
	"$ROOT/scripts/zk-local.sh" stop "$ENS_DIR" >/dev/null 2>&1 || true
	[ "${KEEP:-0}" = 1 ] || rm -rf "$ENS_DIR"
	ENS_DIR=""
}

# The connect string of one follower member among HOSTS (the ensemble's): the floor's
# two sessions must share a server, as another server may not have applied the
# first session's create yet when the second reads it.
ensemble_follower() {
	local k
	for k in 1 2 3; do
		if "$ROOT/scripts/zk-local.sh" cli "$ENS_DIR" srvr "$k" | grep -q '^Mode: follower'; then
			cut -d, -f"$k" <<<"$1"
			return 0
		fi
	done
	fail "ensemble: no member says it is a follower"
}

# A 3-member ZooKeeper ensemble (data on disk): its floor, then zkelectd's and kazoo's
# handovers cold and warm on it, rounds alternating.
bench_ensemble() {
	local hosts one out kz=""
	local -a zd=(ze1 ze2 ze3)
	mkdir -p "$T/kz"
	have_kazoo && kz=ke
	say "ensemble: starting 3 ZooKeeper members; $N_ENSEMBLE handovers cold and warm each"
	ENS_DIR=$(mktemp -d /tmp/zkelectd-bench-ens.XXXXXX)
	[ "${KEEP:-0}" != 1 ] || ln -s "$ENS_DIR" "$T/ensemble"
	hosts=$("$ROOT/scripts/zk-local.sh" start "$ENS_DIR" 3) || fail "could not start the ensemble"
	one=$(ensemble_follower "$hosts")
	"$SPAWNBENCH" floor "$one" /benchfloor 10 >/dev/null || fail "spawnbench floor (ensemble)"
	out=$("$SPAWNBENCH" floor "$one" /benchfloor "$((N_ENSEMBLE * 2))") ||
		fail "spawnbench floor (ensemble)"
	awk '{ print $2 }' <<<"$out" >>"$SAMPLES/ens_floor_total"
	zd_trio_conf "$hosts" /benchens/zd "${zd[@]}"
	zd_queue_up "${zd[@]}"
	if [ -n "$kz" ]; then
		kz_trio ke "$hosts" /benchens/kz
		kz_queue_up ke
	fi
	handover_rounds ens ze "$kz" "$N_ENSEMBLE" 2
	zd_trio_stop "${zd[@]}"
	[ -z "$kz" ] || kz_trio_stop ke
	ensemble_stop
}

# --- scenario: scale ---

# Write crowd member NAME's config (no follow hook, session_timeout 10 s, debug log).
crowd_conf() {
	local n=$1
	write_hook
	mkdir -p "$T/crowd/$n"
	cat >"$T/crowd/$n.conf" <<EOF
[zookeeper]
hosts = $ZK_HOSTS
session_timeout = 10s

[election]
path = /benchscale/e
id = $n

[hooks]
promote = $T/hook.sh
demote = $T/hook.sh
timeout = 20s

[daemon]
pid_file = $T/crowd/$n/zkelectd.pid
state_file = $T/crowd/$n/zkelectd.state
log_level = debug
EOF
}

# Start crowd member NAME in the background (our own PID list, not lib.sh's).
crowd_start() {
	"$ZKELECTD" -c "$T/crowd/$1.conf" </dev/null >>"$T/crowd/$1.log" 2>&1 &
	CROWD[$1]=$!
}

# How many of the state files FILES... show a znode.
joined_count() {
	grep -l "^ZNODE='/" "$@" 2>/dev/null | wc -l
}

# Grow the crowd to N members, BATCH at a time, each batch in the election before
# the next starts; add the time this took to JOIN_NS.
crowd_grow() {
	local want=$1 i n t0 b deadline
	local -a batch files
	t0=$(now_ns)
	i=${#CROWD_NAMES[@]}
	while [ "$i" -lt "$want" ]; do
		batch=()
		files=()
		for ((b = 0; b < BATCH && i < want; b++)); do
			i=$((i + 1))
			n=s$i
			crowd_conf "$n"
			hook_forget "$n" promote end
			crowd_start "$n"
			CROWD_NAMES+=("$n")
			batch+=("$n")
			files+=("$T/crowd/$n/zkelectd.state")
			if [ "$i" -eq 1 ]; then
				wait_hook s1 promote end 20	# the first one leads
			fi
		done
		deadline=$((${EPOCHREALTIME/./} + 60000000))
		until [ "$(joined_count "${files[@]}")" -eq "${#batch[@]}" ]; do
			[ "${EPOCHREALTIME/./}" -lt "$deadline" ] || fail "crowd: batch up to $n did not join in 60 s"
			nap 0.05
		done
	done
	JOIN_NS=$((JOIN_NS + $(now_ns) - t0))
}

# Snapshot the server's counters and the crowd's listing counts into PREFIX.*.
snapshot() {
	local port=${ZK_HOSTS##*:}
	fourlw cons >"$1.cons"
	fourlw mntr >"$1.mntr"
	ss -tinH "sport = :$port" >"$1.ss"
	grep -c 'election: listing' "$T"/crowd/s*.log >"$1.lst"
	grep -c 'zookeeper: watch event' "$T"/crowd/s*.log >"$1.wat"
}

# State files of the crowd other than NAMES... (the old leader and the successor).
others_files() {
	local n skip=" $* "
	for n in "${CROWD_NAMES[@]}"; do
		[[ $skip == *" $n "* ]] || echo "$T/crowd/$n/zkelectd.state"
	done
}

# The id at POSITION in the crowd's election.
nth_in_list_crowd() {
	"$ZKELECTCTL" -c "$T/crowd/s1.conf" list 2>/dev/null |
	    awk -F'\t' -v p="$1" '$1 == p { print $2 }'
}

# True when one of the state files FILES... does not name LEADER yet.
someone_behind() {
	local leader=$1
	shift
	[ $# -gt 0 ] || return 1
	[ -n "$(grep -L "^LEADER_ID='$leader'\$" "$@" 2>/dev/null | head -n 1)" ]
}

# One handover in the crowd of N (run K): snapshot, SIGTERM the leader, wait until
# every follower knows the successor, snapshot; restart the old leader at the back.
crowd_handover() {
	local n=$1 k=$2 leader successor sid_s p deadline promoted demoted st
	local -a others
	leader=$(nth_in_list_crowd 1)
	successor=$(nth_in_list_crowd 2)
	if [ -z "$leader" ] || [ -z "$successor" ]; then
		fail "scale: no leader or successor listed"
	fi
	mapfile -t others < <(others_files "$leader" "$successor")
	sid_s=$(sed -n "s/^SESSION_ID='\(.*\)'\$/\1/p" "$T/crowd/$successor/zkelectd.state")
	p=$T/snap/$n.$k
	hook_forget "$leader" demote end
	hook_forget "$successor" promote start
	hook_forget "$successor" promote end
	snapshot "$p.before"
	kill -s TERM "${CROWD[$leader]}"
	wait_hook "$successor" promote start 30
	wait_exit "${CROWD[$leader]}" 30
	wait_hook "$leader" demote end 1
	deadline=$((${EPOCHREALTIME/./} + 60000000))
	while someone_behind "$successor" "${others[@]}"; do
		[ "${EPOCHREALTIME/./}" -lt "$deadline" ] || fail "scale: followers did not learn $successor in 60 s"
		nap 0.02
	done
	wait_hook "$successor" promote end 20
	snapshot "$p.after"
	promoted=${LAST[$successor:promote:start]}
	demoted=${LAST[$leader:demote:end]}
	echo "$leader $successor $sid_s $((promoted - demoted))" >"$p.meta"
	crowd_start "$leader"
	st=$T/crowd/$leader/zkelectd.state
	deadline=$((${EPOCHREALTIME/./} + 60000000))
	until grep -q "^LEADER_ID='$successor'\$" "$st" 2>/dev/null && grep -q "^ZNODE='/" "$st"; do
		[ "${EPOCHREALTIME/./}" -lt "$deadline" ] || fail "scale: $leader did not rejoin in 60 s"
		nap 0.02
	done
}

# Grow the crowd through the sizes of SCALE_NS, measuring handovers at each size.
bench_scale() {
	local n k
	mkdir -p "$T/crowd" "$T/snap"
	for n in $SCALE_NS; do
		say "scale: growing the crowd to $n (batches of $BATCH)"
		crowd_grow "$n"
		say "scale: $n joined ($((JOIN_NS / 1000000)) ms in all); $N_SCALE_RUNS handovers"
		crowd_handover "$n" warm
		for ((k = 1; k <= N_SCALE_RUNS; k++)); do
			crowd_handover "$n" "$k"
		done
		sample "scale_join_$n" "$JOIN_NS"
		report_py snap "$T" "$n" || fail "scale: analysis"
	done
}

# --- scenario: PostgreSQL rejoin ---

# The drill with N_PG rounds of each scenario; its rejoin times become samples.
bench_postgresql() {
	say "postgresql: $N_PG rounds each of handover, resign, crash (test/pg_drill.sh)"
	ROUNDS=$N_PG DRILL_SAMPLES=$SAMPLES ZKELECTD=$ZKELECTD ZKELECTCTL=$ZKELECTCTL \
	    "$ROOT/test/pg_drill.sh" >"$T/pg_drill.log" 2>&1 ||
		fail "the PostgreSQL drill failed: $(tail -n 5 "$T/pg_drill.log")"
}

# --- scenario: what a PostgreSQL client sees ---

# test/pg_client.sh with N_PGCLIENT rounds of each scenario; its write gaps and lost
# rows become samples; PGCLIENT_SWITCH says how it switched over (switchover or resign).
bench_pgclient() {
	say "pgclient: $N_PGCLIENT rounds each of switchover, zkelectd-kill, host-crash (test/pg_client.sh)"
	ROUNDS=$N_PGCLIENT CLIENT_SAMPLES=$SAMPLES ZKELECTD=$ZKELECTD ZKELECTCTL=$ZKELECTCTL \
	    "$ROOT/test/pg_client.sh" >"$T/pg_client.log" 2>&1 ||
		fail "the PostgreSQL client scenario failed: $(tail -n 5 "$T/pg_client.log")"
	PGCLIENT_SWITCH=$(sed -n 's/^switchover: zkelectctl \([a-z]*\) .*/\1/p' "$T/pg_client.log" | head -n 1)
}

# --- the report ---

# Declare every row of the table, in order.
declare_figures() {
	local n first="" last="" tgt
	figure spawn ms "-" "-" "spawn: posix_spawn -> hook's first instruction"
	figure floor_notify ms "-" "-" "ZooKeeper alone: delete sent -> watcher notified"
	figure floor_total ms "-" "-" "ZooKeeper alone: delete sent -> notified, list + exists answered"
	figure least ms "-" "=floor_total+spawn" \
	    "least handover, bare clients after ${LEAST_IDLE_MS} ms quiet: delete sent -> list + exists -> spawn -> hook's first instruction"
	figure handover ms "=1e6+spawn|=2e6+spawn" "=least" \
	    "graceful handover (N=3): demote end -> successor's promote start"
	figure handover_decision ms "-" "=floor_total" \
	    "graceful handover (N=3): demote end -> successor's 'running promote' line (no spawn)"
	figure handover_e2e ms "-" "=floor_total+2*spawn" \
	    "graceful handover (N=3): SIGTERM -> successor's promote start"
	figure crash_delivery ms "-" "2000-2200 ms (timeout + <= 1 tick)" \
	    "crash (timeout 2 s): SIGKILL -> ZooKeeper delivers the deletion"
	figure crash_react ms "=10e6" "=floor_react+spawn" \
	    "crash: deletion delivered -> successor's promote start"
	figure crash_total ms "-" "-" "crash: SIGKILL -> successor's promote start"
	figure restart_failover count "==0" "-" \
	    "crash-restart: failovers per round (another node's promote)"
	figure restart_resumed count "==1" "-" \
	    "crash-restart: promotes with reason resumed per round (the restarted leader's)"
	figure restart_others count "==0" "-" "crash-restart: hooks on the other nodes per round"
	figure restart_epoch count "==0" "-" \
	    "crash-restart: rounds where ZooKeeper's leader, znode or epoch changed"
	figure restart_kill_exec ms "-" "-" "crash-restart: SIGKILL -> exec of the new process"
	figure restart_resume ms "=20e6" "-" \
	    "crash-restart: new process's 'starting' line -> its 'resumed' line"
	figure restart_load ms "-" "-" \
	    "crash-restart: exec of the new process -> its 'starting' line (loading, configuration)"
	figure restart_exec ms "-" "-" "crash-restart: exec of the new process -> 'resumed' line"
	figure restart_promote ms "-" "=spawn" \
	    "crash-restart: exec of the new process -> promote start (reason resumed)"
	figure upgrade_gap_zk ms "==0" "-" \
	    "upgrade: no leader, ZooKeeper's view (leader's znode deleted -> next promote start)"
	figure upgrade_gap_state ms "==0" "-" \
	    "upgrade: no state file says leader (polled about every ms)"
	figure upgrade_epoch count "==0" "-" \
	    "upgrade: rounds where ZooKeeper's leader, znode or epoch changed"
	figure upgrade_hooks count "==0" "-" "upgrade: hooks run on any node per round"
	figure upgrade_total ms "-" "-" "upgrade: SIGUSR2 -> 'resumed' line"
	figure upgrade_sig_exec ms "-" "-" "upgrade: SIGUSR2 -> 'upgrade: executing' line"
	figure upgrade_load ms "-" "-" \
	    "upgrade: 'upgrade: executing' line -> new image's 'starting' line (exec, loading)"
	figure upgrade_resume ms "-" "-" "upgrade: new image's 'starting' line -> 'resumed' line"
	figure upgrade_poll_ms ms "-" "-" \
	    "upgrade: state files polled every (the resolution of the state-file figure)"
	figure join_total ms "-" "-" "ZooKeeper alone: connect, create, list, exists"
	figure cold ms "=30e6" "=join_total+spawn" \
	    "cold start, empty election: exec -> promote start (elected at once: no start-up demote)"
	figure rss_f2 MB "=3e6" "=rss_bare" "RSS, idle follower (sampled every 5 s)"
	figure rss_f1 MB "=3e6" "=rss_bare" "RSS, idle leader"
	figure anon_f2 MB "-" "=anon_bare" "RSS, anonymous part, idle follower"
	figure anon_f1 MB "-" "=anon_bare" "RSS, anonymous part, idle leader"
	figure rss_bare MB "-" "-" "RSS, bare ZooKeeper C client"
	figure cpu_f2 ms "=10e6" "=cpu_bare" "CPU time in the ${IDLE} s idle window, follower"
	figure cpu_f1 ms "=10e6" "=cpu_bare" "CPU time in the ${IDLE} s idle window, leader"
	figure cpu_bare ms "-" "-" "CPU time in the ${IDLE} s idle window, bare client"
	figure threads_f1 count "-" "=threads_bare" "threads, daemon (leader; follower the same)"
	figure threads_bare count "-" "-" "threads, bare ZooKeeper C client"
	declare_kazoo_figures
	for n in $SCALE_NS; do
		[ -n "$first" ] || first=$n
		last=$n
		tgt="=2*scale_handover_$first"
		[ "$n" = "$first" ] && tgt="-"
		figure "scale_handover_$n" ms "$tgt" "-" \
		    "scale N=$n: demote end -> promote start (no follow hook)"
		figure "scale_req_$n" count "-" "=$n" "scale N=$n: election requests per handover"
		figure "scale_getc_$n" count "=1|=1" "=1" "scale N=$n: getChildren per handover"
		figure "scale_listers_$n" count "=1|=1" "=1" \
		    "scale N=$n: contenders that listed (must be the successor)"
		figure "scale_notif_$n" count "=1|=1" "=1" \
		    "scale N=$n: most notifications to one follower"
		figure "scale_bin_$n" KiB "-" "-" "scale N=$n: bytes to ZooKeeper per handover"
		figure "scale_bout_$n" KiB "-" "-" "scale N=$n: bytes from ZooKeeper per handover"
	done
	figure "scale_join_$last" s "-" "-" "scale: $last contenders join (batches of $BATCH)"
	figure pg_rejoin_handover ms "-" "-" \
	    "PostgreSQL: planned handover, old leader's demote end -> its server streams again"
	figure pg_rejoin_resign ms "-" "-" "PostgreSQL: resign, demote end -> streams again"
	figure pg_rejoin_crash ms "-" "-" "PostgreSQL: primary crash, demote end -> streams again"
	figure pg_client_switchover_downtime ms "=1e9|=1e9" "=pg_client_quiet_gap" \
	    "PostgreSQL client: planned switchover${PGCLIENT_SWITCH:+ (zkelectctl $PGCLIENT_SWITCH)}, longest write gap"
	figure pg_client_switchover_lost count "==0" "-" \
	    "PostgreSQL client: planned switchover, acknowledged rows lost"
	figure pg_client_zkelectd_kill_downtime ms "=100e6|=100e6" "=pg_client_quiet_gap" \
	    "PostgreSQL client: leader's zkelectd SIGKILL + restart, longest write gap"
	figure pg_client_zkelectd_kill_errors count "==0" "-" \
	    "PostgreSQL client: leader's zkelectd SIGKILL + restart, write errors seen"
	figure pg_client_zkelectd_kill_lost count "==0" "-" \
	    "PostgreSQL client: leader's zkelectd SIGKILL + restart, acknowledged rows lost"
	figure pg_client_host_crash_downtime ms "about the session timeout (4 s)" \
	    "session expiry + promote" "PostgreSQL client: host crash (postmaster + zkelectd SIGKILL), longest write gap"
	figure pg_client_host_crash_lost count "-" "-" \
	    "PostgreSQL client: host crash, acknowledged rows lost (asynchronous replication)"
	figure pg_client_quiet_gap ms "-" "-" \
	    "PostgreSQL client: longest write gap with nothing happening (2 s before each fault)"
}

# The rows of the kazoo and ensemble scenarios, and the zkelectd / kazoo table.
declare_kazoo_figures() {
	local k
	figure kz_cold_zd ms "=kz_cold_kz" "=least" \
	    "kazoo scenario, handover cold (SIGTERM), zkelectd: demote end -> successor's promote start"
	figure kz_cold_zd_decision ms "=kz_cold_kz" "=floor_total" \
	    "kazoo scenario, handover cold, zkelectd: demote end -> successor's 'running promote' line (no spawn)"
	figure kz_cold_kz ms "-" "=floor_total" \
	    "kazoo scenario, handover cold (process exits), kazoo: callback's return -> successor's callback start"
	figure kz_warm_zd ms "=kz_warm_kz" "=least" \
	    "kazoo scenario, handover warm (zkelectctl resign), zkelectd: demote end -> promote start"
	figure kz_warm_zd_decision ms "=kz_warm_kz" "=floor_total" \
	    "kazoo scenario, handover warm, zkelectd: demote end -> successor's 'running promote' line (no spawn)"
	figure kz_warm_kz ms "-" "=floor_total" \
	    "kazoo scenario, handover warm (gives up, joins again), kazoo: callback's return -> callback start"
	figure kz_warm_zd_resign ms "=1e6" "-" \
	    "kazoo scenario, zkelectd: exec of zkelectctl resign -> demote start"
	figure kz_warm_zd_resign_sig ms "-" "-" \
	    "kazoo scenario, zkelectd: exec of zkelectctl resign -> daemon's 'received SIGUSR1' line"
	figure kz_warm_zd_resign_daemon ms "-" "=spawn" \
	    "kazoo scenario, zkelectd: daemon's 'received SIGUSR1' line -> demote start"
	figure kz_first_zd ms "=kz_first_kz" "=join_total+2*spawn" \
	    "kazoo scenario, first leader, zkelectd: 3 started at once, first exec -> first promote start"
	figure kz_first_kz ms "-" "=join_total" \
	    "kazoo scenario, first leader, kazoo: 3 started at once, first exec -> first callback start"
	figure kz_first_kz_init ms "-" "-" \
	    "kazoo scenario, kazoo: exec -> the script runs (interpreter started, kazoo imported)"
	for k in zd kz; do
		figure "kz_rss_$k" MB "-" "-" "kazoo scenario, idle ${KZ_IDLE} s, RSS per process ($k)"
		figure "kz_pss_$k" MB "-" "-" "kazoo scenario, idle ${KZ_IDLE} s, PSS per process ($k)"
		figure "kz_cpu_$k" ms "-" "-" "kazoo scenario, CPU time in the ${KZ_IDLE} s idle window ($k)"
		figure "kz_threads_$k" count "-" "-" "kazoo scenario, threads per process ($k)"
	done
	figure ens_floor_total ms "-" "-" \
	    "ensemble (3 members), ZooKeeper alone, both sessions on a follower member: delete sent -> notified, list + exists answered"
	figure ens_cold_zd ms "=ens_cold_kz" "=ens_floor_total+spawn" \
	    "ensemble, handover cold (SIGTERM), zkelectd: demote end -> successor's promote start"
	figure ens_cold_kz ms "-" "=ens_floor_total" \
	    "ensemble, handover cold (process exits), kazoo: callback's return -> callback start"
	figure ens_warm_zd ms "=ens_warm_kz" "=ens_floor_total+spawn" \
	    "ensemble, handover warm (zkelectctl resign), zkelectd: demote end -> promote start"
	figure ens_warm_kz ms "-" "=ens_floor_total" \
	    "ensemble, handover warm (gives up, joins again), kazoo: callback's return -> callback start"
	figure ens_warm_zd_resign ms "=1e6" "-" \
	    "ensemble, zkelectd: exec of zkelectctl resign -> demote start"
	compare "graceful handover, cold (SIGTERM / process exits)" kz_cold_zd kz_cold_kz ms "=least"
	compare "graceful handover, warm (resign / gives up in process)" kz_warm_zd kz_warm_kz ms "=least"
	compare "the same without the hook's spawn, cold ('running promote' line)" \
	    kz_cold_zd_decision kz_cold_kz ms "=floor_total"
	compare "the same without the hook's spawn, warm ('running promote' line)" \
	    kz_warm_zd_decision kz_warm_kz ms "=floor_total"
	compare "first leader, 3 contenders started at once" kz_first_zd kz_first_kz ms
	compare "idle RSS per process" kz_rss_zd kz_rss_kz MB
	compare "idle PSS per process" kz_pss_zd kz_pss_kz MB
	compare "idle CPU per process (${KZ_IDLE} s)" kz_cpu_zd kz_cpu_kz ms
	compare "ensemble: graceful handover, cold" ens_cold_zd ens_cold_kz ms \
	    "=ens_floor_total+spawn"
	compare "ensemble: graceful handover, warm" ens_warm_zd ens_warm_kz ms \
	    "=ens_floor_total+spawn"
}

# One line about the machine and the server.
machine() {
	local cpu
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	echo "$(nproc) x $cpu, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
	    "Linux $(uname -r), ZooKeeper $(fourlw mntr | sed -n 's/^zk_version\t\([0-9.]*\).*/\1/p')"
}

# The analysis and the table, in Python: report_py snap T N | table T MACHINE SECS QUICK JSON
# | steps T IDS SINCE UNTIL.
report_py() {
	"$PYTHON" - "$@" <<'EOF_PY'
import datetime, glob, json, math, os, re, statistics, sys

UNITS = {"ms": 1e6, "s": 1e9, "MB": 1e6, "KiB": 1024, "count": 1}
PING_IN, PING_OUT = 12, 20      # a ping and its reply, bytes on the wire
PROBE_IN, PROBE_OUT = 18, 88    # the daemon's keep-alive exists("/") and its reply


def mntr(path):
    out = {}
    for line in open(path):
        k, _, v = line.strip().partition("\t")
        try:
            out[k] = float(v)
        except ValueError:
            pass
    return out


def cons(path):
    out = {}
    for line in open(path):
        m = re.search(r":(\d+)\[\d+\]\((.*)\)", line)
        if not m or "sid=" not in m.group(2):
            continue
        kv = dict(x.split("=", 1) for x in m.group(2).split(",") if "=" in x)
        out[kv["sid"]] = {"port": m.group(1), "recved": int(kv["recved"]),
                          "sent": int(kv["sent"]), "lcxid": int(kv["lcxid"], 16),
                          "queued": int(kv["queued"])}
    return out


def ss(path):
    out, port = {}, None
    for line in open(path):
        if line.startswith("ESTAB"):
            port = line.split()[4].rsplit(":", 1)[1]
            out[port] = {"sent": 0, "received": 0}
        elif port is not None:
            for k in ("sent", "received"):
                m = re.search(r"bytes_%s:(\d+)" % k, line)
                if m:
                    out[port][k] = int(m.group(1))
    return out


def listing(path):
    out = {}
    for line in open(path):
        f, _, c = line.strip().rpartition(":")
        out[os.path.basename(f)[:-4]] = int(c)
    return out


def snap(t, n):
    """Samples for each handover in the crowd of N, and one line of diagnostics each."""
    diag = open(os.path.join(t, "snap", "%s.analysis" % n), "w")
    diag.write("# k leader successor handover_ns reads writes updates getc listers pings "
               "probes followers_notified_once/followers notif_max server_packets_max "
               "bytes_in bytes_out\n")
    for meta in sorted(glob.glob(os.path.join(t, "snap", "%s.*.meta" % n))):
        k = meta.split(".")[-2]
        if k == "warm":
            continue
        p = meta[:-5]
        leader, succ, sid_s, ho = open(meta).read().split()
        mb, ma = mntr(p + ".before.mntr"), mntr(p + ".after.mntr")
        d = lambda key: ma.get(key, 0) - mb.get(key, 0)
        reads = d("zk_cnt_benchscale_read_per_namespace")
        writes = d("zk_cnt_benchscale_write_per_namespace")
        getc = d("zk_response_packet_get_children_cache_hits") + \
            d("zk_response_packet_get_children_cache_misses")
        lb, la = listing(p + ".before.lst"), listing(p + ".after.lst")
        listers = sorted(i for i in la if la[i] > lb.get(i, 0))
        wb, wa = listing(p + ".before.wat"), listing(p + ".after.wat")
        seen = [wa[i] - wb.get(i, 0) for i in wa if i not in (leader, succ)]
        cb, ca = cons(p + ".before.cons"), cons(p + ".after.cons")
        sb, sa = ss(p + ".before.ss"), ss(p + ".after.ss")
        pings, packets, out_live = 0, [], 0
        for sid in set(cb) & set(ca):
            b, a = cb[sid], ca[sid]
            # every packet received is answered once, unless still queued: the rest of
            # what was sent are notifications; answers without a new xid are pings
            answered = (a["recved"] - a["queued"]) - (b["recved"] - b["queued"])
            pings += answered - (a["lcxid"] - b["lcxid"])
            if sid != sid_s:
                packets.append((a["sent"] - b["sent"]) - answered)
            if a["port"] in sa and b["port"] in sb:
                out_live += sa[a["port"]]["sent"] - sb[b["port"]]["sent"]
        probes = d("zk_cnt_readlatency") - pings - reads
        four = 2        # four-letter words inside the window: the "after" cons and mntr
        bin_ = d("zk_bytes_received_count") - 4 * four - PING_IN * pings - PROBE_IN * probes
        bout = out_live - PING_OUT * pings - PROBE_OUT * probes
        rows = {"scale_handover": ho, "scale_req": reads + writes, "scale_getc": getc,
                "scale_listers": len(listers), "scale_notif": max(seen) if seen else 0,
                "scale_bin": bin_, "scale_bout": bout}
        for key, v in rows.items():
            with open(os.path.join(t, "samples", "%s_%s" % (key, n)), "a") as f:
                f.write("%s\n" % v)
        diag.write("%s %s %s %s %d %d %d %d %s %d %d %d/%d %d %d %d %d\n" % (
            k, leader, succ, ho, reads, writes, d("zk_cnt_updatelatency"), getc,
            ",".join(listers) or "-", pings, probes, sum(1 for x in seen if x == 1),
            len(seen), max(seen) if seen else 0, max(packets) if packets else 0, bin_, bout))
        if listers != [succ]:
            diag.write("# handover %s: listed by %s, expected only %s\n" % (k, listers, succ))


def load(t, key):
    try:
        return [float(x) for x in open(os.path.join(t, "samples", key)).read().split()]
    except FileNotFoundError:
        return []


def rank(v, q):
    """The Q quantile of V, nearest rank."""
    s = sorted(v)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def fmt(v, unit):
    if v is None:
        return "n/a"
    x = v / UNITS[unit]
    if unit == "count":
        return "%d" % x if x == int(x) else "%.1f" % x
    if unit in ("ms", "KiB") and abs(x) >= 10:
        return "%.1f %s" % (x, unit)
    return "%.3f %s" % (x, unit) if unit == "ms" else "%.2f %s" % (x, unit)


def value(expr, med):
    try:
        return float(eval(expr[1:], {"__builtins__": {}}, med))
    except (NameError, SyntaxError, TypeError):
        return None


def compare(t, med, p, runs, samples):
    """Print the zkelectd / kazoo table (rows with both sides measured); return its rows."""
    try:
        lines = [x.rstrip("\n").split("\t") for x in open(os.path.join(t, "compare.tsv"))]
    except FileNotFoundError:
        return []
    out = []
    for label, zk, kz, unit, limit in lines:
        if zk not in samples or kz not in samples:
            continue
        lim = value(limit, med) if limit.startswith("=") else None
        rl = lim / med[kz] if lim is not None and med[kz] else None
        rm = med[zk] / med[kz] if med[kz] else None
        rp = p[zk] / p[kz] if p[kz] else None
        if med[zk] < med[kz] and p[zk] < p[kz]:
            lower = "zkelectd"
        elif med[zk] > med[kz] and p[zk] > p[kz]:
            lower = "kazoo"
        elif med[zk] == med[kz] and p[zk] == p[kz]:
            lower = "equal"
        else:
            lower = "neither (median and p95 disagree)"
        out.append({"figure": label, "unit": unit, "zkelectd_key": zk, "kazoo_key": kz,
                    "zkelectd_median": med[zk] / UNITS[unit], "zkelectd_p95": p[zk] / UNITS[unit],
                    "kazoo_median": med[kz] / UNITS[unit], "kazoo_p95": p[kz] / UNITS[unit],
                    "ratio_median": rm, "ratio_p95": rp, "limit_ratio": rl,
                    "runs_zkelectd": runs[zk],
                    "runs_kazoo": runs[kz], "lower": lower})
    if not out:
        return out
    print()
    print("zkelectd against kazoo's Election, same run (ratio = zkelectd / kazoo; "
          "above 1: zkelectd is slower or bigger):")
    print()
    print("| figure | zkelectd median / p95 | kazoo median / p95 | ratio median | ratio p95 "
          "| limit / kazoo | runs | lower |")
    print("|---|---|---|---|---|---|---|---|")
    for r in out:
        u = UNITS[r["unit"]]
        print("| %s | %s / %s | %s / %s | %s | %s | %s | %d / %d | %s |" % (
            r["figure"], fmt(r["zkelectd_median"] * u, r["unit"]),
            fmt(r["zkelectd_p95"] * u, r["unit"]), fmt(r["kazoo_median"] * u, r["unit"]),
            fmt(r["kazoo_p95"] * u, r["unit"]),
            "n/a" if r["ratio_median"] is None else "%.2f" % r["ratio_median"],
            "n/a" if r["ratio_p95"] is None else "%.2f" % r["ratio_p95"],
            "-" if r["limit_ratio"] is None else "%.2f" % r["limit_ratio"],
            r["runs_zkelectd"], r["runs_kazoo"], r["lower"]))
    if any(r["limit_ratio"] is not None for r in out):
        print()
        print("limit / kazoo: the least zkelectd's side can take here, over kazoo's median. "
              "For a handover that starts its hook as a process: the least handover of this "
              "run's floor scenario (bare clients, after a quiet spell as before a round: "
              "delete -> notified -> list + exists -> spawn -> the hook's first instruction); "
              "on the ensemble, its floor plus a bare spawn (timed back to back, so lower "
              "still); without the spawn, ZooKeeper alone. At 1 or above, no such handover "
              "can be below kazoo's on this machine.")
    return out


def table(t, machine, secs, quick, json_path):
    med, p, p90, top, runs, rows = {}, {}, {}, {}, {}, []
    lines = [x.rstrip("\n").split("\t") for x in open(os.path.join(t, "figures.tsv"))]
    samples = {}
    for path in glob.glob(os.path.join(t, "samples", "*")):
        key = os.path.basename(path)
        v = load(t, key)
        if v:
            samples[key] = v
            med[key], p[key], runs[key] = statistics.median(v), rank(v, 0.95), len(v)
            p90[key], top[key] = rank(v, 0.90), max(v)
    for key, unit, target, limit, label in lines:
        tm = tp = lim = None
        exact = target.startswith("==")   # every run must give exactly this value
        if exact:
            tm = value(target[1:], med)
        elif target.startswith("="):
            parts = target.split("|")
            tm = value(parts[0], med)
            tp = value(parts[1], med) if len(parts) > 1 else None
        if limit.startswith("="):
            lim = value(limit, med)
        meets = "-"
        if exact and tm is not None and key in samples:
            bad = sum(1 for x in samples[key] if x != tm)
            meets = "yes" if bad == 0 else "NO (%d of %d runs)" % (bad, runs[key])
        elif tm is not None and key in med:
            ok = med[key] <= tm * 1.0000001 and (tp is None or p[key] <= tp * 1.0000001)
            meets = "yes" if ok else "NO"
        shown = target
        if exact:
            shown = "%s every run" % fmt(tm, unit)
        elif target.startswith("="):
            shown = " / ".join(fmt(x, unit) for x in (tm, tp) if x is not None)
            if tp is not None:
                shown += " (med / p95)"
        rows.append({"key": key, "figure": label, "unit": unit, "median": med.get(key),
                     "p90": p90.get(key), "p95": p.get(key), "max": top.get(key),
                     "runs": runs.get(key, 0), "target": shown,
                     "limit": fmt(lim, unit) if limit.startswith("=") else limit,
                     "meets_target": meets})
    try:
        anomalies = open(os.path.join(t, "anomalies.txt")).read().splitlines()
    except FileNotFoundError:
        anomalies = []
    print()
    print("zkelectd benchmark (%s run, %s s): %s" % (
        "quick" if quick == "1" else "full", secs, machine))
    print()
    print("| figure | median | p90 | p95 | max | runs | target | physical limit | meets |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if not r["runs"]:
            continue    # a scenario not run (BENCH_ONLY); the JSON keeps the row
        print("| %s | %s | %s | %s | %s | %d | %s | %s | %s |" % (
            r["figure"], fmt(r["median"], r["unit"]), fmt(r["p90"], r["unit"]),
            fmt(r["p95"], r["unit"]), fmt(r["max"], r["unit"]), r["runs"],
            r["target"], r["limit"], r["meets_target"]))
    pairs = compare(t, med, p, runs, samples)
    if anomalies:
        print()
        print("Anomalies (the rounds that missed an exact target, with the daemon's log):")
        for a in anomalies:
            print(a)
    if json_path:
        for r in rows:
            for k in ("median", "p90", "p95", "max"):
                if r[k] is not None:
                    r[k] = r[k] / UNITS[r["unit"]]
        with open(json_path, "w") as f:
            json.dump({"machine": machine, "seconds": int(secs), "quick": quick == "1",
                       "figures": rows, "comparison": pairs, "anomalies": anomalies},
                      f, indent=1)
            f.write("\n")


def log_ns(line):
    """The ns since the epoch of a daemon log line's ISO timestamp, or None."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z ", line)
    if not m:
        return None
    ts = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    return int(ts.replace(tzinfo=datetime.timezone.utc).timestamp()) * 10**9 + \
        int(m.group(2)) * 1000


STEPS = [   # (label, process: old leader L or successor S, from, to)
    ("demote hook's end -> reaped by the old leader", "L", "A", "reaped"),
    ("reaped -> breadcrumb's delete applied (old leader's own watch)", "L", "reaped", "crumb"),
    ("reaped -> its znode's delete answered ('left')", "L", "reaped", "left"),
    ("reaped -> successor notified of the breadcrumb's delete", "S", "reaped", "s_crumb"),
    ("reaped -> successor notified of the znode's delete", "S", "reaped", "notified"),
    ("notified -> listing sent", "S", "notified", "listing"),
    ("listing -> elected (list + ownership exists answered)", "S", "listing", "elected"),
    ("elected -> 'follower -> leader' (priority: list again, get each contender)", "S",
     "elected", "leader"),
    ("'follower -> leader' -> 'running promote'", "S", "leader", "running"),
    ("'running promote' -> spawn returned ('started' line)", "S", "running", "started"),
    ("spawn returned -> promote hook's first instruction", "S", "started", "K"),
    ("total: demote end -> promote start", "S", "A", "K"),
]


def steps(t, ids, since, until):
    """Per-step medians of the handovers among daemons IDS (debug logs) between SINCE
    and UNTIL (ns): where the time from demote end to promote start goes."""
    ids = ids.split(",")
    since, until = int(since), int(until)
    logs = {}
    for i in ids:
        logs[i] = [(log_ns(x), x.split(" ", 2)[2]) for x in open(os.path.join(t, i + ".log"))
                   if log_ns(x) is not None]
    hooks = []
    for line in open(os.path.join(t, "hooks.log")):
        w = line.split()
        if len(w) >= 6 and w[1] in ids and w[3] in ("start", "end") and \
                since <= int(w[0]) <= until:
            hooks.append((int(w[0]), w[1], w[2], w[3], w[5]))

    def after(i, t0, pat):
        for ns, txt in logs[i]:
            if t0 is not None and ns >= t0 and re.search(pat, txt):
                return ns
        return None

    got = {}
    for k, (ns, old, ev, ph, why) in enumerate(hooks):
        if ev != "demote" or ph != "end" or why not in ("shutdown", "resigned"):
            continue
        nxt = [h for h in hooks[k + 1:] if h[2] == "promote" and h[3] == "start" and h[1] != old]
        if not nxt:
            continue
        new = nxt[0][1]
        at = {"A": ns, "K": nxt[0][0]}
        at["reaped"] = after(old, ns - 2000, r"hook demote\[\d+\] exit")
        at["crumb"] = after(old, at["reaped"], r"watch event deleted on \S+/primary$")
        at["left"] = after(old, at["reaped"], r"election: left")
        at["s_crumb"] = after(new, at["reaped"], r"watch event deleted on \S+/primary$")
        at["notified"] = after(new, at["reaped"], r"watch event deleted on \S+/n_\S+_%s-" % old)
        at["listing"] = after(new, at["notified"], r"election: listing")
        at["elected"] = after(new, at["listing"], r"election: elected")
        at["leader"] = after(new, at["elected"], r"role: follower -> leader")
        at["running"] = after(new, at["elected"], r"running promote")
        at["started"] = after(new, at["running"], r"hook promote\[\d+\] started")
        if at["notified"] is None or at["started"] is None or at["K"] - ns > 10**9:
            continue
        for label, _who, a, b in STEPS:
            if at[a] is not None and at[b] is not None:
                got.setdefault((why, label), []).append(at[b] - at[a])
    for why, name in (("shutdown", "cold (SIGTERM)"), ("resigned", "warm (resign)")):
        n = len(got.get((why, STEPS[-1][0]), []))
        if not n:
            continue
        print("%s, %d handovers among %s (warm-up included), from the debug log lines:" % (
            name, n, ",".join(ids)))
        print("| step | median | p90 |")
        print("|---|---|---|")
        for label, _who, _a, _b in STEPS:
            v = got.get((why, label))
            if v:
                print("| %s | %.3f ms | %.3f ms |" % (label, statistics.median(v) / 1e6,
                                                     rank(v, 0.90) / 1e6))


if sys.argv[1] == "snap":
    snap(sys.argv[2], sys.argv[3])
elif sys.argv[1] == "steps":
    steps(*sys.argv[2:6])
else:
    table(*sys.argv[2:7])
EOF_PY
}

main() {
	local t0 s
	t0=${EPOCHREALTIME/./}
	if [ ! -x "$SPAWNBENCH" ] || [ ! -x "$(dirname "$ZKELECTD")/hookrec" ]; then
		fail "build the test tools first (make all unit)"
	fi
	unset JOURNAL_STREAM	# the daemons' log lines keep their timestamps
	mkdir -p "$SAMPLES"
	: >"$HOOKLOG"
	exec {HOOK_FD}<"$HOOKLOG"
	bench_zk
	MACHINE=$(machine)
	for s in ${BENCH_ONLY:-spawn floor handover crash crash-restart upgrade cold footprint \
	    kazoo ensemble scale postgresql pgclient}; do
		declare -F "bench_${s//-/_}" >/dev/null || fail "BENCH_ONLY: no scenario $s"
		"bench_${s//-/_}"
	done
	declare_figures
	report_py table "$T" "$MACHINE" "$(((${EPOCHREALTIME/./} - t0) / 1000000))" "$QUICK" \
	    "${BENCH_JSON:-}" || fail "report"
	for s in "$T"/steps.*.txt; do
		[ -s "$s" ] || continue
		echo
		case $s in
		*/steps.kz.txt) echo "Where zkelectd's handover time goes (kazoo scenario):" ;;
		*) echo "Where zkelectd's handover time goes (ensemble scenario):" ;;
		esac
		echo
		cat "$s"
	done
	[ "${KEEP:-0}" = 1 ] && say "samples, snapshots and logs in $T (KEEP=1)"
	return 0
}

main "$@"
