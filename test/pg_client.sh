#!/bin/bash
# shellcheck disable=SC2317 # functions called through poll, wait_for and the trap
# pg_client.sh: what a PostgreSQL client sees. Two real clusters (db1 the
# primary, db2 its pg_basebackup standby, asynchronous streaming replication),
# three zkelectd (db1 and db2 with the example hooks of scripts/hooks/postgresql
# and their health check, db3 an observer), a private ZooKeeper (session_timeout
# 4 s), all on loopback in a private directory, as test/pg_drill.sh sets them
# up. test/pgwriter.c writes one numbered row every WRITER_INTERVAL_MS (5) into
# database client through a multi-host connection string with
# target_session_attrs=read-write (both servers; libpq finds the primary) and
# logs each acknowledged commit ("ns seq") and the first error of each outage
# ("ns ERR message"). Each scenario runs ROUNDS times (default 5), against
# whichever node leads:
#   switchover     zkelectctl switchover --to OTHER --wait 60s on the leader, or,
#                  with a zkelectctl that has no switchover command (zkelectctl -h),
#                  zkelectctl resign on the leader (the output says which); the
#                  old primary rejoins as a standby of the new one
#   zkelectd-kill  SIGKILL of the leader's zkelectd and its restart at once: it
#                  resumes its ZooKeeper session; nothing else may happen
#   host-crash     SIGKILL of the leader's postmaster and of its zkelectd at the
#                  same moment; the standby is promoted once ZooKeeper expires the
#                  dead session; then the crashed node's zkelectd is started
#                  again and its server rejoins as a standby of the new primary
#                  (the example hooks: start-up demote, follow, pg_rewind if needed)
# Per round, from the writer's log: the write downtime (the longest gap between
# consecutive acknowledged rows, from the last one before the fault to the row
# the writer was seen to write on the leader after it), and the acknowledged rows
# lost (rows the writer logged as acknowledged since the previous round that the
# leader's table does not hold, checked with psql on the leader once the writer
# has written there). Before each fault the writer runs CLIENT_QUIET seconds (2)
# undisturbed: the longest gap of that stretch is the quiet gap, what a writer
# sees when nothing happens. Per scenario it prints the median and worst of both.
#
#   ROUNDS=5 ZKELECTD=build/zkelectd ZKELECTCTL=build/zkelectctl bash test/pg_client.sh
#
# Run as root (the servers run as postgres) or as the owner of the clusters.
# CLIENT_CHECKPOINT=1 runs a CHECKPOINT on the primary before each host crash, as
# one promoted minutes (not seconds) ago would have had (see round()); the default,
# 0, leaves it out: the promote hook checkpoints right after each promotion.
# KEEP=1 keeps the directory; ONLY="host-crash" runs only the named scenarios;
# CLIENT_SAMPLES=DIR also appends each downtime (ns) to
# DIR/pg_client_SCENARIO_downtime, each count of lost rows to
# DIR/pg_client_SCENARIO_lost, the writer's outages (ERR lines) to
# DIR/pg_client_SCENARIO_errors (SCENARIO with _ for -) and each quiet gap (ns) to
# DIR/pg_client_quiet_gap (make bench's pgclient scenario reads them).
PG_FUNCTIONS_ONLY=1
# shellcheck source=test/integration/t_postgresql.sh
. "$(dirname "$0")/integration/t_postgresql.sh"

ROUNDS=${ROUNDS:-5}
ONLY=${ONLY:-switchover zkelectd-kill host-crash}
INTERVAL=${WRITER_INTERVAL_MS:-5}
QUIET=${CLIENT_QUIET:-2}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || fail "ROUNDS must be a positive number, not '$ROUNDS'"
[[ $INTERVAL =~ ^[1-9][0-9]*$ ]] || fail "WRITER_INTERVAL_MS must be a positive number"
[[ $QUIET =~ ^[1-9][0-9]*$ ]] || fail "CLIENT_QUIET must be a positive number of seconds"
for s in $ONLY; do
	case $s in switchover | zkelectd-kill | host-crash) ;; *) fail "unknown scenario '$s'" ;; esac
done
PGWRITER=$(dirname "$ZKELECTD")/pgwriter
[ -x "$PGWRITER" ] || fail "no $PGWRITER: build the test tools first (make all unit)"
WLOG=$T/writer.log
WRITER_PID=""
LO=0	# every row acknowledged up to this seq was checked on the leader
HI=0
declare -A RUN=() DOWN=() LOST=() OUTAGES=()
QUIET_GAPS=""

# other NODE: the other database node.
other() {
	if [ "$1" = db1 ]; then echo db2; else echo db1; fi
}

# Nanoseconds since the epoch (µs resolution), without a fork.
now_ns() {
	echo "$(now_us)000"
}

# log_re NODE ERE: how many lines of NODE's daemon log match ERE.
log_re() {
	grep -cE -e "$2" "$T/$1.log" 2>/dev/null || true
}

# re_grew NODE ERE COUNT: NODE's log has more than COUNT lines matching ERE.
re_grew() {
	[ "$(log_re "$1" "$2")" -gt "$3" ]
}

# observer_sees NAME: the observer db3's state names NAME as the leader.
observer_sees() {
	[ "$(state_of db3 LEADER_ID)" = "$1" ]
}

# sql_client NODE SQL: SQL in database client on NODE (its socket, as postgres).
sql_client() {
	as_pg "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG/$1" -p "${PORT[$1]}" -U postgres \
		-d client -c "$2" 2>>"$PG/psql.err"
}

# last_seq: the seq of the writer's last acknowledged row (status 1: none yet).
last_seq() {
	tail -n 100 "$WLOG" 2>/dev/null | awk '/^[0-9]+ [0-9]+$/ { s = $2 } END { if (s == "") exit 1; print s }'
}

# acked_after NS: the writer acknowledged a row at NS or later.
acked_after() {
	tail -n 100 "$WLOG" 2>/dev/null | awk -v t="$1" '/^[0-9]+ [0-9]+$/ && $1 >= t { f = 1 } END { exit !f }'
}

# written_on NODE SEQ: the writer acknowledged a row above SEQ and NODE's table holds
# it: the writer writes on NODE. HI = that row's seq.
written_on() {
	local seq
	seq=$(last_seq) || return 1
	[ "$seq" -gt "$2" ] || return 1
	[ "$(sql_client "$1" "SELECT count(*) FROM pgwriter WHERE seq = $seq" 2>/dev/null)" = 1 ] || return 1
	HI=$seq
}

# gaps FROM_NS TO_SEQ: "MAXGAP_NS OUTAGES START_MS" over the writer's log: the
# longest time between consecutive acknowledged rows from the last one before
# FROM_NS up to the row TO_SEQ, how many ERR lines (outages) came after FROM_NS,
# and when that longest gap began (ms after FROM_NS; negative: before it).
gaps() {
	awk -v t="$1" -v last="$2" '
		$2 == "ERR" { if ($1 >= t) errs++; next }
		!/^[0-9]+ [0-9]+$/ { next }
		$1 < t { prev = $1; next }
		{ if (prev != "" && $1 - prev > max) { max = $1 - prev; at = prev - t }; prev = $1 }
		$2 == last { done = 1; exit }
		END { if (!done) exit 1; printf "%.0f %d %.0f\n", max, errs, at / 1e6 }' "$WLOG"
}

# quiet_gap FROM_NS TO_NS: the longest gap between consecutive rows acknowledged
# within [FROM_NS, TO_NS].
quiet_gap() {
	awk -v f="$1" -v t="$2" '
		!/^[0-9]+ [0-9]+$/ || $1 < f { next }
		$1 > t { exit }
		{ if (prev != "" && $1 - prev > max) max = $1 - prev; prev = $1 }
		END { printf "%.0f\n", max }' "$WLOG"
}

# lost_rows NODE LO HI: the seqs the writer logged as acknowledged in (LO, HI] that
# NODE's table does not hold, one a line.
lost_rows() {
	awk -v lo="$2" -v hi="$3" '/^[0-9]+ [0-9]+$/ && $2 > lo && $2 <= hi { print $2 }' "$WLOG" |
		sort >"$T/acked.txt"
	sql_client "$1" "SELECT seq FROM pgwriter WHERE seq > $2 AND seq <= $3" >"$T/present.unsorted" ||
		fail "cannot read the rows on $1"
	sort "$T/present.unsorted" >"$T/present.txt"
	comm -23 "$T/acked.txt" "$T/present.txt"
}

# pids_gone PID...: none of these processes exists any more.
pids_gone() {
	local p
	for p in "$@"; do
		[ -e "/proc/$p" ] && return 1
	done
	return 0
}

# median and max of the numbers on stdin, as "MEDIAN MAX" (integers).
median_max() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- -"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.0f %.0f\n", m, v[NR] }'
}

# Stop the writer (SIGTERM: it finishes the statement in flight) before lib.sh's cleanup.
client_cleanup() {
	local rc=$?
	[ "$BASHPID" = "$LIB_PID" ] || return "$rc"
	if [ -n "$WRITER_PID" ]; then
		kill -s TERM "$WRITER_PID" 2>/dev/null || true
		reap "$WRITER_PID" 10
		WRITER_PID=""
	fi
	return "$rc"
}
trap 'client_cleanup; pg_cleanup; cleanup' EXIT

# The per-scenario table.
report() {
	local s d l
	printf '\n%-13s %6s %20s %17s %8s\n' scenario rounds "downtime med/worst" "lost med/worst" outages
	for s in $ONLY; do
		d=$(printf '%s' "${DOWN[$s]:-}" | tr ' ' '\n' | grep . | median_max)
		l=$(printf '%s' "${LOST[$s]:-}" | tr ' ' '\n' | grep . | median_max)
		printf '%-13s %6s %17s ms %12s rows %8s\n' "$s" "${RUN[$s]:-0}" "${d% *} / ${d#* }" \
			"${l% *} / ${l#* }" "${OUTAGES[$s]:-0}"
	done
	d=$(printf '%s' "$QUIET_GAPS" | tr ' ' '\n' | grep . | median_max)
	printf 'quiet gap (the writer undisturbed, %s s before each fault): %s / %s ms (median / worst)\n' \
		"$QUIET" "${d% *}" "${d#* }"
	if [[ " $ONLY " == *" host-crash "* ]]; then
		l=$(printf '%s' "${LOST[host-crash]:-}" | tr ' ' '\n' | grep . | awk '{ s += $1 } END { print s + 0 }')
		echo "host-crash: replication is asynchronous: a commit is acknowledged once the primary"
		echo "  has it, before the standby does; what the standby had not received when the primary"
		echo "  died is lost. Lost here: $l acknowledged rows in ${RUN[host-crash]:-0} rounds" \
			"(per round:${LOST[host-crash]:-})."
	fi
	echo "switchover used: $SWITCH_HOW"
}

# switch OLD NEW: the planned switchover, with the command this zkelectctl has.
switch() {
	if [ "$SWITCH" = switchover ]; then
		zkctl "$1" switchover --to "$2" --wait 60s >/dev/null ||
			fail "zkelectctl switchover --to $2 on $1 failed (zkelectctl.log)"
	else
		zkctl "$1" resign >/dev/null || fail "zkelectctl resign on $1 failed"
	fi
}

# took_over OLD NEW WHAT: NEW leads after OLD, its promote ended well, the observer knows.
took_over() {
	wait_for "$2 to lead ($3)" 30 role_is "$2" leader
	wait_for "$2's promote ($3)" 30 hook_ok "$2" promote
	wait_for "the observer to see $2 lead ($3)" 10 observer_sees "$2"
}

# round SCENARIO N: one fault against the current leader, measured from the writer's log.
round() {
	local s=$1 n=$2 lo=$LO old new moved what t_ready t_fault qg gap errs gap_at lost pm dpid seq0
	local promotes exits others
	local -a kids=()
	what="$s round $n"
	old=$(leader_name_other_than db3) || fail "no leader before $what"
	new=$(other "$old")
	wait_for "$new to stream from $old before $what" 60 streaming_from "$new" "$old"
	# PostgreSQL 15's pg_rewind takes the crashed node's timeline from its control
	# file's latest checkpoint. A primary promoted seconds ago has not finished its
	# first checkpoint (it is spread over minutes): if it crashes with WAL the
	# standby never received, pg_rewind looks on an old timeline and fails ("could
	# not find previous WAL record"), and the node cannot rejoin. The promote hook
	# runs a CHECKPOINT right after promoting; CLIENT_CHECKPOINT=1 adds one here.
	if [ "$s" = host-crash ] && [ "${CLIENT_CHECKPOINT:-0}" = 1 ]; then
		psql_on "$old" CHECKPOINT >/dev/null || fail "CHECKPOINT on $old failed ($what)"
	fi
	t_ready=$(now_ns)
	wait_for "${QUIET}s of the writer's rows before $what" $((QUIET + 30)) \
		acked_after $((t_ready + QUIET * 1000000000))
	RUN[$s]=$((${RUN[$s]:-0} + 1))
	# what the checks afterwards compare with, read before the fault
	promotes=$(log_re "$old" 'role: running promote \(reason resumed')
	exits=$(log_re "$old" 'hook promote\[[0-9]+\] exit 0 after')
	others=$(log_re "$new" 'role: running promote')
	pm=$(postmaster_pid "$old")
	[ -n "$pm" ] || fail "no postmaster.pid on $old ($what)"
	mapfile -t kids < <(ps -o pid= --ppid "$pm" | tr -d ' ')
	dpid=$(daemon_pid "$old")
	t_fault=${EPOCHREALTIME/./}000	# the fault's time, taken without a fork
	case $s in
	switchover)
		switch "$old" "$new"
		took_over "$old" "$new" "$what"
		;;
	zkelectd-kill)
		daemon_stop "$old" KILL
		daemon_start "$old"
		wait_for "$old to resume its session and promote (reason resumed) ($what)" 20 \
			re_grew "$old" 'role: running promote \(reason resumed' "$promotes"
		wait_for "$old's resumed promote to end ($what)" 30 \
			re_grew "$old" 'hook promote\[[0-9]+\] exit 0 after' "$exits"
		role_is "$old" leader || fail "$old does not lead after its restart ($what)"
		[ "$(log_re "$new" 'role: running promote')" = "$others" ] ||
			fail "$new was promoted: $old's restart did not resume its session ($what)"
		new=$old
		;;
	host-crash)
		kill -s KILL "$pm" "$dpid"
		daemon_stop "$old" KILL	# reap it
		took_over "$old" "$new" "$what"
		;;
	esac
	# the writer writes on the leader: a row acknowledged after the promote, found there
	seq0=$(last_seq) || seq0=0
	wait_for "the writer to write on $new ($what)" 60 written_on "$new" "$seq0"
	read -r gap errs gap_at < <(gaps "$t_fault" "$HI") || fail "row $HI is not in the writer's log ($what)"
	qg=$(quiet_gap "$t_ready" "$t_fault")
	lost=$(lost_rows "$new" "$lo" "$HI" | wc -l)
	LO=$HI
	DOWN[$s]="${DOWN[$s]:-} $((gap / 1000000))"
	LOST[$s]="${LOST[$s]:-} $lost"
	OUTAGES[$s]=$((${OUTAGES[$s]:-0} + errs))
	QUIET_GAPS="$QUIET_GAPS $((qg / 1000000))"
	if [ -n "${CLIENT_SAMPLES:-}" ]; then
		echo "$gap" >>"$CLIENT_SAMPLES/pg_client_${s//-/_}_downtime"
		echo "$lost" >>"$CLIENT_SAMPLES/pg_client_${s//-/_}_lost"
		echo "$errs" >>"$CLIENT_SAMPLES/pg_client_${s//-/_}_errors"
		echo "$qg" >>"$CLIENT_SAMPLES/pg_client_quiet_gap"
	fi
	moved="$old -> $new"
	[ "$s" = zkelectd-kill ] && moved="$old resumed its session"
	printf '%s %2d: %s, downtime %d ms (from %+d ms), %d acknowledged rows lost (rows %d-%d checked), %d outage(s), quiet gap %d ms\n' \
		"$s" "$n" "$moved" $((gap / 1000000)) "$gap_at" "$lost" $((lo + 1)) "$HI" "$errs" $((qg / 1000000))
	# the old primary rejoins as a standby of the new one before the next round
	case $s in
	host-crash)
		wait_for "the crashed server's processes to exit ($what)" 30 pids_gone "$pm" "${kids[@]}"
		daemon_start "$old"
		;;
	zkelectd-kill) return 0 ;;
	esac
	if ! poll 90 streaming_from "$old" "$new"; then
		report
		fail "$what: $old did not rejoin $new's stream within 90s (see its log's follow hook)"
	fi
	wait_for "$old's follow to succeed ($what)" 30 hook_ok "$old" follow
}

if "$ZKELECTCTL" -h 2>&1 | grep -qE '^[[:space:]]+switchover([[:space:]]|$)'; then
	SWITCH=switchover
	SWITCH_HOW="zkelectctl switchover --to OTHER --wait 60s on the leader"
else
	SWITCH=resign
	SWITCH_HOW="zkelectctl resign on the leader (this zkelectctl has no switchover command in zkelectctl -h)"
fi

t0=$SECONDS
zk_start
pg_setup_pair db1 db2
for n in db1 db2; do
	pg_conf "$n" "daemon.log_level=info"
done
write_conf db3 "election.mode=observer" "daemon.log_level=info"
daemon_start db1
wait_for "db1 to lead" 20 role_is db1 leader
wait_for "db1's promote" 30 hook_ok db1 promote
# the client's own role and database; its password in a passfile only it reads
WRITER_PASSWORD=writer-$RANDOM$RANDOM
psql_on db1 "CREATE ROLE writer LOGIN PASSWORD '$WRITER_PASSWORD'" >/dev/null || fail "cannot create the role writer"
psql_on db1 "CREATE DATABASE client OWNER writer" >/dev/null || fail "cannot create the database client"
echo "127.0.0.1:*:client:writer:$WRITER_PASSWORD" >"$T/writer.pgpass"
chmod 600 "$T/writer.pgpass"
daemon_start db2
wait_for "db2's follow" 30 hook_ok db2 follow
wait_for "db2 to stream from db1" 20 streaming_from db2 db1
daemon_start db3
wait_for "db3 to observe" 20 role_is db3 observer
CONNINFO="host=127.0.0.1,127.0.0.1 port=${PORT[db1]},${PORT[db2]} dbname=client user=writer"
CONNINFO+=" passfile=$T/writer.pgpass target_session_attrs=read-write connect_timeout=1"
CONNINFO+=" application_name=pgwriter"
"$PGWRITER" -i "$INTERVAL" "$CONNINFO" "$WLOG" 2>>"$T/writer.err" &
WRITER_PID=$!
wait_for "the writer's first row" 20 acked_after 0
echo "setup: ${SECONDS}s; $ROUNDS rounds of: $ONLY; a row every $INTERVAL ms"
echo "switchover: $SWITCH_HOW"

for s in $ONLY; do
	for ((r = 1; r <= ROUNDS; r++)); do
		round "$s" "$r"
	done
done
kill -s TERM "$WRITER_PID"
reap "$WRITER_PID" 10
WRITER_PID=""
[ "$REAPED" = 0 ] || fail "the writer exited $REAPED after SIGTERM (writer.err: $(tail -n 3 "$T/writer.err"))"
report
echo "total: $((SECONDS - t0))s"
pass
