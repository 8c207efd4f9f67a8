# shellcheck shell=sh
# common.sh: functions shared by the PostgreSQL example hooks of zkelectd
# (promote, demote, follow, health in this directory). Sourced, never run.
# README.md here says how to configure them; every knob is listed in pg_setup.
#
# Each hook sets HOOK to its event, sources this file, calls pg_setup "$@" and
# then does its work with the functions below. Messages go to stderr, one line
# each, prefixed "pg-EVENT:"; zkelectd logs them under the hook's name.

# Print one line on stderr.
log() {
	printf 'pg-%s: %s\n' "$HOOK" "$*" >&2
}

# Print an error line and exit 1.
die() {
	log "ERROR: $*"
	exit 1
}

# Read the settings, check the event, fill in defaults, export what libpq reads.
# Arguments: the words configured before the event name (env files to source),
# then the event name (zkelectd appends it).
pg_setup() {
	pg_event=""
	pg_files=0
	cd /	# the server's tools complain about a working directory they cannot read
	PATH=$PATH:/usr/sbin:/sbin	# runuser
	for pg_arg in "$@"; do
		case $pg_arg in
		promote | demote | follow | health) pg_event=$pg_arg ;;
		/*) pg_source "$pg_arg" && pg_files=$((pg_files + 1)) ;;
		*) die "unexpected argument '$pg_arg': give absolute paths of env files, then the event" ;;
		esac
	done
	[ -n "$pg_event" ] || pg_event=${ZKELECT_EVENT:-$HOOK}
	[ "$pg_event" = "$HOOK" ] ||
		die "this is the $HOOK hook but it was run for '$pg_event': check [hooks] in zkelectd.conf"
	if [ "$pg_files" = 0 ] && [ -e /etc/zkelectd/postgresql.env ]; then
		pg_source /etc/zkelectd/postgresql.env
	fi
	pg_defaults
}

# Source the env file FILE (KEY=VALUE lines, sh syntax), exporting what it sets.
pg_source() {
	{ [ -f "$1" ] && [ -r "$1" ]; } || die "env file $1 is missing or unreadable"
	case $(stat -c %a "$1") in
	*[2367]? | *[2367]) die "env file $1 is writable by group or others: chmod go-w it" ;;
	esac
	pg_owner=$(stat -c %u "$1")
	[ "$pg_owner" = 0 ] || [ "$pg_owner" = "$(id -u)" ] ||
		die "env file $1 belongs to uid $pg_owner, not to root or to us"
	set -a +u
	# shellcheck disable=SC1090
	. "$1"
	set +a -u
}

# Default every knob that is not set, check the values, export libpq's variables.
pg_defaults() {
	[ -n "${PGDATA:-}" ] || die "PGDATA is not set: pass an env file on the hook's command line (see README.md)"
	PGDATA=${PGDATA%/}
	[ -d "$PGDATA" ] || die "PGDATA $PGDATA is not a directory"
	: "${PG_USER:=postgres}" "${PGHOST:=/var/run/postgresql}" "${PGPORT:=5432}"
	: "${PGDATABASE:=postgres}" "${PGCONNECT_TIMEOUT:=5}" "${PG_CONFDIR:=$PGDATA}"
	: "${PG_SERVICE:=}" "${PG_LOGFILE:=$PGDATA.log}" "${PG_TIMEOUT:=30}" "${PG_REWIND:=no}"
	: "${PG_STOP_MODE:=fast}" "${ZKELECT_PG_EPOCH_FILE:=$PGDATA.zkelectd-epoch}"
	: "${PG_CONNINFO_EXTRA=${ZKELECT_ID:+application_name=$ZKELECT_ID}}"
	[ -n "${PGBIN:-}" ] || PGBIN=$(pg_find_bin)
	[ -x "$PGBIN/pg_ctl" ] || die "no pg_ctl in PGBIN $PGBIN"
	case $PGPORT in '' | *[!0-9]*) die "PGPORT '$PGPORT' is not a number" ;; esac
	case $PG_TIMEOUT in '' | *[!0-9]*) die "PG_TIMEOUT '$PG_TIMEOUT' is not a number of seconds" ;; esac
	case $PG_REWIND in yes | no) ;; *) die "PG_REWIND must be yes or no, not '$PG_REWIND'" ;; esac
	case $PG_STOP_MODE in smart | fast | immediate) ;; *) die "PG_STOP_MODE '$PG_STOP_MODE' is not smart, fast or immediate" ;; esac
	PG_REWIND_MARK=$PGDATA.zkelectd-rewind
	export PGDATA PGHOST PGPORT PGDATABASE PGCONNECT_TIMEOUT
}

# Print the directory of the server's programs: the one matching PGDATA's PG_VERSION.
pg_find_bin() {
	if [ -r "$PGDATA/PG_VERSION" ]; then
		pg_v=$(cat "$PGDATA/PG_VERSION")
		if [ -x "/usr/lib/postgresql/$pg_v/bin/pg_ctl" ]; then
			echo "/usr/lib/postgresql/$pg_v/bin"
			return 0
		fi
	fi
	pg_p=$(command -v pg_ctl) || die "cannot find pg_ctl: set PGBIN"
	dirname "$pg_p"
}

# Run a command as the database's system user (PG_USER): via runuser when root.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$PG_USER" -- "$@"
	elif [ "$(id -un)" = "$PG_USER" ]; then
		"$@"
	else
		die "must run as root or as $PG_USER, not as $(id -un)"
	fi
}

# Run pg_ctl as the database user, its chatter on stderr.
pgctl() {
	as_pg "$PGBIN/pg_ctl" "$@" >&2
}

# Run psql against the local server, unaligned and bare, stopping at the first error.
sql() {
	as_pg "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -d "$PGDATABASE" "$@"
}

# True when a postmaster runs on PGDATA (pg_ctl status reads its postmaster.pid).
server_running() {
	as_pg "$PGBIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1
}

# Print t when the local server is in recovery (a standby), f when it is a primary.
in_recovery() {
	sql -c 'SELECT pg_is_in_recovery()'
}

# True when the running server is a standby: standby.signal, and in recovery by
# SQL or, when it takes no connections yet (a standby still starting up), by its
# control file ("in archive recovery"; a primary says "in production").
is_standby() {
	[ -e "$PGDATA/standby.signal" ] || return 1
	if pg_r=$(in_recovery 2>/dev/null); then
		[ "$pg_r" = t ]
	else
		[ "$(cluster_state)" = "in archive recovery" ]
	fi
}

# Print the "Database cluster state" of PGDATA's control file.
cluster_state() {
	as_pg env LC_ALL=C "$PGBIN/pg_controldata" -D "$PGDATA" 2>/dev/null |
		sed -n 's/^Database cluster state: *//p'
}

# Wait up to PG_TIMEOUT seconds for the local server to accept connections.
wait_ready() {
	pg_deadline=$(($(date +%s) + PG_TIMEOUT))
	until "$PGBIN/pg_isready" -q -h "$PGHOST" -p "$PGPORT" -d "$PGDATABASE"; do
		[ "$(date +%s)" -lt "$pg_deadline" ] ||
			die "the server does not accept connections after ${PG_TIMEOUT}s (log: $PG_LOGFILE)"
		sleep 0.2
	done
}

# Start the server (systemd unit PG_SERVICE, else pg_ctl) and wait until it accepts connections.
start_server() {
	if [ -n "$PG_SERVICE" ]; then
		systemctl start "$PG_SERVICE" || die "systemctl start $PG_SERVICE failed"
	else
		pgctl start -D "$PG_CONFDIR" -l "$PG_LOGFILE" -w -t "$PG_TIMEOUT" ||
			die "pg_ctl start failed (log: $PG_LOGFILE)"
	fi
	wait_ready
}

# Stop the server (PG_STOP_MODE, then immediate); fail only if it still runs.
stop_server() {
	if [ -n "$PG_SERVICE" ]; then
		systemctl stop "$PG_SERVICE" || log "systemctl stop $PG_SERVICE failed"
	else
		pgctl stop -D "$PGDATA" -m "$PG_STOP_MODE" -w -t "$PG_TIMEOUT" || log "pg_ctl stop -m $PG_STOP_MODE failed"
	fi
	server_running || return 0
	log "the server still runs: stopping it with -m immediate"
	pgctl stop -D "$PGDATA" -m immediate -w -t "$PG_TIMEOUT" || true
	! server_running || die "cannot stop the server on $PGDATA"
}

# Stop a server that is not a standby for sure; a former primary may need pg_rewind.
fence_server() {
	log "stopping the server: it is not a standby (a demoted node must never stay writable)"
	stop_server
	: >"$PG_REWIND_MARK"
}

# Make sure the server runs as a standby: a running one was found to be one by
# the caller (is_standby); a stopped one gets standby.signal and is started. If
# it is still not in recovery after that, stop it hard and fail.
ensure_standby() {
	server_running && return 0
	if [ ! -e "$PGDATA/standby.signal" ]; then
		: >"$PG_REWIND_MARK"	# stopped without standby.signal: it was a primary
		as_pg touch "$PGDATA/standby.signal"
	fi
	log "starting the server as a standby"
	start_server
	pg_r=$(in_recovery) || pg_r="unknown"
	[ "$pg_r" = t ] && return 0
	pgctl stop -D "$PGDATA" -m immediate -w || true
	die "the server is not in recovery (pg_is_in_recovery: $pg_r) after starting as a standby: stopped it"
}

# With PG_REWIND=yes, bring a former primary in line with the leader at conninfo CI
# (server stopped first); without, warn that it may have diverged.
rewind_if_needed() {
	[ -e "$PG_REWIND_MARK" ] || return 0
	if [ "$PG_REWIND" != yes ]; then
		log "WARNING: this server was a primary: if its history diverged from the new leader's" \
			"it cannot follow it; set PG_REWIND=yes or re-clone it with pg_basebackup"
		return 0
	fi
	if server_running; then
		stop_server
	fi
	log "running pg_rewind against the leader (this server was a primary)"
	# pg_rewind takes the source's timeline from its control file, which a just
	# promoted server updates only at its next checkpoint: force one first.
	as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "dbname=postgres $1" -c CHECKPOINT >&2 ||
		die "CHECKPOINT on the leader failed (pg_rewind needs it): the server stays stopped"
	as_pg "$PGBIN/pg_rewind" -D "$PGDATA" --source-server="dbname=postgres $1" >&2 ||
		die "pg_rewind failed: the server stays stopped; fix it or re-clone it with pg_basebackup"
	as_pg touch "$PGDATA/standby.signal"
	rm -f "$PG_REWIND_MARK"
}

# The leader's replication conninfo: ZKELECT_LEADER_DATA plus PG_CONNINFO_EXTRA.
leader_conninfo() {
	case ${ZKELECT_LEADER_DATA:-} in
	*[[:cntrl:]]*) die "ZKELECT_LEADER_DATA holds control characters: refusing it" ;;
	*=*) ;;
	*) die "ZKELECT_LEADER_DATA '${ZKELECT_LEADER_DATA:-}' is not a conninfo fragment:" \
		"set data = host=... port=... in [election] on every node" ;;
	esac
	printf '%s\n' "$ZKELECT_LEADER_DATA${PG_CONNINFO_EXTRA:+ $PG_CONNINFO_EXTRA}"
}

# Point the running standby at conninfo CI (ALTER SYSTEM + reload) and wait until in force.
set_conninfo() {
	wait_ready
	pg_cur=$(sql -c 'SHOW primary_conninfo') || die "cannot read primary_conninfo"
	if [ "$pg_cur" = "$1" ]; then
		log "primary_conninfo already points at the leader: $1"
		return 0
	fi
	printf '%s\n' "ALTER SYSTEM SET primary_conninfo = :'ci';" "SELECT pg_reload_conf();" |
		sql -v ci="$1" >/dev/null || die "ALTER SYSTEM SET primary_conninfo failed"
	pg_deadline=$(($(date +%s) + 10))
	until [ "$(sql -c 'SHOW primary_conninfo')" = "$1" ]; do
		[ "$(date +%s)" -lt "$pg_deadline" ] || die "primary_conninfo not in force 10s after reload"
		sleep 0.1
	done
	log "primary_conninfo set to: $1"
}

# True when EPOCH is a decimal number without leading zeros.
epoch_valid() {
	case $1 in
	'' | *[!0-9]* | 0?*) return 1 ;;
	esac
}

# True when epoch A is lower than epoch B (any length: compare length, then digits).
epoch_older() {
	if [ "${#1}" -ne "${#2}" ]; then
		[ "${#1}" -lt "${#2}" ]
	else
		[ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | LC_ALL=C sort | head -n 1)" = "$1" ]
	fi
}

# Check EPOCH against the highest one seen (ZKELECT_PG_EPOCH_FILE): fail (1) when
# it is older, with a message; else record it (atomically) and succeed.
epoch_check() {
	epoch_valid "$1" || die "ZKELECT_EPOCH '$1' is not a decimal number (without leading zeros)"
	pg_seen=""
	if [ -e "$ZKELECT_PG_EPOCH_FILE" ]; then
		pg_seen=$(cat "$ZKELECT_PG_EPOCH_FILE") || die "cannot read $ZKELECT_PG_EPOCH_FILE"
		epoch_valid "$pg_seen" || die "$ZKELECT_PG_EPOCH_FILE holds '$pg_seen', not an epoch: fix or remove it"
		if epoch_older "$1" "$pg_seen"; then
			log "REFUSED: epoch $1 is older than epoch $pg_seen already seen ($ZKELECT_PG_EPOCH_FILE):" \
				"a newer leader exists, this $HOOK is stale"
			return 1
		fi
		[ "$1" != "$pg_seen" ] || return 0
	fi
	pg_tmp=$ZKELECT_PG_EPOCH_FILE.tmp.$$
	if ! { printf '%s\n' "$1" >"$pg_tmp" && sync "$pg_tmp" && mv -f "$pg_tmp" "$ZKELECT_PG_EPOCH_FILE"; }; then
		rm -f "$pg_tmp"
		die "cannot write $ZKELECT_PG_EPOCH_FILE"
	fi
}
