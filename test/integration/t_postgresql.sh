#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for and the trap
# run.sh: plain build only
# run.sh: long
# (the daemon's part runs under ASan+UBSan in every other test; this one spends
# its half minute in PostgreSQL and the hooks, which a sanitizer build does not
# check)
# The PostgreSQL example hooks (scripts/hooks/postgresql/) with a real PostgreSQL,
# following the walk-through of their README.md step by step: two clusters on
# loopback, a primary (a) with a replication role (scram, pg_hba lines, grants
# for pg_rewind) and its standby (b, from pg_basebackup -R as that role), env
# files with PGUSER, then zkelectd beside a (wait until it leads), then beside b.
#   - promote run by hand on the running primary: no restart, epoch recorded, exit 0
#   - zkelectd's first start beside the running primary: elected at once, no
#     start-up demote, the primary not restarted
#   - b follows a: streaming, a's row on b
#   - planned handover (SIGTERM of a's daemon): b leads; a's daemon again: a
#     rejoins as a streaming standby of b without pg_rewind
#   - stale epochs refused by hand-run hooks (exit 1, with the reason)
#   - resign of b: a leads, b rejoins without pg_rewind
#   - crash of the primary a (pg_ctl stop -m immediate) after a row b never
#     received: a's health check fails, a steps down, b leads; a has diverged:
#     with PG_REWIND=no its follow fails loudly (exit 1, server still a standby);
#     with PG_REWIND=yes zkelectd's next try of the follow rewinds (after a
#     checkpoint on b's timeline) and a rejoins; a's unreplicated row is gone
#   - the follow hook run again on a streaming standby: no change, exit 0
#   - the health check as PGUSER: no 'role "root" does not exist' in the logs
# pg_drill.sh sources this file with PG_FUNCTIONS_ONLY=1 for its functions.
# shellcheck source=test/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

HOOKS=$ROOT/scripts/hooks/postgresql
PG=$T/pg
PGBIN=$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1)
PGBIN=${PGBIN%/initdb}
{ [ -n "$PGBIN" ] && [ -x "$PGBIN/pg_ctl" ] && [ -x "$PGBIN/pg_rewind" ]; } ||
	fail "PostgreSQL server programs not found (/usr/lib/postgresql/*/bin): run scripts/install-deps.sh as root"
if [ "$(id -u)" = 0 ]; then
	PG_USER=postgres
	id "$PG_USER" >/dev/null 2>&1 || fail "no system user postgres: run scripts/install-deps.sh as root"
	PG_AUTH_LOCAL=peer
else
	PG_USER=$(id -un)
	PG_AUTH_LOCAL=trust	# peer would map our user name to a role of that name
fi
REPL_PASSWORD=repl-$RANDOM$RANDOM
declare -A PORT=()

# Run a command as the database's system user.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

# psql NODE SQL: run SQL on NODE's server (its socket, as postgres), print the bare result.
psql_on() {
	as_pg "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG/$1" -p "${PORT[$1]}" -U postgres \
		-d postgres -c "$2" 2>>"$PG/psql.err"
}

# sql_is NODE SQL VALUE: SQL on NODE prints VALUE.
sql_is() {
	[ "$(psql_on "$1" "$2" 2>/dev/null)" = "$3" ]
}

# streaming_from NODE LEADER: NODE's WAL receiver streams from LEADER's port.
streaming_from() {
	sql_is "$1" "SELECT status || ' ' || sender_port FROM pg_stat_wal_receiver" "streaming ${PORT[$2]}"
}

# hook_ok NAME HOOK: NAME's last hook run was HOOK and it exited 0; fail at once if it failed.
hook_ok() {
	local status
	[ "$(state_of "$1" LAST_HOOK)" = "$2" ] || return 1
	status=$(state_of "$1" LAST_HOOK_STATUS)
	case $status in
	"exit 0") return 0 ;;
	"" | running) return 1 ;;
	*) fail "$1's $2 hook failed: $status (see $1.log)" ;;
	esac
}

# log_count NODE TEXT: how many lines of NODE's daemon log hold TEXT.
log_count() {
	grep -c -F -e "$2" "$T/$1.log" 2>/dev/null || true
}

# log_grew NODE TEXT COUNT: NODE's log holds TEXT on more than COUNT lines.
log_grew() {
	[ "$(log_count "$1" "$2")" -gt "$3" ]
}

# postmaster_pid NODE: the PID in NODE's postmaster.pid.
postmaster_pid() {
	head -n 1 "$PG/$1/data/postmaster.pid" 2>/dev/null
}

# node_conf NODE: its port and socket directory, outside the data directory (which
# pg_basebackup and pg_rewind copy from the other node); postgresql.conf includes it.
node_conf() {
	printf "port = %s\nunix_socket_directories = '%s'\n" "${PORT[$1]}" "$PG/$1" >"$PG/$1/node.conf"
}

# env_file NODE [REWIND]: the hooks' settings for NODE (README: "The env file"),
# root's and not writable by others. REWIND is PG_REWIND (default yes).
env_file() {
	cat >"$PG/$1.env" <<EOF
PGDATA='$PG/$1/data'
PGHOST='$PG/$1'
PGPORT=${PORT[$1]}
PGUSER=postgres
PG_USER=$PG_USER
PG_REWIND=${2:-yes}
PG_TIMEOUT=20
PG_LOGFILE='$PG/$1/data.log'
PG_CONNINFO_EXTRA="user=replicator passfile=$PG/pgpass application_name=\$ZKELECT_ID"
EOF
	chmod 644 "$PG/$1.env"
}

# pg_start NODE: start NODE's server with pg_ctl (log next to the data directory).
pg_start() {
	as_pg "$PGBIN/pg_ctl" -D "$PG/$1/data" -l "$PG/$1/data.log" -w -t 20 start >>"$PG/setup.log" 2>&1 ||
		fail "could not start PostgreSQL $1: $(tail -n 5 "$PG/$1/data.log")"
}

# pg_setup_pair [P S]: set up P (default a: initdb, primary) and S (default b:
# pg_basebackup -R, standby), both running, as README.md's walk-through does.
pg_setup_pair() {
	local n a=${1:-a} b=${2:-b}
	read -r "PORT[$a]" "PORT[$b]" < <("$ROOT/scripts/zk-local.sh" ports 2)
	chmod 755 "$T"
	mkdir -p "$PG/$a" "$PG/$b"
	chown "$PG_USER" "$PG" "$PG/$a" "$PG/$b"
	for n in "$a" "$b"; do
		node_conf "$n"
		env_file "$n"
	done
	# Step 1: the primary, with wal_log_hints for pg_rewind.
	(cd / && as_pg "$PGBIN/initdb" -D "$PG/$a/data" --auth-local="$PG_AUTH_LOCAL" --auth-host=scram-sha-256 \
		-U postgres -E UTF8 --locale=C --no-sync --no-instructions) >>"$PG/setup.log" 2>&1 ||
		fail "initdb failed: $(tail -n 5 "$PG/setup.log")"
	cat >>"$PG/$a/data/postgresql.conf" <<EOF
include_if_exists = '../node.conf'
listen_addresses = '127.0.0.1'
fsync = off
wal_log_hints = on
wal_keep_size = 64MB
shared_buffers = 16MB
max_connections = 20
max_wal_senders = 8
autovacuum = off
EOF
	# Step 1: the replication role may replicate and run pg_rewind, from any node.
	{
		echo "host replication replicator 127.0.0.1/32 scram-sha-256"
		echo "host postgres replicator 127.0.0.1/32 scram-sha-256"
		cat "$PG/$a/data/pg_hba.conf"
	} >"$PG/$a/hba.tmp"
	as_pg cp "$PG/$a/hba.tmp" "$PG/$a/data/pg_hba.conf"
	pg_start "$a"
	psql_on "$a" "CREATE ROLE replicator LOGIN REPLICATION PASSWORD '$REPL_PASSWORD';
		GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean) TO replicator;
		GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_file(text, boolean) TO replicator;
		GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text) TO replicator;
		GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) TO replicator;
		GRANT pg_checkpoint TO replicator" >/dev/null || fail "setup: cannot create the replication role"
	# Step 2: the password file, the standby by pg_basebackup -R as that role.
	echo "*:*:*:replicator:$REPL_PASSWORD" >"$PG/pgpass"
	chown "$PG_USER" "$PG/pgpass"
	chmod 600 "$PG/pgpass"
	(cd / && as_pg "$PGBIN/pg_basebackup" -d "host=127.0.0.1 port=${PORT[$a]} user=replicator passfile=$PG/pgpass" \
		-D "$PG/$b/data" -R -X stream -c fast --no-sync) >>"$PG/setup.log" 2>&1 ||
		fail "pg_basebackup failed: $(tail -n 5 "$PG/setup.log")"
	pg_start "$b"
	sql_is "$a" 'SELECT pg_is_in_recovery()' f || fail "setup: $a is not a primary"
	sql_is "$b" 'SELECT pg_is_in_recovery()' t || fail "setup: $b is not a standby"
}

# pg_conf NODE [ARG...]: NODE's zkelectd.conf with the hooks and the health check (step 4).
pg_conf() {
	local n=$1
	shift
	write_conf "$n" "zookeeper.session_timeout=4s" "election.data=host=127.0.0.1 port=${PORT[$n]}" \
		"hooks.promote=$HOOKS/promote $PG/$n.env" "hooks.demote=$HOOKS/demote $PG/$n.env" \
		"hooks.follow=$HOOKS/follow $PG/$n.env" "hooks.timeout=40s" \
		"health.command=$HOOKS/health $PG/$n.env" "health.interval=300ms" "health.fall=3" \
		"health.rise=1" "$@"
}

# The running daemons, the leader last (so no follower gets promoted while we stop).
pg_leader_last() {
	local n
	for n in "${!DAEMON_PIDS[@]}"; do
		daemon_running "$n" && ! role_is "$n" leader && echo "$n"
	done
	for n in "${!DAEMON_PIDS[@]}"; do
		daemon_running "$n" && role_is "$n" leader && echo "$n"
	done
	return 0
}

# Before lib.sh's cleanup: stop the daemons (a leader demotes), then every server.
pg_cleanup() {
	local rc=$? n d pid
	[ "$BASHPID" = "$LIB_PID" ] || return "$rc"
	for n in $(pg_leader_last); do
		daemon_stop "$n" TERM
	done
	for d in "$PG"/*/data; do
		[ -e "$d/postmaster.pid" ] || continue
		pid=$(head -n 1 "$d/postmaster.pid")
		as_pg "$PGBIN/pg_ctl" -D "$d" -m immediate -w -t 10 stop >/dev/null 2>&1 ||
			kill -s KILL "$pid" 2>/dev/null || true
	done
	if [ "$rc" -ne 0 ] && [ -d "$PG" ]; then
		for d in "$PG"/*/data.log "$PG/setup.log" "$PG/psql.err"; do
			[ -s "$d" ] && { echo "----- tail of ${d#"$T"/}"; tail -n 20 "$d"; } >&2
		done
	fi
	return "$rc"
}
trap 'pg_cleanup; cleanup' EXIT

# run_hook NODE HOOK EPOCH LEADER: run NODE's HOOK by hand, as zkelectd would
# (clean environment); its output goes to $T/manual.out, its exit status is returned.
run_hook() {
	env -i PATH="$PATH" ZKELECT_EVENT="$2" ZKELECT_ID="$1" ZKELECT_EPOCH="$3" \
		ZKELECT_LEADER_ID="$4" ZKELECT_LEADER_DATA="host=127.0.0.1 port=${PORT[$4]:-1}" \
		"$HOOKS/$2" "$PG/$1.env" "$2" >"$T/manual.out" 2>&1
}

# rejoined OLD NEW TABLE COUNT: OLD streams from NEW, is read-only, and shows
# NEW's rows (TABLE has COUNT rows).
rejoined() {
	streaming_from "$1" "$2" && sql_is "$1" 'SELECT pg_is_in_recovery()' t &&
		sql_is "$1" "SELECT count(*) FROM $3" "$4"
}

[ "${PG_FUNCTIONS_ONLY:-0}" = 1 ] && return 0

t0=$SECONDS
zk_start
pg_setup_pair a b
for n in a b; do
	pg_conf "$n"
done
echo "setup: ${SECONDS}s"

# The promote hook beside a running primary (what zkelectd does when its first
# listing makes it the leader): no restart, the epoch recorded, exit 0.
pid=$(postmaster_pid a)
run_hook a promote 1 a || fail "promote on the running primary a failed: $(cat "$T/manual.out")"
grep -q 'already a primary (epoch 1): nothing to do' "$T/manual.out" || fail "promote on a: $(cat "$T/manual.out")"
[ "$(postmaster_pid a)" = "$pid" ] || fail "promote restarted the running primary a"
[ "$(cat "$PG/a/data.zkelectd-epoch")" = 1 ] || fail "promote did not record epoch 1"

# Step 5: zkelectd beside the primary first, wait until it leads; then beside b.
daemon_start a
wait_for "a to lead" 20 role_is a leader
wait_for "a's promote to succeed" 30 hook_ok a promote
sql_is a 'SELECT pg_is_in_recovery()' f || fail "a leads but its server is in recovery"
# the first start beside the only primary did not restart it (demote_on_start =
# unless-leader: elected at once, so no start-up demote; docs/startup.md)
[ "$(postmaster_pid a)" = "$pid" ] || fail "zkelectd's first start restarted the primary a"
grep -q "elected at once: no start-up demote" "$T/a.log" || fail "a ran a start-up demote"
epoch_a=$(state_of a EPOCH)
daemon_start b
wait_for "b to follow" 20 role_is b follower
wait_for "b's follow to succeed" 30 hook_ok b follow
want="host=127.0.0.1 port=${PORT[a]} user=replicator passfile=$PG/pgpass application_name=b"
sql_is b 'SHOW primary_conninfo' "$want" || fail "b's primary_conninfo: $(psql_on b 'SHOW primary_conninfo')"
psql_on a 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)' || fail "a does not accept writes"
wait_for "b to stream from a with a's row" 20 rejoined b a t 1
echo "a leads, b follows: ${SECONDS}s"

# Step 6, planned handover: SIGTERM to a's daemon; a demotes to a read-only
# standby, then b promotes. a's daemon again: a follows b, no pg_rewind.
daemon_stop a TERM
[ "$LAST_EXIT" = 0 ] || fail "a's daemon exited $LAST_EXIT"
grep -qE 'info: hook demote\[[0-9]+\]: pg-demote: demoted: the server is a read-only standby' "$T/a.log" ||
	fail "a's demote did not end as a standby (logged at info)"
sql_is a 'SELECT pg_is_in_recovery()' t || fail "a's server is not in recovery after its demote"
wait_for "b to lead" 20 role_is b leader
wait_for "b's promote to succeed" 30 hook_ok b promote
psql_on b 'INSERT INTO t VALUES (2)' || fail "b does not accept writes after its promote"
if psql_on a 'INSERT INTO t VALUES (3)' 2>/dev/null; then
	fail "a accepted a write after its demote"
fi
grep -q 'read-only transaction' "$PG/psql.err" || fail "a's refusal was not read-only: $(tail -n 2 "$PG/psql.err")"
epoch_b=$(state_of b EPOCH)
[ "$epoch_b" -gt "$epoch_a" ] || fail "b's epoch $epoch_b is not above a's $epoch_a"
daemon_start a
wait_for "a to follow" 20 role_is a follower
wait_for "a to rejoin b's stream with b's row" 40 rejoined a b t 2
wait_for "a's follow to succeed" 30 hook_ok a follow
grep -q 'pg-follow: no rewind: ' "$T/a.log" || fail "a's follow did not decide 'no rewind'"
! grep -q 'running pg_rewind' "$T/a.log" || fail "a was rewound after a planned handover"
echo "planned handover to b, a rejoined: ${SECONDS}s"

# Fencing: hooks run with an epoch older than the one their node saw refuse it.
old=$((epoch_b - 1))
for hook in promote follow demote; do
	n=a
	[ "$hook" = promote ] && n=b
	rc=0
	run_hook "$n" "$hook" "$old" b || rc=$?
	[ "$rc" = 1 ] || fail "$n's $hook with stale epoch $old exited $rc: $(cat "$T/manual.out")"
	grep -q "REFUSED: epoch $old is older than epoch $epoch_b already seen" "$T/manual.out" ||
		fail "$n's stale $hook did not say why: $(cat "$T/manual.out")"
done
sql_is a 'SELECT pg_is_in_recovery()' t || fail "a's server is not a standby after the stale demote"
sql_is b 'SELECT pg_is_in_recovery()' f || fail "b is no longer a primary"

# Steps 6 and 7 (the drill), resign: b resigns, a leads, b rejoins as a's
# standby without pg_rewind.
zkctl b resign >/dev/null || fail "zkelectctl resign on b failed"
wait_for "a to lead" 20 role_is a leader
wait_for "a's promote to succeed" 30 hook_ok a promote
psql_on a 'INSERT INTO t VALUES (3)' || fail "a does not accept writes after its promote"
wait_for "b to rejoin a's stream with a's row" 40 rejoined b a t 3
wait_for "b's follow to succeed" 30 hook_ok b follow
! grep -q 'running pg_rewind' "$T/b.log" || fail "b was rewound after its resign"
echo "resign of b, b rejoined: ${SECONDS}s"

# Steps 6 and 7 (the drill), crash of the primary: b stops receiving, a writes
# a row b never gets, a's server is stopped with pg_ctl stop -m immediate. a's
# health check fails, a steps down, b leads.
{ psql_on b "ALTER SYSTEM SET primary_conninfo = ''" && psql_on b 'SELECT pg_reload_conf()'; } >/dev/null ||
	fail "cannot clear b's primary_conninfo"
wait_for "b to stop receiving" 10 sql_is b 'SELECT count(*) FROM pg_stat_wal_receiver' 0
psql_on a 'CREATE TABLE lost (x int); INSERT INTO lost VALUES (1)' || fail "a does not accept writes"
env_file a no
fails=$(log_count a 'pg-follow: ERROR: DIVERGED')
as_pg "$PGBIN/pg_ctl" -D "$PG/a/data" -m immediate -w stop >/dev/null 2>&1 || fail "pg_ctl stop -m immediate on a failed"
wait_for "a's health check to fail and a to step down" 20 log_grew a 'running demote (reason health-failed' 0
wait_for "b to lead" 20 role_is b leader
wait_for "b's promote to succeed" 30 hook_ok b promote
psql_on b 'INSERT INTO t VALUES (4)' || fail "b does not accept writes after its promote"
# PG_REWIND=no: a has diverged, its follow says so and fails; a stays a read-only standby.
wait_for "a's follow to refuse loudly" 40 log_grew a 'pg-follow: ERROR: DIVERGED' "$fails"
grep -qE 'warning: hook follow\[[0-9]+\]: pg-follow: ERROR: DIVERGED' "$T/a.log" ||
	fail "a's failed follow was not logged at warning level"
sql_is a 'SELECT pg_is_in_recovery()' t || fail "a's server is not a running standby after the refused follow"
# PG_REWIND=yes: zkelectd runs the failed follow again (with back-off while b
# leads), and this time a follows b through pg_rewind.
env_file a yes
wait_for "a to rejoin b's stream with b's rows" 60 rejoined a b t 4
wait_for "a's pg_rewind" 10 grep -q 'pg-follow: pg_rewind done' "$T/a.log"
sql_is a "SELECT count(*) FROM pg_class WHERE relname = 'lost'" 0 || fail "a kept the row b never received"
[ ! -e "$PG/a/data.zkelectd-rewinding" ] || fail "a's rewind mark is still there"
echo "crash of a, a rewound and rejoined: ${SECONDS}s"

# The follow hook again, by hand, on a standby that already streams from b: it
# changes nothing (no restart, no rewind) and exits 0.
pid=$(postmaster_pid a)
run_hook a follow "$(state_of b EPOCH)" b || fail "a second follow on a failed: $(cat "$T/manual.out")"
grep -q 'pg-follow: no rewind: ' "$T/manual.out" || fail "a second follow on a: $(cat "$T/manual.out")"
[ "$(postmaster_pid a)" = "$pid" ] || fail "a second follow restarted a's server"

# health: 0 on b (quiet), 1 on a port where nothing listens (with pg_isready's word);
# never as root.
env -i PATH="$PATH" "$HOOKS/health" "$PG/b.env" health >"$T/manual.out" 2>&1 ||
	fail "health on b failed: $(cat "$T/manual.out")"
[ ! -s "$T/manual.out" ] || fail "health on b was not quiet: $(cat "$T/manual.out")"
sed "s/^PGPORT=.*/PGPORT=$("$ROOT/scripts/zk-local.sh" ports 1)/" "$PG/b.env" >"$PG/closed.env"
chmod 644 "$PG/closed.env"
rc=0
env -i PATH="$PATH" "$HOOKS/health" "$PG/closed.env" health >"$T/manual.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "health on a closed port exited $rc"
grep -q 'no response' "$T/manual.out" || fail "health on a closed port: $(cat "$T/manual.out")"
if grep -h -e 'role "root"' -e 'authentication failed' "$PG"/*/data.log; then
	fail "a check connected as the wrong user"
fi
echo "total: $((SECONDS - t0))s"
pass
