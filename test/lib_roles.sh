# shellcheck shell=bash
# test/lib_roles.sh: conditions about roles, leaders and hook runs, for wait_for
# (sourced by lib.sh; every function is a test that succeeds or fails).
#
#   role_is NAME ROLE              NAME's state file says ROLE
#   all_roles ROLE NAME...         every NAME's state says ROLE
#   test_leaders N                 exactly N running daemons say leader
#   leader_name                    print the name of the (first) running leader
#   leader_name_other_than NAME    likewise, ignoring NAME
#   new_leader_other_than NAME     a running daemon other than NAME says leader
#   hook_seen ID EVENT PHASE       ID's EVENT hook logged PHASE (start or end)
#   follow_seen ID EPOCH           ID's follow hook ended with EPOCH
#   last_in_list NAME              NAME's znode is last in zkelectctl list
#   znode_changed NAME OLD         NAME's state has a znode other than OLD
#   zkcli CMD...                   run ZooKeeper's own CLI against our server
#   zkdelete PATH, zkdeleteall PATH  delete znodes behind the daemons' backs (fast)
#   hook_seen_reason ID EVENT PHASE REGEX   likewise, with a reason matching REGEX
#   list_count N                   zkelectctl list (with a.conf) shows N contenders
#   start_queue NAME...            start them in order: the first leads, the rest follow
#   event_mark ID WHAT...          add a mark (FAULT, HEAL, KILL...) to the event log
#   check_log SESSION_MS           run test/check_invariants.py over the event log
#   promote_tries                  the promote runs the daemons began, from their logs
#   not_alive PID                  the process is gone (or a zombie)

role_is() {
	[ "$(state_of "$1" ROLE 2>/dev/null)" = "$2" ]
}

all_roles() {
	local role=$1 n
	shift
	for n in "$@"; do
		role_is "$n" "$role" || return 1
	done
}

test_leaders() {
	[ "$(leader_count)" -eq "$1" ]
}

leader_name_other_than() {
	local n
	for n in "${!DAEMON_PIDS[@]}"; do
		[ "$n" = "${1:-}" ] && continue
		daemon_running "$n" && role_is "$n" leader && { echo "$n"; return 0; }
	done
	return 1
}

leader_name() {
	leader_name_other_than ""
}

new_leader_other_than() {
	leader_name_other_than "$1" >/dev/null
}

hook_seen() {
	hook_awk "$1" "$3" -v e="$2" 'event == e' | grep -q .
}

follow_seen() {
	hook_awk "$1" end -v e="$2" 'event == "follow" && epoch == e' | grep -q .
}

last_in_list() {
	local out
	out=$("$ZKELECTCTL" -c "$T/$1.conf" list 2>/dev/null) || return 1
	[ "$(echo "$out" | tail -n 1 | cut -f4)" = "$(state_of "$1" ZNODE)" ]
}

znode_changed() {
	local z
	z=$(state_of "$1" ZNODE)
	[ -n "$z" ] && [ "$z" != "$2" ]
}

zkcli() {
	/usr/share/zookeeper/bin/zkCli.sh -server "$ZK_HOSTS" "$@" >>"$T/zkcli.log" 2>&1
}

# zkdelete PATH / zkdeleteall PATH: delete behind the daemons' backs (test/zktool.c).
zkdelete() {
	"$(dirname "$ZKELECTD")/zktool" "$ZK_HOSTS" delete "$1" 2>>"$T/zkcli.log"
}

zkdeleteall() {
	"$(dirname "$ZKELECTD")/zktool" "$ZK_HOSTS" deleteall "$1" 2>>"$T/zkcli.log"
}

# hook_seen_reason ID EVENT PHASE REGEX: ID's EVENT logged PHASE with a reason matching REGEX.
hook_seen_reason() {
	hook_awk "$1" "$3" -v e="$2" -v r="^($4)\$" 'event == e && reason ~ r' | grep -q .
}

# list_count N: zkelectctl list shows N contenders.
list_count() {
	local out
	out=$("$ZKELECTCTL" -c "$T/a.conf" list 2>/dev/null) || return 1
	[ "$(printf '%s\n' "$out" | grep -c .)" -eq "$1" ]
}

# start_queue NAME...: start the daemons (configs already written) in this order,
# each once the one before is in place: the first leads (its promote ended),
# the others follow (their follow hook ended, so nothing of their start-up
# runs later), queued in the order given. A daemon with a [status] listen
# port starts through daemon_start_listening (status_port says the port then).
start_queue() {
	local n first=$1
	for n in "$@"; do
		if [ -n "$(status_port "$n")" ]; then
			daemon_start_listening "$n"
		else
			daemon_start "$n"
		fi
		if [ "$n" = "$first" ]; then
			wait_for "$n to lead" 20 role_is "$n" leader
			wait_for "$n's promote to end" 10 hook_seen "$n" promote end
		else
			wait_for "$n to follow" 20 role_is "$n" follower
			wait_for "$n's follow to end" 10 hook_seen "$n" follow end
		fi
	done
}

# event_mark ID WHAT [ARG...]: append "NS ID WHAT [ARG...]" (ID "-" for none) to the
# event log the hooks write, for the checker (lib.sh: the marks' layout; hook_awk,
# hook_lines and hook_read skip them).
event_mark() {
	echo "$(($(now_us) * 1000)) $*" >>"$T/hooks.log"
}

# promote_tries: a "NS NAME TRY promote" line for each promote run a daemon of
# this test began, from its log ($T/NAME.log): a run stopped within
# milliseconds may die before the hook's first instruction and leave no line
# of its own in the event log (test/check_invariants.py, rule b).
promote_tries() {
	local name
	for name in "${!DAEMON_PIDS[@]}"; do
		[ -e "$T/$name.log" ] || continue
		"$PYTHON" - "$name" "$T/$name.log" <<'PY'
import datetime, sys
name, path = sys.argv[1:3]
with open(path, errors="replace") as f:
    for line in f:
        if "role: running promote" not in line:
            continue
        try:
            t = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
        except ValueError:
            continue  # no timestamp (a journal stream)
        t = t.replace(tzinfo=datetime.timezone.utc)
        print("%d %s TRY promote" % (int(t.timestamp()) * 10**9 + t.microsecond * 1000, name))
PY
	done
}

# check_log SESSION_MS: mark the end and run the invariant checker over the event log.
check_log() {
	{ echo "0 - CONFIG session_timeout_ms=$1"; cat "$T/hooks.log"; promote_tries; } >"$T/run.log"
	echo "$(($(now_us) * 1000)) - END" >>"$T/run.log"
	"$PYTHON" "$ROOT/test/check_invariants.py" "$T/run.log" >"$T/checker.out" ||
		fail "invariant checker: $(grep -E 'VIOLATION|verdict' "$T/checker.out")"
}

# not_alive PID: the process is gone (a zombie counts as gone).
not_alive() {
	! kill -0 "$1" 2>/dev/null || [[ $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) == Z* ]]
}
