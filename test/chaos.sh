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
# The operator's controls are faults too:
#   switchover  zkelectctl switchover --to TARGET --wait (2 to 4 x the session
#               timeout), TARGET a random live node other than the leader
#               (FAULT switchover TARGET), in the background through
#               ZooKeeper directly ($T/ctl.conf: no proxy). Any outcome will
#               do (done, refused, cancelled, failed, not over): the run
#               reports them; none may break an invariant. The command is
#               waited for (it ends by its own --wait) before the HEAL.
#   pause       the whole cluster paused for a random 1 to 4 x the session
#               timeout: zkelectctl pause --reason chaos --for DURATION when
#               this zkelectctl has it, else PATH/pause written with
#               build/zkput ("zkelectd-pause 1", for_ms, since_ms, by,
#               reason). Marked FAULT pause for_ms=N before it is written,
#               and PAUSED once the writer returned (the checker's warning of
#               a promote while paused counts from there).
#               Only as a round's first fault; in two rounds of three, after
#               a random 0 to 1 x the session timeout, another fault meets
#               it: the leader killed (until the heal), crash-restarted or
#               blackholed, another node blackholed, or a switchover (which
#               the leader refuses while paused). When the leader was killed,
#               in one case of two, 0 to 2 x the session timeout later, a
#               forced switchover (zkelectctl switchover --to TARGET --force:
#               FAULT switchover-force TARGET) to a random running node: the
#               operator's way out of a pause whose primary is lost, and true
#               to what --force vouches for, since the killed leader's hooks
#               died with it (only with a zkelectctl that has pause). At the
#               heal either resumed (zkelectctl resume, or PATH/pause deleted
#               with build/zktool; marked UNPAUSE before, counted as expired
#               when it had run out already) or, at random, left to expire:
#               the hold then sometimes outlasts the pause, so that its
#               expiry meets a lost connection. After the HEAL line the
#               harness waits for the pause to be over everywhere: (left to
#               expire) until for_ms has passed since it was written, then
#               until no running daemon's state file says PAUSED=yes; then it
#               deletes PATH/pause if an expiry left it there (counted: the
#               first node whose clock ends a pause deletes it), waits for
#               PAUSED=no again, and writes RESUME resumed|expired. Only then
#               does it wait for a leader.
#               The checker requires no leader between FAULT pause and
#               RESUME, and judges the HEAL from the RESUME (its rule f).
#   priority    one node's config rewritten with a new [election] priority
#               (0 to 255; 0 in one case of four, and only while at least
#               two other nodes keep a priority above 0, so two candidates
#               always can lead), failback yes or no and failback_delay 1
#               to 2 x the session timeout, then the daemon restarted at once
#               (SIGTERM, wait, start; a KILL line if it had to be killed).
#               Failback may then start switchovers of its own.
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
# NETNS=1: real hosts and a real network instead of the fault proxies
# (test/netns.sh; skipped, exit 77, where namespaces cannot be used). Each
# ZooKeeper member (zk1..zk3, 10.77.0.1-3) and each daemon (nI, 10.77.0.(10+I))
# runs on a host of its own, a network namespace on a private bridge; the
# harness's own ZooKeeper tools (zkelectctl, zkput, zktool) run on host ctl
# (10.77.0.250). The daemons talk to the members directly, so blackhole and
# reset become network faults: blackhole cuts the node's host from every member
# (both ways, silently, connections stay open), reset makes its host answer
# every packet to a member with a TCP reset (existing connections killed with
# ss -K, new ones refused). Every other fault works as without NETNS. The
# partitions added:
#   isolate     a daemon's host cut from every other host (FAULT isolate nI)
#   isolate-zk  a ZooKeeper member's host cut from every other host
#               (FAULT isolate-zk zkK; cluster-wide: only as a round's first)
#   cut         one link cut in one direction, IP only (FAULT cut A->B): half
#               the time between node N and a member (its own in one case of
#               two), either way, else between two members
#   split       the ensemble split 2/1 with the leader's daemon attached to
#               the minority member M (the one it has a connection with): M
#               and the leader's host cut from the other members and the
#               other daemons (FAULT split zkM+nI; only as a round's first)
# A floating IP, when scripts/hooks/vip/vip is there (VIP=0 turns it off; the
# session timeout is then 3 s unless SESSION_MS is set: the demote hook must end
# within a third of it, and the vip hook takes up to 1 s on a loaded machine):
# each node's hooks are $T/viphook.sh, which runs the vip hook inside a run
# record of test/hookrec.c's kind (a start line, the knobs, the vip hook, an end
# line: the records' lead windows cover every moment the node may hold the
# address) with $T/vip.env (VIP_ADDRESS=10.77.0.100/24 on eth0, one 1 s
# duplicate probe), and a fence hook ($T/fence.sh) that removes the address
# from the old leader's host (the test's stand-in for a real fence: a killed
# or frozen leader keeps its address, and the successor's duplicate probe
# would refuse for as long). A poller reads each daemon host's eth0 every
# 75 ms and writes a "FROM nI VIP UNTIL" line to the event log for each stretch
# a host was seen holding the address (from the first read that saw it to the
# last); the checker's rule (g) requires that no two hosts held it at once.
#
# Prints the rounds, the upgrades seen done (IMAGE_STARTED_MS changed), the
# switchovers by outcome, the pauses by end, the priorities, the
# watchdog resets the harness acted on, then the checker's summary: faults by
# kind, promotions, the longest leaderless gap, frozen-leader exceptions
# used, the pauses, the watchdog figures, and its verdict; exits 1 on any
# violation. What the harness did besides the event log (switchover outputs,
# pause writes, priority changes) goes to $T/chaos.log, kept with the other
# logs when the checker fails.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-120}
NODES=${NODES:-5}
SESSION_MS_SET=${SESSION_MS:-}
SESSION_MS=${SESSION_MS:-1500}
WATCHDOG=${WATCHDOG:-0}
WD_MS=${WD_MS:-400}
SEED=${SEED:-$$}
RANDOM=$SEED
NETNS=${NETNS:-0}
VIP_ON=0
# In front of every ZooKeeper tool the harness runs: nothing, or ip netns exec
# the ctl host (NETNS=1: the members are reachable from the hosts only).
CTL=()
# NETNS=1: the network faults of this round by node; the member isolated, if any.
declare -A NETFAULT=()
ZK_ISOLATED=""
VIP_ADDR=10.77.0.100/24
VIP_POLL_PID=""
if [ "$NETNS" = 1 ]; then
	# shellcheck source=test/netns.sh
	. "$ROOT/test/netns.sh"
	netns_check
	if [ "${VIP:-1}" = 1 ] && [ -x "$ROOT/scripts/hooks/vip/vip" ]; then
		VIP_ON=1
		# the demote hook must end within T/3 of the deadline (docs/safety.md):
		# the vip hook takes 0.15 s idle, up to 1 s on a loaded 2-core machine
		SESSION_MS=${SESSION_MS_SET:-3000}
	fi
fi
LOG=$T/hooks.log
WD_LOG=$T/watchdog.log
# Faults of this round by node; RESTART_AT: a daemon down until then (us).
declare -A BLACKHOLED=() RESET=() STOPPED=() DOWN=() KNOB=() UPGRADED=() RESTART_AT=()
declare -A REPRIORITIZED=()
ZK_DOWN=()
NAMES=()
RESETS=0 UPGRADES_DONE=0 UPGRADES_UNSEEN=0 UPGRADES_UNKNOWN=0
WD_FD="" WD_PART=""
CHAOS_LOG=$T/chaos.log
# Each node's [election] priority, failback, failback_delay (ms) ("": the default).
declare -A PRIO=() FAILBACK=() FB_DELAY=()
PRIORITY_CHANGES=0
# The switchover of this round: its zkelectctl's PID, target, output, deadline (us).
SW_PID="" SW_TO="" SW_KIND="" SW_OUT=$T/switchover.out SW_DEADLINE=0 SW_COUNT=0
declare -A SW_OUTCOMES=()
# The pause of this round: on, for how long (ms), written at (us), resume or expire.
PAUSE_ON=0 PAUSE_FOR_MS=0 PAUSE_AT_US=0 PAUSE_HOW="" PAUSE_CTL=0
PAUSES_RESUMED=0 PAUSES_EXPIRED=0 PAUSES_FAILED=0 PAUSE_LEFTOVERS=0 PAUSES_SLOW=0

# The daemons run from a copy of the binary that an upgrade can replace; the
# test tools stay where they are (lib.sh finds them beside $ZKELECTD).
SRC_ZKELECTD=$ZKELECTD
mkdir -p "$T/bin"
cp "$SRC_ZKELECTD" "$T/bin/zkelectd" || fail "cannot copy $SRC_ZKELECTD"
for tool in faultproxy zktool zkput hookrec wdstandin; do
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
	[ -n "${BLACKHOLED[$1]:-}${RESET[$1]:-}${STOPPED[$1]:-}${DOWN[$1]:-}${UPGRADED[$1]:-}${RESTART_AT[$1]:-}${REPRIORITIZED[$1]:-}${NETFAULT[$1]:-}" ]
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

# Write node N's config: the run's settings and N's priority settings.
node_conf() {
	local n=$1 wd=()
	if [ "$WATCHDOG" = 1 ]; then
		wd=("watchdog.mode=required" "watchdog.device=$T/$n/wd" "watchdog.timeout=${WD_MS}ms")
	fi
	local hosts=127.0.0.1:${PROXY_PORT[$n]:-}
	local -a hooks=("hooks.promote_timeout=1s" "hooks.follow="
		"hooks.fence=$T/fence.sh" "hooks.fence_timeout=2s")
	[ "$NETNS" != 1 ] || hosts=$ZK_HOSTS
	if [ "$VIP_ON" = 1 ]; then
		# the vip promote probes for 1 s first; follow removes the address too
		hooks=("hooks.promote=$T/viphook.sh" "hooks.demote=$T/viphook.sh"
			"hooks.follow=$T/viphook.sh" "hooks.promote_timeout=5s"
			"hooks.fence=$T/fence.sh" "hooks.fence_timeout=2s")
	fi
	write_conf "$n" "zookeeper.hosts=$hosts" \
		"zookeeper.session_timeout=${SESSION_MS}ms" "${hooks[@]}" \
		"daemon.log_level=debug" "${wd[@]}" \
		"election.priority=${PRIO[$n]:-}" "election.failback=${FAILBACK[$n]:-}" \
		"election.failback_delay=${FB_DELAY[$n]:+${FB_DELAY[$n]}ms}"
}

# A line for $T/chaos.log, with the time of the event log.
note() {
	echo "$(($(now_us) * 1000)) $*" >>"$CHAOS_LOG"
}

# Stop node N's daemon with SIGTERM and wait; when lib.sh had to SIGKILL it
# (10 s), write the KILL line the checker needs.
term_node() {
	daemon_stop "$1"
	if [ "$LAST_EXIT" = 137 ]; then
		event_mark "$1" KILL
		echo "chaos: $1 did not stop within 10 s of SIGTERM: killed" >&2
	fi
}

# The priority fault: node N gets a new priority, failback and failback_delay,
# and is restarted. A priority of 0 only while two other nodes keep one above 0.
reprioritize() {
	local n=$1 m others=0
	for m in "${NAMES[@]}"; do
		[ "$m" = "$n" ] || [ "${PRIO[$m]:-100}" -eq 0 ] || others=$((others + 1))
	done
	if [ $((RANDOM % 4)) -eq 0 ] && [ "$others" -ge 2 ]; then
		PRIO[$n]=0
	else
		PRIO[$n]=$(rnd 1 255)
	fi
	if [ $((RANDOM % 2)) -eq 0 ]; then FAILBACK[$n]=yes; else FAILBACK[$n]=no; fi
	FB_DELAY[$n]=$(rnd "$SESSION_MS" $((2 * SESSION_MS)))
	node_conf "$n"
	note "priority $n: priority ${PRIO[$n]}, failback ${FAILBACK[$n]}, failback_delay ${FB_DELAY[$n]}ms"
	term_node "$n"
	daemon_start "$n"
	REPRIORITIZED[$n]=1
	PRIORITY_CHANGES=$((PRIORITY_CHANGES + 1))
}

# The switchover fault: ask, in the background, for a switchover to a random
# running node other than the leader; SW_TO is the target (status 1: none).
# With "force": zkelectctl switchover --force, only ever asked by a pause
# round whose leader was killed (down until the heal): what the operator
# vouches for, that no other node's service is primary, is then true.
switchover_start() {
	local leader m w cands=() force=()
	[ -z "$SW_PID" ] || return 1	# one per round
	[ "${1:-}" != force ] || force=(--force)
	leader=$(leader_name 2>/dev/null) || leader=""
	for m in "${NAMES[@]}"; do
		[ "$m" != "$leader" ] && daemon_running "$m" &&
			[ -z "${STOPPED[$m]:-}${DOWN[$m]:-}${RESTART_AT[$m]:-}" ] && cands+=("$m")
	done
	[ ${#cands[@]} -gt 0 ] || return 1
	SW_TO=${cands[RANDOM % ${#cands[@]}]}
	SW_KIND=switchover${force:+-force}
	w=$(($(rnd 2 4) * SESSION_MS))
	note "$SW_KIND to $SW_TO (leader ${leader:-none known}), --wait ${w}ms"
	"${CTL[@]}" "$ZKELECTCTL" -c "$T/ctl.conf" switchover --to "$SW_TO" "${force[@]}" --wait "${w}ms" \
		>"$SW_OUT" 2>&1 </dev/null &
	SW_PID=$!
	SW_DEADLINE=$(($(now_us) + (w + 2 * SESSION_MS + 5000) * 1000))
	SW_COUNT=$((SW_COUNT + 1))
}

# Wait for this round's switchover to end (it times itself out); tally its outcome.
switchover_end() {
	local rc=0 out
	[ -n "$SW_PID" ] || return 0
	while kill -0 "$SW_PID" 2>/dev/null && [ "$(now_us)" -lt "$SW_DEADLINE" ]; do
		hold 50
	done
	if kill -0 "$SW_PID" 2>/dev/null; then
		echo "chaos: zkelectctl switchover to $SW_TO still runs past its wait: stopped" >&2
		kill -s TERM "$SW_PID" 2>/dev/null || true
	fi
	wait "$SW_PID" || rc=$?
	case $rc in
	0) out="done" ;;
	1)
		if grep -q "switchover refused" "$SW_OUT"; then out=refused
		elif grep -q "switchover cancelled" "$SW_OUT"; then out=cancelled
		elif grep -q "switchover failed" "$SW_OUT"; then out=failed
		else out=refused-by-zkelectctl
		fi ;;
	2) if grep -q "lost ZooKeeper" "$SW_OUT"; then out=unreachable; else out=not-over; fi ;;
	*) out=exit-$rc ;;
	esac
	[ "$SW_KIND" = switchover ] || out="forced $out"
	SW_OUTCOMES[$out]=$((${SW_OUTCOMES[$out]:-0} + 1))
	note "$SW_KIND to $SW_TO: $out (exit $rc): $(tr '\n' ' ' <"$SW_OUT")"
	SW_PID=""
}

# The pause's text in ZooKeeper (as zkelectctl pause writes it).
pause_text() {
	printf 'zkelectd-pause 1\nfor_ms=%s\nsince_ms=0\nby=chaos\nreason=chaos\n' "$1"
}

# The pause fault: mark FAULT pause, then pause the cluster for 1 to 4 x the session timeout.
pause_start() {
	local data ok=0
	PAUSE_FOR_MS=$(rnd "$SESSION_MS" $((4 * SESSION_MS)))
	# resumed at the heal, or left to expire (a pause to be resumed may run out first)
	if [ $((RANDOM % 2)) -eq 0 ]; then PAUSE_HOW=resumed; else PAUSE_HOW=expired; fi
	event_mark - FAULT pause "for_ms=$PAUSE_FOR_MS"
	PAUSE_AT_US=$(now_us)
	PAUSE_ON=1
	if [ "$PAUSE_CTL" = 1 ]; then
		"${CTL[@]}" "$ZKELECTCTL" -c "$T/ctl.conf" pause --reason chaos --for "${PAUSE_FOR_MS}ms" \
			>>"$CHAOS_LOG" 2>&1 </dev/null && ok=1
		# a lost answer may leave it written: then it is a pause all the same
		[ "$ok" = 1 ] || [ "$(state_of "${NAMES[0]}" PAUSED 2>/dev/null)" != yes ] || ok=1
	else
		data=$(pause_text "$PAUSE_FOR_MS"; echo .)
		data=${data%.}
		{ "${CTL[@]}" "$T/bin/zkput" "$ZK_HOSTS" create "$ELECTION_PATH/pause" "$data" ||
			"${CTL[@]}" "$T/bin/zkput" "$ZK_HOSTS" set "$ELECTION_PATH/pause" "$data"; } \
			>/dev/null 2>>"$CHAOS_LOG" && ok=1
	fi
	note "pause for ${PAUSE_FOR_MS}ms, to be $PAUSE_HOW: $([ "$ok" = 1 ] && echo written || echo "NOT written")"
	[ "$ok" != 1 ] || event_mark - PAUSED	# the checker's (f) counts from here
	if [ "$ok" != 1 ]; then
		echo "chaos: the pause could not be written" >&2
		PAUSES_FAILED=$((PAUSES_FAILED + 1))
		PAUSE_HOW=failed
	fi
}

# Delete the pause (zkelectctl resume, or PATH/pause deleted); true when it was there.
pause_delete() {
	local out rc=0
	if [ "$PAUSE_CTL" = 1 ]; then
		out=$("${CTL[@]}" "$ZKELECTCTL" -c "$T/ctl.conf" resume 2>&1 </dev/null) || rc=$?
		note "zkelectctl resume: exit $rc: $out"
		[ "$rc" = 0 ] && [[ $out != *"not paused"* ]]
	else
		"${CTL[@]}" "$T/bin/zktool" "$ZK_HOSTS" delete "$ELECTION_PATH/pause" 2>>"$CHAOS_LOG"
	fi
}

# True while a running daemon's state file says it is paused.
any_paused() {
	local n
	for n in "${NAMES[@]}"; do
		daemon_running "$n" && [ "$(state_of "$n" PAUSED 2>/dev/null)" = yes ] && return 0
	done
	return 1
}

# Hold until no running daemon says it is paused, or until the deadline (us).
unpause_wait() {
	while any_paused && [ "$(now_us)" -lt "$1" ]; do
		hold 50
	done
	! any_paused
}

# After the HEAL: wait until this round's pause is over on every node, then
# write RESUME. An expiring pause runs at least for_ms from its write; a node
# cut off or down at the write times it from when it reads it, unless the
# first node whose clock ended it has deleted it by then.
pause_end() {
	local deadline
	[ "$PAUSE_ON" = 1 ] || return 0
	deadline=$(($(now_us) + (PAUSE_FOR_MS + 2 * SESSION_MS + 10000) * 1000))
	if [ "$PAUSE_HOW" = expired ]; then
		hold $(((PAUSE_AT_US - $(now_us)) / 1000 + PAUSE_FOR_MS))
	fi
	unpause_wait "$deadline" || {
		echo "chaos: a node still says PAUSED=yes $((PAUSE_FOR_MS + 2 * SESSION_MS + 10000)) ms after the HEAL" >&2
		PAUSES_SLOW=$((PAUSES_SLOW + 1))
	}
	if [ "$PAUSE_HOW" = expired ] && pause_delete; then
		# no node's clock ended it (or one read it afresh): a leftover
		PAUSE_LEFTOVERS=$((PAUSE_LEFTOVERS + 1))
		note "pause: still in ZooKeeper after its expiry: deleted by the harness"
		echo "chaos: a pause was still in ZooKeeper after every node had let it expire" >&2
	fi
	unpause_wait $(($(now_us) + 2000000)) || {
		echo "chaos: a node says PAUSED=yes after the pause was deleted" >&2
		PAUSES_SLOW=$((PAUSES_SLOW + 1))
	}
	case $PAUSE_HOW in
	resumed) PAUSES_RESUMED=$((PAUSES_RESUMED + 1)) ;;
	expired) PAUSES_EXPIRED=$((PAUSES_EXPIRED + 1)) ;;
	esac
	event_mark - RESUME "$PAUSE_HOW"
	note "pause over ($PAUSE_HOW)"
	PAUSE_ON=0
}

# The ZooKeeper members' host names (NETNS=1).
zk_hosts() {
	echo zk1 zk2 zk3
}

# The cut fault (NETNS=1): one link cut one way, FAULT_TARGET "FROM->TO". Half
# the time between node N and a member (the one N is connected to in one case
# of two), in either direction; else between two members.
cut_link() {
	local n=$1 a b k
	if [ $((RANDOM % 2)) -eq 0 ]; then
		if [ $((RANDOM % 2)) -ne 0 ] || ! k=$(netns_zk_peer "$n"); then
			k=zk$(rnd 1 3)
		fi
		if [ $((RANDOM % 2)) -eq 0 ]; then a=$n b=$k; else a=$k b=$n; fi
		NETFAULT[$n]="cut"
	else
		k=$(rnd 1 3)
		a=zk$k
		b=zk$(((k + $(rnd 1 2) - 1) % 3 + 1))
	fi
	netns_cut "$a" "$b"
	FAULT_TARGET="$a->$b"
}

# The split fault (NETNS=1): the ensemble split 2/1 with L's daemon (the
# leader's, as target() picked it) on the minority side, with the member M it
# is connected to (a random one when it has no connection): M and L cut from
# the other members and every other daemon. FAULT_TARGET "zkM+L".
split_leader() {
	local l=$1 m n others
	m=$(netns_zk_peer "$l") || m=zk$(rnd 1 3)
	others=$(zk_hosts | tr ' ' '\n' | grep -vx "$m" | tr '\n' ' ')
	for n in "${NAMES[@]}"; do
		[ "$n" = "$l" ] || others+=" $n"
	done
	netns_split "$m $l" "$others"
	NETFAULT[$l]="split"
	note "split: $m $l | $others"
	FAULT_TARGET="$m+$l"
}

# Without the vip hook, the fence hook $T/fence.sh only records each fence in
# $T/fence.log (a new leader found an older one's breadcrumb: rule 26).
fence_setup() {
	cat >"$T/fence.sh" <<-EOF
		#!/bin/sh
		echo "\$(date +%s%N) \$ZKELECT_ID fenced \$ZKELECT_FENCE_ID (\$ZKELECT_FENCE_HOW)" >>"$T/fence.log"
	EOF
	chmod 755 "$T/fence.sh"
	: >"$T/fence.log"
}

# NETNS=1 with the vip hook: $T/vip.env, the wrapper hook $T/viphook.sh (the
# vip hook inside a run record) and the fence hook $T/fence.sh.
vip_setup() {
	local vip=$ROOT/scripts/hooks/vip/vip
	write_hook
	cat >"$T/vip.env" <<-EOF
		VIP_ADDRESS=$VIP_ADDR
		VIP_INTERFACE=eth0
		VIP_DAD_COUNT=1
		VIP_DAD_TIMEOUT=1
		VIP_BURST_COUNT=2
		VIP_BURST_INTERVAL=0.1
		VIP_SECOND_BURST_DELAY=1
		VIP_RUNDIR=$T/\$ZKELECT_ID/vip
	EOF
	chmod 644 "$T/vip.env"
	# the wrapper records its run as test/hookrec.c does (same line, same knobs),
	# around the vip hook: the recorded run spans the address's change
	cat >"$T/viphook.sh" <<-EOF
		#!/bin/sh
		# chaos: the floating-IP hook inside a run record (test/hookrec.c's format
		# and knobs): start, HOOK_SLEEP_<event>, then HOOK_EXIT_<event> if set
		# (the address left alone) or the vip hook, end. A promote's record thus
		# starts before the address comes and a demote's ends after it went.
		for ev; do :; done
		rec() {
			echo "\$(date +%s%N) \${ZKELECT_ID:--} \$ev \$1 \${ZKELECT_EPOCH:--} \${ZKELECT_REASON:--} \${ZKELECT_ROLE:--}" >>"$T/hooks.log"
		}
		knob() {
			cat "$T/\${ZKELECT_ID:--}/\$1_\$ev" 2>/dev/null || cat "$T/\$1_\$ev" 2>/dev/null
		}
		rec start
		s=\$(knob HOOK_SLEEP) && sleep "\$s"
		if x=\$(knob HOOK_EXIT); then
			rc=\$x
		else
			"$vip" "$T/vip.env" "\$ev"
			rc=\$?
		fi
		rec end
		exit "\$rc"
	EOF
	cat >"$T/fence.sh" <<-EOF
		#!/bin/sh
		# chaos: the test's fence, out of band like a power switch: the floating
		# address removed from the old leader's host, whatever its network.
		ns=$NETNS_PREFIX-\$ZKELECT_FENCE_ID
		ip -n "\$ns" addr del "$VIP_ADDR" dev eth0 2>/dev/null
		echo "\$(date +%s%N) \$ZKELECT_ID fenced \$ZKELECT_FENCE_ID (\$ZKELECT_FENCE_HOW)" >>"$T/fence.log"
		! ip -n "\$ns" -br -4 addr show dev eth0 | grep -q " ${VIP_ADDR%/*}/"
	EOF
	chmod 755 "$T/viphook.sh" "$T/fence.sh"
	: >"$T/fence.log"
}

# The floating-address poller (NETNS=1, background): reads every daemon host's
# eth0 every 75 ms; for each stretch a host was seen holding the address it
# writes, once the stretch is over, "FROM ID VIP UNTIL": FROM the end of the
# first read that saw it, UNTIL the start of the last one, so the host surely
# held it from one to the other (UNTIL <= FROM: one read saw it, which proves
# no interval). Stops when $T/vip.stop exists, closing every open stretch.
vip_poll() {
	local i n tb ta out
	local -a nss=()
	local -A on=() last=()
	for n in "${NAMES[@]}"; do
		nss+=("$(netns_ns "$n")")
	done
	while [ ! -e "$T/vip.stop" ]; do
		for i in "${!NAMES[@]}"; do
			n=${NAMES[i]}
			tb=$(now_us)
			out=$(ip -n "${nss[i]}" -br -4 addr show dev eth0 2>/dev/null)
			ta=$(now_us)
			if [[ " $out " == *" $VIP_ADDR "* ]]; then
				[ -n "${on[$n]:-}" ] || on[$n]=$ta
				last[$n]=$tb
			elif [ -n "${on[$n]:-}" ]; then
				echo "$((on[$n] * 1000)) $n VIP $((last[$n] * 1000))"
				unset "on[$n]"
			fi
		done
		sleep 0.075
	done
	for n in "${!on[@]}"; do
		echo "$((on[$n] * 1000)) $n VIP $((last[$n] * 1000))"
	done
}

# Stop the poller (at the end, and at cleanup should the run fail before).
vip_poll_stop() {
	[ -n "$VIP_POLL_PID" ] || return 0
	touch "$T/vip.stop"
	reap "$VIP_POLL_PID" 5
	VIP_POLL_PID=""
}

# Inject fault KIND on node N (zk faults ignore N).
inject() {
	local kind=$1 n=$2 k
	case $kind in
	blackhole)
		if [ "$NETNS" = 1 ]; then netns_split "$n" "$(zk_hosts)"; else proxy_mode "$n" blackhole; fi
		BLACKHOLED[$n]=1 ;;
	reset)
		# shellcheck disable=SC2046 # one word per member host
		if [ "$NETNS" = 1 ]; then netns_reset "$n" $(zk_hosts); else proxy_mode "$n" reset; fi
		RESET[$n]=1 ;;
	isolate) netns_isolate "$n"; NETFAULT[$n]=isolate ;;
	isolate-zk)
		ZK_ISOLATED=zk$(rnd 1 3)
		netns_isolate "$ZK_ISOLATED"
		n=$ZK_ISOLATED ;;
	cut) cut_link "$n"; n=$FAULT_TARGET ;;
	split) split_leader "$n"; n=$FAULT_TARGET ;;
	stop) daemon_stop "$n" STOP; event_mark "$n" STOP; STOPPED[$n]=1 ;;
	kill) daemon_stop "$n" KILL; event_mark "$n" KILL; DOWN[$n]=1 ;;
	crash-restart) daemon_stop "$n" KILL; event_mark "$n" KILL; restart_later "$n" ;;
	term) term_node "$n"; DOWN[$n]=1 ;;
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
	priority) reprioritize "$n" ;;
	switchover)
		switchover_start || return 1
		n=$SW_TO ;;
	pause)
		pause_start	# marks FAULT pause itself, before the write
		return 0 ;;
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
	# the network first: a member started again must be able to join
	if [ "$NETNS" = 1 ]; then
		netns_heal
	else
		for n in "${!BLACKHOLED[@]}" "${!RESET[@]}"; do
			proxy_mode "$n" pass
		done
	fi
	NETFAULT=() ZK_ISOLATED=""
	for k in "${ZK_DOWN[@]}"; do
		"$ROOT/scripts/zk-local.sh" start-member "$ZK_DIR" "$k" >/dev/null 2>&1 ||
			echo "chaos: could not restart ZooKeeper member $k" >&2
	done
	ZK_DOWN=()
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
	BLACKHOLED=() RESET=() STOPPED=() DOWN=() KNOB=() REPRIORITIZED=()
	check_upgrades
	deadline=$(($(now_us) + 30000000))
	while [ ${#RESTART_AT[@]} -gt 0 ] && [ "$(now_us)" -lt "$deadline" ]; do
		hold 50
	done
	[ ${#RESTART_AT[@]} -eq 0 ] || echo "chaos: restarts still pending at a HEAL: ${!RESTART_AT[*]}" >&2
	switchover_end
	if [ "$PAUSE_ON" = 1 ] && [ "$PAUSE_HOW" = resumed ]; then
		# resume; a pause no longer there had run out before (a node deleted it)
		event_mark - UNPAUSE	# the checker's (f) warns of promotes until here
		pause_delete || PAUSE_HOW=expired
	fi
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

# A pause round: the pause, and in two rounds of three another fault that
# meets it after 0 to 1 x the session timeout; when that fault killed the
# leader, in one case of two a forced switchover 0 to 2 x the session timeout
# later. The hold may outlast a pause left to expire.
pause_round() {
	local companions=(kill kill crash-restart blackhole blackhole blackhole switchover)
	local kind n leader
	inject pause -
	if [ $((RANDOM % 3)) -ne 0 ]; then
		hold "$(rnd 0 "$SESSION_MS")"
		kind=${companions[RANDOM % ${#companions[@]}]}
		leader=$(leader_name 2>/dev/null) || leader=""
		if [ "$kind" != blackhole ] || [ $((RANDOM % 2)) -eq 0 ]; then
			n=$(target)
		else
			n=$(free_node) || n=$(target)
		fi
		busy "$n" || inject "$kind" "$n" || true
		if [ "$kind" = kill ] && [ "$n" = "$leader" ] && [ -n "${DOWN[$n]:-}" ] &&
			[ "$PAUSE_CTL" = 1 ] && [ $((RANDOM % 2)) -eq 0 ]; then
			hold "$(rnd 0 $((2 * SESSION_MS)))"
			! switchover_start force || event_mark - FAULT switchover-force "$SW_TO"
		fi
	fi
	if [ "$PAUSE_HOW" = expired ]; then
		hold "$(rnd 100 $((PAUSE_FOR_MS + SESSION_MS)))"
	else
		hold "$(rnd 100 "$PAUSE_FOR_MS")"
	fi
}

# One round: pick one or two faults (or a pause round), hold them, heal.
round() {
	local kinds=(blackhole blackhole blackhole reset reset reset stop stop stop kill kill kill
		crash-restart crash-restart crash-restart upgrade upgrade
		term resign resign promote-fail promote-hang delete-znode delete-znode zk-member
		zk-member delete-path zk-all switchover switchover switchover pause pause pause
		priority priority priority)
	local kind n count i long=0
	# NETNS=1: the partitions, about one fault in three
	[ "$NETNS" != 1 ] || kinds+=(isolate isolate isolate isolate isolate-zk isolate-zk
		isolate-zk cut cut cut cut cut cut split split split split split)
	count=$((RANDOM % 2 + 1))
	for ((i = 0; i < count; i++)); do
		kind=${kinds[RANDOM % ${#kinds[@]}]}
		if [ $i -gt 0 ]; then	# at most one cluster-wide fault per round
			case $kind in zk-* | delete-path | pause | isolate-zk | split) kind=blackhole ;; esac
		elif [ "$kind" = pause ]; then
			pause_round
			break
		fi
		if [ $i -eq 0 ] && [ $((RANDOM % 2)) -eq 0 ]; then n=$(target); else n=$(free_node) || continue; fi
		busy "$n" && continue
		inject "$kind" "$n" || continue
		case $kind in zk-all) long=$((2 * SESSION_MS)) ;; stop) long=$((RANDOM % 2 * (SESSION_MS + 500))) ;; esac
	done
	[ "$PAUSE_ON" = 1 ] || hold $((long + $(rnd 100 1500)))
	heal
	pause_end
	await_leader
	hold "$(rnd 0 200)"
}

if [ "$NETNS" = 1 ]; then
	netns_switch
	netns_zk_start 3
	netns_host ctl 10.77.0.250/24
	CTL=(ip netns exec "$(netns_ns ctl)")
	# the harness's deletes behind the daemons' backs go through host ctl too
	zkdelete() {
		"${CTL[@]}" "$T/bin/zktool" "$ZK_HOSTS" delete "$1" 2>>"$T/zkcli.log"
	}
	zkdeleteall() {
		"${CTL[@]}" "$T/bin/zktool" "$ZK_HOSTS" deleteall "$1" 2>>"$T/zkcli.log"
	}
else
	zk_start 3
fi
if [ "$VIP_ON" = 0 ]; then fence_setup; else vip_setup; fi
event_mark - CONFIG "session_timeout_ms=$SESSION_MS"
: >"$CHAOS_LOG"
# zkelectctl's config: ZooKeeper directly, not through a node's proxy.
write_conf ctl "zookeeper.session_timeout=${SESSION_MS}ms" "hooks.follow="
if "$ZKELECTCTL" -h 2>&1 | grep -qE '^ +pause( |$)'; then
	PAUSE_CTL=1
fi
if [ "$WATCHDOG" = 1 ]; then
	: >"$WD_LOG"
	exec {WD_FD}<"$WD_LOG"
fi
for ((i = 1; i <= NODES; i++)); do
	n=n$i
	NAMES+=("$n")
	if [ "$NETNS" = 1 ]; then
		netns_daemon "$n" "10.77.0.$((10 + i))/24"
	else
		proxy_start "$n"
	fi
	if [ "$WATCHDOG" = 1 ]; then
		wd_start "$n" "$WD_MS"
	fi
	node_conf "$n"
	daemon_start "$n"
done
wait_for "a first leader" 30 test_leaders 1
if [ "$VIP_ON" = 1 ]; then
	vip_poll >"$T/vip.log" &
	VIP_POLL_PID=$!
	at_cleanup vip_poll_stop
fi
wd_note=""
[ "$WATCHDOG" != 1 ] || wd_note=", watchdog stand-ins with a $WD_MS ms timeout"
pause_note=", pauses through zkelectctl pause"
[ "$PAUSE_CTL" = 1 ] || pause_note=", pauses written with zkput (this zkelectctl has no pause)"
net_note=""
if [ "$NETNS" = 1 ]; then
	net_note=", hosts in network namespaces (partitions on)"
	[ "$VIP_ON" = 1 ] || net_note+=", no floating IP (VIP=0, or no scripts/hooks/vip/vip)"
	[ "$VIP_ON" = 0 ] || net_note+=", floating IP $VIP_ADDR (vip hook, fence by the harness)"
fi
echo "chaos: seed $SEED, $NODES nodes, session timeout $SESSION_MS ms, $DURATION s$wd_note$pause_note$net_note"
end=$(($(now_us) + DURATION * 1000000))
rounds=0
while [ "$(now_us)" -lt "$end" ]; do
	round
	rounds=$((rounds + 1))
done
vip_poll_stop
event_mark - END
{ cat "$LOG"; [ "$VIP_ON" = 0 ] || cat "$T/vip.log"; promote_tries; } >"$T/run.log"
if [ "$VIP_ON" = 1 ]; then
	echo "chaos: floating IP: $(grep -c ' VIP ' "$T/vip.log") stretches seen on a host;" \
		"fences run: $(grep -c . "$T/fence.log"); promotes refused by the duplicate probe:" \
		"$(cat "$T"/n*.log | grep -c "vip-promote: ERROR: REFUSED")"
else
	echo "chaos: fences run: $(grep -c . "$T/fence.log") (a new leader found an older one's" \
		"breadcrumb)"
fi
echo "chaos: $rounds rounds; upgrades seen done: $UPGRADES_DONE, not seen: $UPGRADES_UNSEEN," \
	"unknown (no IMAGE_STARTED_MS in the state file): $UPGRADES_UNKNOWN"
sw=""
for k in "${!SW_OUTCOMES[@]}"; do
	sw+=", $k ${SW_OUTCOMES[$k]}"
done
echo "chaos: switchovers asked: $SW_COUNT${sw:+ (${sw#, })}"
echo "chaos: pauses: resumed $PAUSES_RESUMED, expired $PAUSES_EXPIRED, not written $PAUSES_FAILED;" \
	"left in ZooKeeper after their expiry: $PAUSE_LEFTOVERS; not over in time: $PAUSES_SLOW"
prios=""
for n in "${NAMES[@]}"; do
	prios+=" $n=${PRIO[$n]:-100}${FAILBACK[$n]:+/failback=${FAILBACK[$n]}}"
done
echo "chaos: priority changes: $PRIORITY_CHANGES; at the end:$prios"
checker=("$T/run.log")
if [ "$WATCHDOG" = 1 ]; then
	echo "chaos: watchdog resets (hosts taken down and restarted): $RESETS"
	checker+=(--watchdog "$WD_LOG")
fi
[ -z "${CHAOS_JSON:-}" ] || checker+=(--json "$CHAOS_JSON")
"$PYTHON" "$ROOT/test/check_invariants.py" "${checker[@]}" || {
	keep=${CHAOS_KEEP:-/tmp}/chaos-failed-$SEED
	mkdir -p "$keep" && cp "$T"/*.log "$keep/" 2>/dev/null
	fail "the invariant checker found violations (event log and daemon logs kept in $keep)"
}
pass
