#!/bin/bash
# run.sh: plain build only
# shellcheck disable=SC2317 # functions called through wait_for
# One daemon lifecycle under valgrind memcheck: a (under valgrind, with a health
# check and the HTTP status endpoint) leads, resigns (b leads, a follows),
# reloads a changed configuration on SIGHUP, leads again once b stops, answers
# /status, and stops on SIGTERM. Memcheck must find zero errors and zero
# definitely or indirectly lost blocks; test/valgrind.supp holds the library's
# own leaks (each entry says why it is not ours). Valgrind is slow: a session
# timeout of 6 s keeps the session alive while it starts and checks leaks.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

command -v valgrind >/dev/null || fail "valgrind is not installed (apt-get install valgrind)"
VG_LOG=$T/a.valgrind.log

# Start NAME's daemon under valgrind memcheck, logging like daemon_start does.
daemon_start_valgrind() {
	local name=$1
	local -a supp=()
	[ -e "$ROOT/test/valgrind.supp" ] && supp=(--suppressions="$ROOT/test/valgrind.supp")
	echo "--- $(date '+%T.%N') daemon_start (valgrind)" >>"$T/$name.log"
	valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no \
		--child-silent-after-fork=yes --num-callers=40 "${supp[@]}" \
		--log-file="$VG_LOG" "$ZKELECTD" -c "$T/$name.conf" </dev/null >>"$T/$name.log" 2>&1 &
	DAEMON_PIDS[$name]=$!
}

# True when a's log has more than N lines holding the fixed string S.
log_more() {
	[ "$(grep -cF -- "$2" "$T/a.log")" -gt "$1" ]
}

# The HTTP status code of GET /PATH on a's status port (0 when it does not answer).
http_code() {
	"$PYTHON" - "$PORT" "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen("http://127.0.0.1:%s/%s" % tuple(sys.argv[1:3]), timeout=10).status)
except urllib.error.HTTPError as e:
    print(e.code)
except OSError:
    print(0)
PY
}

# True when a's /status answers 200.
status_ok() {
	[ "$(http_code status)" = 200 ]
}

zk_start
PORT=$(free_port)
common=("zookeeper.session_timeout=6s" "hooks.timeout=30s"
	"health.command=$T/hook.sh" "health.interval=500ms" "health.timeout=10s")
write_conf a "${common[@]}" "status.listen=127.0.0.1:$PORT" "election.data=one"
write_conf b "${common[@]}"

daemon_start_valgrind a
wait_for "a to lead" 60 role_is a leader
wait_for "a's promote to end" 30 hook_seen a promote end
daemon_start b
wait_for "b to follow" 30 role_is b follower
wait_for "a's /status" 30 status_ok

# resign: a demotes, b leads, a follows
zkctl a resign || fail "zkelectctl resign failed"
wait_for "b to lead" 60 role_is b leader
wait_for "a to follow" 60 role_is a follower

# SIGHUP with a changed configuration: applied (a new health interval, new data)
applied="reload: new settings applied"
reloads=$(grep -cF "$applied" "$T/a.log")
write_conf a "${common[@]}" "status.listen=127.0.0.1:$PORT" "election.data=two" \
	"health.interval=700ms"
daemon_stop a HUP
wait_for "a to apply the reload" 30 log_more "$reloads" "$applied"
wait_for "a to follow after the reload" 60 role_is a follower

# b goes: a leads again
daemon_stop b TERM
wait_for "a to lead again" 60 role_is a leader
wait_for "a's /status after the reload" 30 status_ok

# SIGTERM: a demotes and exits; valgrind checks for leaks at the exit
pid=$(daemon_pid a)
kill -s TERM "$pid"
reap "$pid" 120
[ "$REAPED" -ne 99 ] || fail "valgrind found errors or leaks: $(grep -A40 -m1 -E 'definitely|indirectly|Invalid|uninitialised|Mismatched' "$VG_LOG")"
[ "$REAPED" -eq 0 ] || fail "a exited with status $REAPED under valgrind"
grep -q 'ERROR SUMMARY: 0 errors' "$VG_LOG" || fail "valgrind: $(grep 'ERROR SUMMARY' "$VG_LOG")"
if grep -qE '(definitely|indirectly) lost: [1-9]' "$VG_LOG"; then
	fail "valgrind leak summary: $(grep -A6 'LEAK SUMMARY' "$VG_LOG")"
fi
hook_seen_reason a demote end shutdown || fail "a stopped without its shutdown demote: $(hook_lines a)"
pass
