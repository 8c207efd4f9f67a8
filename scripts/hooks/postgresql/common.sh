# shellcheck shell=sh
# common.sh: functions shared by the PostgreSQL example hooks of zkelectd
# (promote, demote, follow, health in this directory). Sourced, never run.
# README.md here says how to configure them; every knob is listed in pg_setup.
#
# Each hook sets HOOK to its event, sources this file, calls pg_setup "$@" and
# then does its work with the functions below. Messages are one line each,
# prefixed "pg-EVENT:": what it does on stdout (zkelectd logs it at info level),
# what goes wrong on stderr (logged at warning).

# Print one line on stdout: what the hook does.
log() {
	printf 'pg-%s: %s\n' "$HOOK" "$*"
}

# Print one line on stderr: something went wrong, or is not as it should be.
warn() {
	printf 'pg-%s: %s\n' "$HOOK" "$*" >&2
}

# Print an error line (stderr) and exit 1.
die() {
	warn "ERROR: $*"
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
	pg_self_uid
	pg_uname=""
	[ "$pg_uid" = 0 ] || pg_uname=$(id -un)
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

# Set pg_uid to our effective user id, once (as_pg asks for every program it
# runs), read by the shell from /proc/self/status: every program started before
# pg_ctl promote is time the clients cannot write.
pg_self_uid() {
	pg_uid=""
	{
		while read -r pg_k _ pg_e _; do
			[ "$pg_k" != Uid: ] || { pg_uid=$pg_e && break; }
		done
	} 2>/dev/null </proc/self/status || true
	case $pg_uid in '' | *[!0-9]*) pg_uid=$(id -u) ;; esac
}

# Source the env file FILE (KEY=VALUE lines, sh syntax), exporting what it sets.
pg_source() {
	{ [ -f "$1" ] && [ -r "$1" ]; } || die "env file $1 is missing or unreadable"
	pg_st=$(stat -c '%a %u' "$1") || die "cannot stat env file $1"
	case ${pg_st% *} in
	*[2367]? | *[2367]) die "env file $1 is writable by group or others: chmod go-w it" ;;
	esac
	pg_owner=${pg_st#* }
	[ "$pg_owner" = 0 ] || [ "$pg_owner" = "$pg_uid" ] ||
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
	: "${PGUSER:=$PG_USER}"	# the cluster's owner role, never root's name (issue 17)
	[ -n "${PGBIN:-}" ] || pg_find_bin
	[ -x "$PGBIN/pg_ctl" ] || die "no pg_ctl in PGBIN $PGBIN"
	case $PGPORT in '' | *[!0-9]*) die "PGPORT '$PGPORT' is not a number" ;; esac
	case $PG_TIMEOUT in '' | *[!0-9]*) die "PG_TIMEOUT '$PG_TIMEOUT' is not a number of seconds" ;; esac
	case $PG_REWIND in yes | no) ;; *) die "PG_REWIND must be yes or no, not '$PG_REWIND'" ;; esac
	case $PG_STOP_MODE in smart | fast | immediate) ;; *) die "PG_STOP_MODE '$PG_STOP_MODE' is not smart, fast or immediate" ;; esac
	PG_REWINDING=$PGDATA.zkelectd-rewinding
	PG_STARTLOCK=$PGDATA.zkelectd-start
	export PGDATA PGHOST PGPORT PGDATABASE PGUSER PGCONNECT_TIMEOUT
}

# Set PGBIN to the directory of the server's programs: the one matching PGDATA's
# PG_VERSION, else the one of the pg_ctl on PATH.
pg_find_bin() {
	pg_v=""
	{ read -r pg_v || true; } 2>/dev/null <"$PGDATA/PG_VERSION" || true
	if [ -n "$pg_v" ] && [ -x "/usr/lib/postgresql/$pg_v/bin/pg_ctl" ]; then
		PGBIN=/usr/lib/postgresql/$pg_v/bin
		return 0
	fi
	pg_p=$(command -v pg_ctl) || die "cannot find pg_ctl: set PGBIN"
	PGBIN=${pg_p%/*}
}

# deadline SECONDS: a deadline that many seconds from now, for in_time.
deadline() {
	pg_clock
	pg_deadline=$((pg_now + $1))
}

# True until the deadline has passed.
in_time() {
	pg_clock
	[ "$pg_now" -lt "$pg_deadline" ]
}

# Set pg_now to a clock in seconds: the seconds since boot, read by the shell
# from /proc/uptime (a poll asks it often: no program to start each time).
pg_clock() {
	{ read -r pg_now _ && pg_now=${pg_now%.*}; } 2>/dev/null </proc/uptime || pg_now=$(date +%s)
}

# Run a command as the database's system user (PG_USER): via runuser when root.
as_pg() {
	if [ "$pg_uid" = 0 ]; then
		runuser -u "$PG_USER" -- "$@"
	elif [ "$pg_uname" = "$PG_USER" ]; then
		"$@"
	else
		die "must run as root or as $PG_USER, not as $pg_uname"
	fi
}

# Run pg_ctl as the database user, its chatter on stderr.
pgctl() {
	as_pg "$PGBIN/pg_ctl" "$@"
}

# Run psql against the local server, unaligned and bare, stopping at the first error.
sql() {
	as_pg "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -d "$PGDATABASE" "$@"
}

# Read PGDATA/postmaster.pid with the shell alone (no program started): pg_pid
# is its first line (the postmaster's PID; a single-user server writes its own
# negated), pg_pmst its eighth, the status the postmaster keeps there and pg_ctl
# -w waits on: starting, stopping, ready (it takes connections: a primary, or a
# hot standby once consistent) or standby (a standby without hot_standby). Both
# are empty without such a file.
pm_read() {
	pg_pid="" pg_pmst="" pg_n=0
	{
		while IFS= read -r pg_line; do
			pg_n=$((pg_n + 1))
			case $pg_n in
			1) pg_pid=$pg_line ;;
			8) pg_pmst=${pg_line%% *} && break ;;
			esac
		done
	} 2>/dev/null <"$PGDATA/postmaster.pid" || true
}

# True when a postmaster runs on PGDATA: its postmaster.pid names a live
# process (what pg_ctl status checks, without starting pg_ctl); sets pg_pid and
# pg_pmst (pm_read).
server_running() {
	pm_read
	case ${pg_pid#-} in '' | *[!0-9]*) return 1 ;; esac
	kill -0 "${pg_pid#-}" 2>/dev/null
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

# Wait up to PG_TIMEOUT seconds for the local server to accept connections:
# first until its postmaster.pid says ready or standby (read by the shell, every
# 50 ms), then until pg_isready says so (at once, when it already did).
wait_ready() {
	deadline "$PG_TIMEOUT"
	pm_read
	until [ "$pg_pmst" = ready ] || [ "$pg_pmst" = standby ] || ! in_time; do
		sleep 0.05
		pm_read
	done
	until as_pg "$PGBIN/pg_isready" -q -h "$PGHOST" -p "$PGPORT" -d "$PGDATABASE" -U "$PGUSER"; do
		in_time ||
			die "the server does not accept connections after ${PG_TIMEOUT}s (log: $PG_LOGFILE)"
		sleep 0.05
	done
}

# Start the server (systemd unit PG_SERVICE, else pg_ctl under the start lock:
# start_locked) and wait until it accepts connections.
start_server() {
	if [ -n "$PG_SERVICE" ]; then
		systemctl start "$PG_SERVICE" || die "systemctl start $PG_SERVICE failed"
	else
		start_locked || die "pg_ctl start failed (log: $PG_LOGFILE)"
	fi
	wait_ready
}

# Holding the lock PG_STARTLOCK (flock on this shell's descriptor 8), start the
# server with pg_ctl start -w unless it runs already: two hooks, or a hook and
# the start a demote left running in the background, never start two
# postmasters. Nothing started here inherits the descriptor (a postmaster
# holding it would hold the lock for as long as it runs).
start_locked() {
	[ -e "$PG_STARTLOCK" ] || : >>"$PG_STARTLOCK" || die "cannot create $PG_STARTLOCK"
	[ -r "$PG_STARTLOCK" ] || die "cannot read $PG_STARTLOCK"
	exec 8<"$PG_STARTLOCK"
	if ! flock -w "$PG_TIMEOUT" 8; then
		exec 8<&-
		die "another start of the server has held $PG_STARTLOCK for ${PG_TIMEOUT}s"
	fi
	pg_rc=0
	if server_running; then
		log "the server was started meanwhile (by another start, such as a demote's in the background): not starting another"
	else
		pgctl start -D "$PG_CONFDIR" -l "$PG_LOGFILE" -w -t "$PG_TIMEOUT" 8<&- || pg_rc=$?
	fi
	exec 8<&-
	return "$pg_rc"
}

# Start the server in the background, for the demote of a planned handover (a
# successor's promote waits until the hook ends): with PG_SERVICE, systemctl
# start --no-block (a systemctl start run next joins that job); else
# start_locked in a background subshell, its output discarded, so that the
# hook can end at once. A hook run next that needs the server waits for that
# start (the lock); the follow hook starts it itself, and says why, if it did
# not come up.
start_server_background() {
	if [ -n "$PG_SERVICE" ]; then
		systemctl start --no-block "$PG_SERVICE" || die "systemctl start --no-block $PG_SERVICE failed"
	else
		(start_locked) </dev/null >/dev/null 2>&1 &
	fi
}

# stop_wait MODE: send the postmaster the signal of shutdown mode MODE (smart:
# TERM, fast: INT, immediate: QUIT, the signals PostgreSQL documents and pg_ctl
# stop sends), then wait up to PG_TIMEOUT seconds until it is gone, looking at
# postmaster.pid every 20 ms (pg_ctl stop -w looks every 100 ms, and costs a
# runuser); false if it still runs. A single-user server (negative PID) is
# left to pg_ctl, which refuses to stop it and says so.
stop_wait() {
	server_running || return 0
	case $pg_pid in -*) pgctl stop -D "$PGDATA" -m "$1" -w -t "$PG_TIMEOUT"; return ;; esac
	case $1 in smart) pg_sig=TERM ;; fast) pg_sig=INT ;; *) pg_sig=QUIT ;; esac
	kill -s "$pg_sig" "$pg_pid" 2>/dev/null || ! server_running || return 1
	deadline "$PG_TIMEOUT"
	while server_running; do
		in_time || return 1
		sleep 0.02
	done
}

# Stop the server (PG_STOP_MODE, then immediate); fail only if it still runs.
stop_server() {
	if [ -n "$PG_SERVICE" ]; then
		systemctl stop "$PG_SERVICE" || warn "systemctl stop $PG_SERVICE failed"
	else
		stop_wait "$PG_STOP_MODE" || warn "stop -m $PG_STOP_MODE did not end within ${PG_TIMEOUT}s"
	fi
	server_running || return 0
	warn "the server still runs: stopping it with -m immediate"
	stop_wait immediate || true
	! server_running || die "cannot stop the server on $PGDATA"
}

# Stop a server that is not a standby for sure. standby.signal goes in first,
# while the server still runs (PostgreSQL reads it only when it starts, and the
# clients can still write meanwhile): whatever starts it next starts a standby.
# A failure to create it is only a warning here: the stop comes first.
fence_server() {
	log "stopping the server: it is not a standby (a demoted node must never stay writable)"
	[ -e "$PGDATA/standby.signal" ] || as_pg touch "$PGDATA/standby.signal" ||
		warn "cannot create $PGDATA/standby.signal: stopping the server anyway"
	stop_server
}

# Fail, loudly, when a pg_rewind was started and did not finish: such a data
# directory must not be started (PostgreSQL's pg_rewind documentation: "If
# pg_rewind fails while processing, then the data folder of the target is
# likely not in a state that can be recovered"). Only the follow hook goes on:
# it runs pg_rewind again.
refuse_half_rewound() {
	[ -e "$PG_REWINDING" ] || return 0
	die "NOT STARTING the server on $PGDATA: a pg_rewind did not finish ($PG_REWINDING exists)." \
		"It stays STOPPED; the next follow runs pg_rewind again, or re-clone it with pg_basebackup and remove the file"
}

# Put standby.signal in PGDATA (the server is stopped), or fail.
signal_standby() {
	[ -e "$PGDATA/standby.signal" ] || as_pg touch "$PGDATA/standby.signal" ||
		die "cannot create $PGDATA/standby.signal: the server stays stopped"
}

# Make sure the server runs as a standby: a running one was found to be one by
# the caller (is_standby); a stopped one gets standby.signal and is started. If
# it is still not in recovery after that, stop it hard and fail.
ensure_standby() {
	server_running && return 0
	refuse_half_rewound
	signal_standby
	log "starting the server as a standby"
	start_server
	pg_r=$(in_recovery) || pg_r="unknown"
	[ "$pg_r" = t ] && return 0
	pgctl stop -D "$PGDATA" -m immediate -w || true
	die "the server is not in recovery (pg_is_in_recovery: $pg_r) after starting as a standby: stopped it"
}

# --- Follow, or rewind first? (README.md: "Rejoining: the rewind rule") ---

# repl CONNINFO COMMAND: run a replication-protocol COMMAND (IDENTIFY_SYSTEM,
# TIMELINE_HISTORY N, SHOW name) over a physical replication connection, the
# kind a standby opens anyway; print the bare result.
repl() {
	as_pg "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1 replication=true" -c "$2"
}

# The local server's replication conninfo (its socket).
local_ci() {
	printf 'host=%s port=%s\n' "$PGHOST" "$PGPORT"
}

# Print the WAL location HI/LO (hexadecimal) as one decimal number.
lsn_num() {
	case $1 in
	?*/?*) ;;
	*) die "'$1' is not a WAL location" ;;
	esac
	case ${1%/*}${1#*/} in *[!0-9A-Fa-f]*) die "'$1' is not a WAL location" ;; esac
	echo $(((0x${1%/*} << 32) + 0x${1#*/}))
}

# identify CONNINFO: IDENTIFY_SYSTEM there; sets pg_sysid, pg_tli, pg_lsn. On a
# primary: its current timeline and WAL position; on a standby: the timeline it
# replays and how far it has WAL (replayed, or received on that timeline).
identify() {
	pg_out=$(repl "$1" IDENTIFY_SYSTEM) || return 1
	pg_sysid=${pg_out%%|*}
	pg_out=${pg_out#*|}
	pg_tli=${pg_out%%|*}
	pg_out=${pg_out#*|}
	pg_lsn=${pg_out%%|*}
	case $pg_tli in '' | *[!0-9]*) die "IDENTIFY_SYSTEM answered '$pg_out'" ;; esac
}

# Wait up to PG_TIMEOUT seconds until the server at conninfo CI (the leader) is
# out of recovery, i.e. its promotion has ended: its fork point is only known then.
leader_wait_primary() {
	deadline "$PG_TIMEOUT"
	until pg_hs=$(repl "$1" 'SHOW in_hot_standby' 2>&1) && [ "$pg_hs" = off ]; do
		in_time ||
			die "the leader $2 is still not a primary after ${PG_TIMEOUT}s (SHOW in_hot_standby: $pg_hs): not following it yet"
		sleep 0.2
	done
}

# rewind_needed LEADER_CI LEADER: decide from facts whether the running local
# standby can follow the leader (1) or needs pg_rewind first (0); pg_why says why.
# Local: IDENTIFY_SYSTEM on our own server gives the timeline we replay and our
# end of WAL. Leader: IDENTIFY_SYSTEM (its timeline, once promoted) and the
# history of that timeline (TIMELINE_HISTORY: each ancestor timeline and the
# WAL location where the leader's history left it). We can follow when we are
# on the leader's timeline, or on one of its ancestors and our WAL ends at or
# before the point where the leader left that timeline: the same test as
# pg_rewind's own (target end of WAL > divergence point: rewind).
rewind_needed() {
	identify "$(local_ci)" || die "cannot run IDENTIFY_SYSTEM on the local server (needs a 'local replication' line in pg_hba.conf for $PGUSER)"
	pg_ltli=$pg_tli pg_llsn=$pg_lsn pg_lsys=$pg_sysid
	identify "$1" || die "cannot run IDENTIFY_SYSTEM on the leader $2 (replication connection: ${1})"
	[ "$pg_sysid" = "$pg_lsys" ] ||
		die "the leader $2 is another cluster (system identifier $pg_sysid, ours $pg_lsys): re-clone this node with pg_basebackup"
	LEADER_TLI=$pg_tli
	pg_where="we are on timeline $pg_ltli at $pg_llsn, the leader $2 on timeline $LEADER_TLI at $pg_lsn"
	if [ "$pg_ltli" = "$LEADER_TLI" ]; then
		if [ "$(lsn_num "$pg_llsn")" -le "$(lsn_num "$pg_lsn")" ]; then
			pg_why="no rewind: $pg_where (the same timeline)"
			return 1
		fi
		pg_why="$pg_where: we are AHEAD of the leader on its own timeline, which pg_rewind cannot repair"
		die "DIVERGED: $pg_why: re-clone this node with pg_basebackup"
	fi
	pg_sp=""
	if [ "$LEADER_TLI" -gt 1 ]; then
		pg_hist=$(repl "$1" "TIMELINE_HISTORY $LEADER_TLI") || die "cannot read the leader's history of timeline $LEADER_TLI"
		# "0000000N.history|<file>": one "parent-TLI<TAB>switchpoint<TAB>reason" line per ancestor
		pg_sp=$(printf '%s\n' "${pg_hist#*|}" | awk -v t="$pg_ltli" '$1 == t { print $2; exit }')
	fi
	if [ -z "$pg_sp" ]; then
		pg_why="$pg_where, and our timeline is not in the leader's history"
		return 0
	fi
	if [ "$(lsn_num "$pg_llsn")" -le "$(lsn_num "$pg_sp")" ]; then
		pg_why="no rewind: $pg_where; the leader left timeline $pg_ltli at $pg_sp, where our WAL ends or later"
		return 1
	fi
	pg_why="$pg_where; the leader left timeline $pg_ltli at $pg_sp, before our end of WAL"
	return 0
}

# Run SQL on the leader (a normal connection to its database postgres, as pg_rewind makes).
leader_sql() {
	as_pg "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "dbname=postgres $1" -c "$2"
}

# leader_checkpoint CI TLI: make sure the leader's control file shows a
# checkpoint on its timeline TLI. pg_rewind (PostgreSQL 15 and older) takes the
# source's timeline from the control file's latest checkpoint; a just promoted
# server writes that checkpoint only when its end-of-recovery checkpoint ends
# (spread out by checkpoint_completion_target). Until then pg_rewind sees the old
# timeline and fails ("could not find previous WAL record") or rewinds wrongly.
leader_checkpoint() {
	pg_ct=$(leader_sql "$1" 'SELECT timeline_id FROM pg_control_checkpoint()') ||
		die "cannot read the leader's pg_control_checkpoint()"
	[ "$pg_ct" = "$2" ] && return 0
	log "the leader's latest checkpoint is on timeline $pg_ct, not its timeline $2: running CHECKPOINT on it first"
	leader_sql "$1" CHECKPOINT || die "CHECKPOINT on the leader failed (needs superuser or pg_checkpoint): no pg_rewind"
	pg_ct=$(leader_sql "$1" 'SELECT timeline_id FROM pg_control_checkpoint()') || pg_ct="unknown"
	[ "$pg_ct" = "$2" ] || die "after CHECKPOINT the leader's latest checkpoint is on timeline $pg_ct, not $2: no pg_rewind"
}

# rewind CI LEADER TLI: stop the server, pg_rewind it from the leader (conninfo
# CI, timeline TLI), start it as a standby of the leader. A failure exits 1 with
# one loud line; the server then stays stopped, and the mark PG_REWINDING keeps
# every hook from starting it until a pg_rewind succeeds.
rewind() {
	leader_checkpoint "$1" "$3"
	if server_running; then
		log "stopping the standby for pg_rewind"
		stop_server
	fi
	: >"$PG_REWINDING" || die "cannot create $PG_REWINDING"
	log "running pg_rewind from the leader $2 (timeline $3)"
	as_pg "$PGBIN/pg_rewind" -D "$PGDATA" -R --source-server="dbname=postgres $1" ||
		die "pg_rewind FAILED against the leader $2: the server on $PGDATA is STOPPED and stays so" \
			"($PG_REWINDING); the next follow runs pg_rewind again; if it keeps failing, re-clone it with pg_basebackup"
	rm -f "$PG_REWINDING"
	log "pg_rewind done: starting the server as a standby of $2"
	ensure_standby
}

# Wait up to PG_TIMEOUT seconds until the local standby streams the leader's
# timeline TLI (pg_stat_wal_receiver), printing nothing; fail with what it does.
wait_streaming() {
	deadline "$PG_TIMEOUT"
	until pg_st=$(sql -c "SELECT coalesce(status, '') || ' ' || coalesce(received_tli::text, '') FROM pg_stat_wal_receiver" 2>&1) &&
		[ "$pg_st" = "streaming $1" ]; do
		in_time ||
			die "NOT STREAMING from the leader $2 on timeline $1 after ${PG_TIMEOUT}s" \
				"(wal receiver: '${pg_st:-none}'; see $PG_LOGFILE): the server runs as a read-only standby"
		sleep 0.1
	done
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
	deadline 10
	until [ "$(sql -c 'SHOW primary_conninfo')" = "$1" ]; do
		in_time || die "primary_conninfo not in force 10s after reload"
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

# True when epoch A is lower than epoch B (any length: compare length, then
# digits; the shell's arithmetic when both fit in it).
epoch_older() {
	if [ "${#1}" -ne "${#2}" ]; then
		[ "${#1}" -lt "${#2}" ]
	elif [ "${#1}" -le 18 ]; then
		[ "$1" -lt "$2" ]
	else
		[ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | LC_ALL=C sort | head -n 1)" = "$1" ]
	fi
}

# Check EPOCH against the highest one seen (ZKELECT_PG_EPOCH_FILE): fail (1) when
# it is older, with a message; else record it (atomically) and succeed.
epoch_check() {
	epoch_stale "$1" && return 1
	epoch_record "$1"
}

# True (with the REFUSED message) when EPOCH is older than the highest one seen
# (ZKELECT_PG_EPOCH_FILE); sets pg_seen to that one (empty: none yet).
epoch_stale() {
	epoch_valid "$1" || die "ZKELECT_EPOCH '$1' is not a decimal number (without leading zeros)"
	pg_seen="" pg_more=""
	[ -e "$ZKELECT_PG_EPOCH_FILE" ] || return 1
	{ IFS= read -r pg_seen || true; IFS= read -r pg_more || true; } 2>/dev/null <"$ZKELECT_PG_EPOCH_FILE" ||
		die "cannot read $ZKELECT_PG_EPOCH_FILE"
	{ epoch_valid "$pg_seen" && [ -z "$pg_more" ]; } ||
		die "$ZKELECT_PG_EPOCH_FILE holds '$pg_seen${pg_more:+...}', not an epoch: fix or remove it"
	epoch_older "$1" "$pg_seen" || return 1
	warn "REFUSED: epoch $1 is older than epoch $pg_seen already seen ($ZKELECT_PG_EPOCH_FILE):" \
		"a newer leader exists, this $HOOK is stale"
}

# Record EPOCH (epoch_stale said it is not stale; it set pg_seen) as the highest
# one seen: a temporary file in the same directory, fsync, rename.
epoch_record() {
	[ "$1" != "$pg_seen" ] || return 0
	pg_tmp=$ZKELECT_PG_EPOCH_FILE.tmp.$$
	if ! { printf '%s\n' "$1" >"$pg_tmp" && sync "$pg_tmp" && mv -f "$pg_tmp" "$ZKELECT_PG_EPOCH_FILE"; }; then
		rm -f "$pg_tmp"
		die "cannot write $ZKELECT_PG_EPOCH_FILE"
	fi
}
