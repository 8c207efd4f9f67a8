#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for and the trap
# The PostgreSQL example hooks (scripts/hooks/postgresql/) with a real PostgreSQL:
# two clusters on loopback, a primary (a) and its streaming standby (b, from
# pg_basebackup -R), each beside a zkelectd that runs the hooks. a starts first:
# its start-up demote makes its server a standby, its promote the primary again.
# b follows: primary_conninfo points at a, a row written on a shows on b.
# SIGTERM to a's daemon: a demotes (a read-only standby), b promotes and accepts
# writes, a refuses them. Stale epochs are refused by hand-run hooks (exit 1, with
# the reason). a's daemon again: its follow rewinds it (PG_REWIND=yes) and points
# it at b; b's row shows on a. health: 0 on a running server, 1 on a closed port.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

HOOKS=$ROOT/scripts/hooks/postgresql
PG=$T/pg
PGBIN=$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1)
PGBIN=${PGBIN%/initdb}
{ [ -n "$PGBIN" ] && [ -x "$PGBIN/pg_ctl" ] && [ -x "$PGBIN/pg_rewind" ]; } ||
	fail "PostgreSQL server programs not found (/usr/lib/postgresql/*/bin): run scripts/install-deps.sh as root"
if [ "$(id -u)" = 0 ]; then
	PG_USER=postgres
	id "$PG_USER" >/dev/null 2>&1 || fail "no system user postgres: run scripts/install-deps.sh as root"
else
	PG_USER=$(id -un)
fi
declare -A PORT=()

# Run a command as the database's system user.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

# psql NODE SQL: run SQL on NODE's server, print the bare result.
psql_on() {
	as_pg "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG/$1" -p "${PORT[$1]}" -U postgres \
		-d postgres -c "$2" 2>>"$PG/psql.err"
}

# sql_is NODE SQL VALUE: SQL on NODE prints VALUE.
sql_is() {
	[ "$(psql_on "$1" "$2" 2>/dev/null)" = "$3" ]
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

# node_conf NODE: its port and socket directory, outside the data directory (which
# pg_basebackup and pg_rewind copy from the other node); postgresql.conf includes it.
node_conf() {
	printf "port = %s\nunix_socket_directories = '%s'\n" "${PORT[$1]}" "$PG/$1" >"$PG/$1/node.conf"
}

# env_file NODE: the hooks' settings for NODE, root's and not writable by others.
env_file() {
	cat >"$PG/$1.env" <<EOF
PGDATA='$PG/$1/data'
PGHOST='$PG/$1'
PGPORT=${PORT[$1]}
PGUSER=postgres
PG_USER=$PG_USER
PG_REWIND=yes
PG_TIMEOUT=20
PG_CONNINFO_EXTRA="user=postgres application_name=\$ZKELECT_ID"
EOF
	chmod 644 "$PG/$1.env"
}

# pg_start NODE: start NODE's server with pg_ctl (log next to the data directory).
pg_start() {
	as_pg "$PGBIN/pg_ctl" -D "$PG/$1/data" -l "$PG/$1/data.log" -w -t 20 start >>"$PG/setup.log" 2>&1 ||
		fail "could not start PostgreSQL $1: $(tail -n 5 "$PG/$1/data.log")"
}

# Set up a (initdb, primary) and b (pg_basebackup -R, standby), both running.
pg_setup_pair() {
	local n
	read -r "PORT[a]" "PORT[b]" < <("$ROOT/scripts/zk-local.sh" ports 2)
	chmod 755 "$T"
	mkdir -p "$PG/a" "$PG/b"
	chown "$PG_USER" "$PG/a" "$PG/b"
	for n in a b; do
		node_conf "$n"
		env_file "$n"
	done
	(cd / && as_pg "$PGBIN/initdb" -D "$PG/a/data" -A trust -U postgres -E UTF8 --locale=C \
		--no-sync --no-instructions) >>"$PG/setup.log" 2>&1 || fail "initdb failed: $(tail -n 5 "$PG/setup.log")"
	cat >>"$PG/a/data/postgresql.conf" <<EOF
include_if_exists = '../node.conf'
listen_addresses = '127.0.0.1'
fsync = off
wal_log_hints = on
wal_keep_size = 64MB
shared_buffers = 16MB
max_connections = 20
max_wal_senders = 5
autovacuum = off
EOF
	pg_start a
	(cd / && as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "${PORT[a]}" -U postgres -D "$PG/b/data" \
		-R -X stream -c fast --no-sync) >>"$PG/setup.log" 2>&1 || fail "pg_basebackup failed: $(tail -n 5 "$PG/setup.log")"
	pg_start b
	sql_is a 'SELECT pg_is_in_recovery()' f || fail "setup: a is not a primary"
	sql_is b 'SELECT pg_is_in_recovery()' t || fail "setup: b is not a standby"
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

# Before lib.sh's cleanup: stop the daemons (a leader demotes), then both servers.
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

t0=$SECONDS
zk_start
pg_setup_pair
for n in a b; do
	write_conf "$n" "election.data=host=127.0.0.1 port=${PORT[$n]}" \
		"hooks.promote=$HOOKS/promote $PG/$n.env" "hooks.demote=$HOOKS/demote $PG/$n.env" \
		"hooks.follow=$HOOKS/follow $PG/$n.env" "hooks.timeout=30s"
done
echo "setup: ${SECONDS}s"

# a leads: its start-up demote fenced the primary, its promote made it the primary again.
daemon_start a
wait_for "a to lead" 20 role_is a leader
wait_for "a's promote to succeed" 30 hook_ok a promote
grep -q 'pg-demote: stopping the server: it is not a standby' "$T/a.log" ||
	fail "a's start-up demote did not fence the primary"
grep -q 'pg-promote: promoted: the server is a primary' "$T/a.log" || fail "a's promote did not promote"
sql_is a 'SELECT pg_is_in_recovery()' f || fail "a leads but its server is in recovery"
epoch_a=$(state_of a EPOCH)

# b follows a: primary_conninfo points at a, a's writes reach b.
daemon_start b
wait_for "b to follow" 20 role_is b follower
wait_for "b's follow to succeed" 30 hook_ok b follow
want="host=127.0.0.1 port=${PORT[a]} user=postgres application_name=b"
sql_is b 'SHOW primary_conninfo' "$want" || fail "b's primary_conninfo: $(psql_on b 'SHOW primary_conninfo')"
psql_on a 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)' || fail "a does not accept writes"
wait_for "a's row on b" 20 sql_is b 'SELECT count(*) FROM t' 1
echo "a leads, b follows: ${SECONDS}s"

# SIGTERM to a's daemon: a demotes to a read-only standby, then b promotes.
daemon_stop a TERM
[ "$LAST_EXIT" = 0 ] || fail "a's daemon exited $LAST_EXIT"
grep -q 'pg-demote: demoted: the server is a read-only standby' "$T/a.log" || fail "a's demote did not end as a standby"
sql_is a 'SELECT pg_is_in_recovery()' t || fail "a's server is not in recovery after its demote"
wait_for "b to lead" 20 role_is b leader
wait_for "b's promote to succeed" 30 hook_ok b promote
sql_is b 'SELECT pg_is_in_recovery()' f || fail "b leads but its server is in recovery"
psql_on b 'CREATE TABLE t2 (y int); INSERT INTO t VALUES (2)' || fail "b does not accept writes after its promote"
sql_is b 'SELECT count(*) FROM t' 2 || fail "b lost a row"
if psql_on a 'INSERT INTO t VALUES (3)' 2>/dev/null; then
	fail "a accepted a write after its demote"
fi
grep -q 'read-only transaction' "$PG/psql.err" || fail "a's refusal was not read-only: $(tail -n 2 "$PG/psql.err")"
epoch_b=$(state_of b EPOCH)
[ "$epoch_b" -gt "$epoch_a" ] || fail "b's epoch $epoch_b is not above a's $epoch_a"
echo "failover to b: ${SECONDS}s"

# Fencing: hooks run with an epoch older than the one their node saw refuse it.
old=$((epoch_b - 1))
rc=0
run_hook b promote "$old" b || rc=$?
[ "$rc" = 1 ] || fail "b's promote with stale epoch $old exited $rc: $(cat "$T/manual.out")"
grep -q "REFUSED: epoch $old is older than epoch $epoch_b already seen" "$T/manual.out" ||
	fail "b's stale promote did not say why: $(cat "$T/manual.out")"
[ "$(cat "$PG/b/data.zkelectd-epoch")" = "$epoch_b" ] || fail "b's epoch file changed"
old=$((epoch_a - 1))
for hook in follow demote; do
	rc=0
	run_hook a "$hook" "$old" b || rc=$?
	[ "$rc" = 1 ] || fail "a's $hook with stale epoch $old exited $rc: $(cat "$T/manual.out")"
	grep -q "REFUSED: epoch $old is older than epoch $epoch_a already seen" "$T/manual.out" ||
		fail "a's stale $hook did not say why: $(cat "$T/manual.out")"
done
sql_is a 'SELECT pg_is_in_recovery()' t || fail "a's server is not a standby after the stale demote"
sql_is b 'SELECT pg_is_in_recovery()' f || fail "b is no longer a primary"

# a's daemon again: it follows b (pg_rewind first: it was a primary) and catches up.
daemon_start a
wait_for "a to follow" 20 role_is a follower
wait_for "a's follow to succeed" 30 hook_ok a follow
grep -q 'pg-follow: running pg_rewind' "$T/a.log" || fail "a's follow did not run pg_rewind"
[ ! -e "$PG/a/data.zkelectd-rewind" ] || fail "a's rewind mark is still there"
want="host=127.0.0.1 port=${PORT[b]} user=postgres application_name=a"
sql_is a 'SHOW primary_conninfo' "$want" || fail "a's primary_conninfo: $(psql_on a 'SHOW primary_conninfo')"
wait_for "b's row on a" 20 sql_is a 'SELECT count(*) FROM t' 2
sql_is a 'SELECT pg_is_in_recovery()' t || fail "a is not a standby"
echo "a follows b: ${SECONDS}s"

# health: 0 on b (quiet), 1 on a port where nothing listens (with pg_isready's word).
env -i PATH="$PATH" "$HOOKS/health" "$PG/b.env" health >"$T/manual.out" 2>&1 ||
	fail "health on b failed: $(cat "$T/manual.out")"
[ ! -s "$T/manual.out" ] || fail "health on b was not quiet: $(cat "$T/manual.out")"
sed "s/^PGPORT=.*/PGPORT=$("$ROOT/scripts/zk-local.sh" ports 1)/" "$PG/b.env" >"$PG/closed.env"
chmod 644 "$PG/closed.env"
rc=0
env -i PATH="$PATH" "$HOOKS/health" "$PG/closed.env" health >"$T/manual.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "health on a closed port exited $rc"
grep -q 'no response' "$T/manual.out" || fail "health on a closed port: $(cat "$T/manual.out")"
echo "total: $((SECONDS - t0))s"
pass
