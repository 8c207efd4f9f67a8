#!/bin/bash
# shellcheck disable=SC2317 # functions called through poll, wait_for and the trap
# pg_drill.sh: the PostgreSQL failover drill, long. Two real clusters (db1 the
# primary, db2 its pg_basebackup standby), three zkelectd (db1 and db2 with the
# example hooks of scripts/hooks/postgresql and their health check, db3 an
# observer), a private ZooKeeper, all on loopback in a private directory.
# Each of three scenarios runs ROUNDS times (default 10), against whichever
# node leads:
#   handover  SIGTERM to the leader's zkelectd, then start it again
#   resign    zkelectctl resign on the leader
#   crash     the leader's postmaster killed (kill -9, odd rounds) or stopped
#             with pg_ctl stop -m immediate (even rounds); the health check
#             fails and the leader steps down
# Every round must end with the old primary streaming from the new leader and
# showing a row written there after the switch. Per scenario it prints rounds,
# rejoined, the rejoin time (from the end of the old leader's demote hook, as
# its zkelectd logs it, to its server streaming from the new leader: median
# and max) and in how many rounds pg_rewind ran.
#
#   ROUNDS=10 ZKELECTD=build/zkelectd ZKELECTCTL=build/zkelectctl bash test/pg_drill.sh
#
# Run as root (the servers run as postgres) or as the owner of the clusters.
# KEEP=1 keeps the directory; ONLY="crash" runs only the named scenarios;
# DRILL_SAMPLES=DIR also appends each rejoin time (ns) to DIR/pg_rejoin_SCENARIO
# (make bench's postgresql scenario reads them).
PG_FUNCTIONS_ONLY=1
# shellcheck source=test/integration/t_postgresql.sh
. "$(dirname "$0")/integration/t_postgresql.sh"

ROUNDS=${ROUNDS:-10}
ONLY=${ONLY:-handover resign crash}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || fail "ROUNDS must be a positive number, not '$ROUNDS'"
ROWS=0
declare -A RUN=() REJOINED=() REWOUND=() TIMES=()

# other NODE: the other database node.
other() {
	if [ "$1" = db1 ]; then echo db2; else echo db1; fi
}

# demote_exits NODE: how many demote hook runs NODE's zkelectd logged as ended.
demote_exits() {
	grep -cE 'hook demote\[[0-9]+\] exit ' "$T/$1.log" 2>/dev/null || true
}

# demotes_grew NODE COUNT: NODE's zkelectd logged more than COUNT demote ends.
demotes_grew() {
	[ "$(demote_exits "$1")" -gt "$2" ]
}

# observer_sees NAME: the observer db3's state names NAME as the leader.
observer_sees() {
	[ "$(state_of db3 LEADER_ID)" = "$1" ]
}

# demote_end_us NODE: the time (µs since the epoch) of the last "hook demote[..] exit"
# line in NODE's log: the end of its demote hook, by zkelectd's own clock.
demote_end_us() {
	local ts
	ts=$(grep -E 'hook demote\[[0-9]+\] exit ' "$T/$1.log" | tail -n 1 | cut -d' ' -f1)
	[ -n "$ts" ] || return 1
	date -u -d "$ts" +%s%6N
}

# median and max of the numbers on stdin (ms), as "MEDIAN MAX".
median_max() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- -"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%d %d\n", m, v[NR] }'
}

# The per-scenario table.
report() {
	local s mm
	printf '\n%-9s %6s %8s %12s %9s %8s\n' scenario rounds rejoined "median(ms)" "max(ms)" rewinds
	for s in $ONLY; do
		mm=$(printf '%s' "${TIMES[$s]:-}" | tr ' ' '\n' | grep . | median_max)
		printf '%-9s %6s %8s %12s %9s %8s\n' "$s" "${RUN[$s]:-0}" "${REJOINED[$s]:-0}" \
			"${mm% *}" "${mm#* }" "${REWOUND[$s]:-0}"
	done
}

# round SCENARIO N: one switch away from the current leader and its rejoin.
round() {
	local s=$1 n=$2 old new rewinds t_end t_stream demotes
	old=$(leader_name_other_than db3) || fail "no leader before $s round $n"
	new=$(other "$old")
	rewinds=$(log_count "$old" 'pg-follow: running pg_rewind')
	demotes=$(demote_exits "$old")
	RUN[$s]=$((${RUN[$s]:-0} + 1))
	case $s in
	handover)
		daemon_stop "$old" TERM
		[ "$LAST_EXIT" = 0 ] || fail "$old's zkelectd exited $LAST_EXIT"
		;;
	resign)
		zkctl "$old" resign >/dev/null || fail "zkelectctl resign on $old failed"
		;;
	crash)
		if [ $((n % 2)) = 1 ]; then
			kill -s KILL "$(postmaster_pid "$old")"
		else
			as_pg "$PGBIN/pg_ctl" -D "$PG/$old/data" -m immediate -w stop >/dev/null 2>&1 ||
				fail "pg_ctl stop -m immediate on $old failed"
		fi
		;;
	esac
	wait_for "$old's demote ($s round $n)" 30 demotes_grew "$old" "$demotes"
	t_end=$(demote_end_us "$old") || fail "no demote end in $old's log"
	wait_for "$new to lead ($s round $n)" 30 role_is "$new" leader
	wait_for "$new's promote ($s round $n)" 30 hook_ok "$new" promote
	wait_for "the observer to see $new lead" 10 observer_sees "$new"
	[ "$s" = handover ] && daemon_start "$old"
	ROWS=$((ROWS + 1))
	psql_on "$new" "INSERT INTO drill VALUES ($ROWS)" || fail "$new does not accept writes ($s round $n)"
	if ! poll 90 streaming_from "$old" "$new"; then
		report
		fail "$s round $n: $old did not rejoin $new's stream within 90s"
	fi
	t_stream=$(now_us)
	wait_for "$new's row $ROWS on $old" 30 sql_is "$old" 'SELECT count(*) FROM drill' "$ROWS"
	wait_for "$old's follow to succeed" 30 hook_ok "$old" follow
	REJOINED[$s]=$((${REJOINED[$s]:-0} + 1))
	TIMES[$s]="${TIMES[$s]:-} $(((t_stream - t_end) / 1000))"
	if [ -n "${DRILL_SAMPLES:-}" ]; then
		echo "$(((t_stream - t_end) * 1000))" >>"$DRILL_SAMPLES/pg_rejoin_$s"
	fi
	if log_grew "$old" 'pg-follow: running pg_rewind' "$rewinds"; then
		REWOUND[$s]=$((${REWOUND[$s]:-0} + 1))
	fi
	printf '%s %2d: %s -> %s, rejoined in %d ms%s\n' "$s" "$n" "$old" "$new" \
		$(((t_stream - t_end) / 1000)) "$(log_grew "$old" 'pg-follow: running pg_rewind' "$rewinds" && echo ', pg_rewind')"
}

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
psql_on db1 'CREATE TABLE drill (x int)' || fail "db1 does not accept writes"
daemon_start db2
wait_for "db2's follow" 30 hook_ok db2 follow
wait_for "db2 to stream from db1" 20 streaming_from db2 db1
daemon_start db3
wait_for "db3 to observe" 20 role_is db3 observer
echo "setup: ${SECONDS}s; $ROUNDS rounds of: $ONLY"

for s in $ONLY; do
	case $s in handover | resign | crash) ;; *) fail "unknown scenario '$s'" ;; esac
	for ((r = 1; r <= ROUNDS; r++)); do
		round "$s" "$r"
	done
done
report
if grep -h 'role "root"' "$PG"/*/data.log; then
	fail "a health check connected as root"
fi
echo "total: $((SECONDS - t0))s"
pass
