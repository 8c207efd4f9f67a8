#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: sanitizer build only (hostile input: the ASan+UBSan run is the one that matters)
# run.sh: long
# [status] listen: the read-only HTTP endpoint. /leader, /follower and /health
# answer 200 or 503 for HAProxy-style checks; /status is the state as JSON
# (it parses, whatever the leader data holds; what is not known is null);
# /metrics parses as Prometheus text format, the watchdog's and the image's
# gauges among it; other paths 404, other methods 405; a reload moves it.
# The follower b has a watchdog (a stand-in): disarmed while it follows, armed
# and kicked once it leads, in /status, /metrics and `zkelectctl status`.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# http METHOD PORT PATH: print the status code, the body into $T/body.
http() {
	"$PYTHON" - "$@" "$T/body" <<'PY'
import sys, urllib.request, urllib.error
method, port, path, out = sys.argv[1:5]
req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), method=method,
                             data=b"" if method == "POST" else None)
try:
    r = urllib.request.urlopen(req, timeout=5); code, body = r.status, r.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
except OSError:
    code, body = 0, b""
open(out, "wb").write(body)
print(code)
PY
}

# expect_code METHOD PORT PATH CODE
expect_code() {
	local got
	got=$(http "$1" "$2" "$3")
	[ "$got" = "$4" ] || fail "$1 $3 on port $2: $got, expected $4 ($(head -c 200 "$T/body"))"
}

# True when GET PORT PATH answers CODE.
answers() {
	[ "$(http GET "$1" "$2")" = "$3" ]
}

data='he said "hi" \ and left'
zk_start
write_conf a "status.listen=127.0.0.1:$(free_port)" "election.data=$data"
wd_start b 800
write_conf b "status.listen=127.0.0.1:$(free_port)" "zookeeper.session_timeout=3s" \
    "watchdog.mode=automatic" "watchdog.device=$T/b/wd" "watchdog.timeout=800ms"
start_queue a b
pa=$(status_port a)
pb=$(status_port b)
wait_for "a's endpoint" 10 answers "$pa" /leader 200
expect_code GET "$pa" /leader 200
expect_code GET "$pb" /leader 503
expect_code GET "$pb" /follower 200
expect_code GET "$pa" /follower 503
expect_code GET "$pa" /health 200
expect_code GET "$pb" /health 200
expect_code GET "$pa" /nope 404
expect_code POST "$pa" /leader 405

expect_code GET "$pb" /status 200
"$PYTHON" - "$T/body" "$data" "$(state_of b EPOCH)" <<'PY' || fail "b's /status JSON: $(cat "$T/body")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["role"] == "follower", d
assert d["leader_id"] == "a", d
assert d["leader_data"] == sys.argv[2], d["leader_data"]
assert d["epoch"] == int(sys.argv[3]), d
assert isinstance(d["pid"], int) and isinstance(d["transitions"], int), d
for k in ("id", "znode", "session_id", "zk_state", "health", "since", "updated",
          "last_hook", "last_hook_status"):
    assert k in d, k
assert d["health"] == "none" and d["zk_state"] == "connected", d
# a watchdog not armed yet (never kicked: null), no upgrade, the image's start
assert d["watchdog"] == "disarmed" and d["watchdog_timeout_ms"] == 800, d
assert d["watchdog_last_kick_ms"] is None and d["upgrade"] == "", d
assert isinstance(d["image_started_ms"], int) and d["image_started_ms"] > 0, d
PY
expect_code GET "$pa" /status 200
"$PYTHON" - "$T/body" <<'PY' || fail "a's /status JSON: $(cat "$T/body")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["watchdog"] == "off" and d["watchdog_timeout_ms"] is None, d
PY
zkctl a status >"$T/status.out" || fail "zkelectctl status exited $?"
grep -qx "  watchdog: *off" "$T/status.out" || fail "a's status: $(cat "$T/status.out")"
grep -q "upgrade:" "$T/status.out" && fail "a's status shows an upgrade: $(cat "$T/status.out")"

expect_code GET "$pa" /metrics 200
"$PYTHON" - "$T/body" <<'PY' || fail "a's /metrics: $(cat "$T/body")"
import re, sys, time
sample = re.compile(r'^(zkelectd_[a-z_]+)(\{[a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*\})? '
                    r'(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)$')
typed, seen = set(), {}
for line in open(sys.argv[1]).read().splitlines():
    if line.startswith("# TYPE "):
        name, kind = line.split()[2:4]
        assert kind in ("gauge", "counter"), line
        typed.add(name)
        continue
    if line.startswith("# HELP ") or not line:
        continue
    m = sample.match(line)
    assert m, "not a sample: %r" % line
    assert m.group(1) in typed, "no TYPE for %s" % m.group(1)
    seen[m.group(1) + (m.group(2) or "")] = float(m.group(4))
assert seen['zkelectd_role{role="leader"}'] == 1, seen
assert seen['zkelectd_role{role="follower"}'] == 0, seen
assert seen['zkelectd_hook_runs_total{hook="promote",outcome="ok"}'] == 1, seen
assert seen["zkelectd_zk_connected"] == 1, seen
for name in ("zkelectd_leader_changes_total", "zkelectd_session_expirations_total",
             "zkelectd_connection_losses_total", "zkelectd_healthy", "zkelectd_role_seconds",
             'zkelectd_hook_duration_seconds_total{hook="demote"}',
             'zkelectd_health_checks_total{result="ok"}', "zkelectd_watchdog_timeout_seconds"):
    assert name in seen, name
assert seen["zkelectd_watchdog_armed"] == 0, seen
assert seen["zkelectd_watchdog_last_kick_seconds"] == -1, seen
assert abs(seen["zkelectd_image_start_time_seconds"] - time.time()) < 300, seen
PY

# a reload moves the endpoint at once, without a role change
pa2=$(free_port)
write_conf a "status.listen=127.0.0.1:$pa2" "election.data=$data"
transitions=$(state_of a TRANSITIONS)
daemon_stop a HUP
wait_for "a's endpoint on its new port" 10 answers "$pa2" /leader 200
expect_code GET "$pa" /leader 0
[ "$(state_of a TRANSITIONS)" = "$transitions" ] || fail "the reload changed a's role"

# a reload to a port someone else holds keeps the old endpoint, and says so
pa3=$(free_port)
"$PYTHON" -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); open(sys.argv[2], "w").close()
time.sleep(60)' "$pa3" "$T/busy.ready" &
busy=$!
wait_for "the port squatter" 10 test -e "$T/busy.ready"
write_conf a "status.listen=127.0.0.1:$pa3" "election.data=$data"
daemon_stop a HUP
wait_for "the failed move to be logged" 10 grep -q "the status endpoint stays on 127.0.0.1:$pa2" "$T/a.log"
grep -q "new settings applied, except \[status\] listen" "$T/a.log" ||
	fail "the reload claimed every setting applied"
expect_code GET "$pa2" /leader 200
kill "$busy"
wait "$busy" 2>/dev/null || true
daemon_stop a
expect_code GET "$pb" /leader 200

# b leads: its watchdog is armed and kicked
expect_code GET "$pb" /status 200
"$PYTHON" - "$T/body" <<'PY' || fail "b's /status JSON as the leader: $(cat "$T/body")"
import json, sys, time
d = json.load(open(sys.argv[1]))
assert d["watchdog"] == "armed" and d["watchdog_timeout_ms"] == 800, d
assert abs(d["watchdog_last_kick_ms"] / 1000 - time.time()) < 60, d
PY
expect_code GET "$pb" /metrics 200
grep -qx "zkelectd_watchdog_armed 1" "$T/body" || fail "b's /metrics: $(cat "$T/body")"
grep -qx "zkelectd_watchdog_timeout_seconds 0.800" "$T/body" || fail "b's /metrics: $(cat "$T/body")"
grep -qE "^zkelectd_watchdog_last_kick_seconds [0-9]+\.[0-9]+$" "$T/body" ||
	fail "b's /metrics: $(cat "$T/body")"
zkctl b status >"$T/status.out" || fail "zkelectctl status exited $?"
grep -qE "^  watchdog: +armed, timeout 800 ms, last kick [0-9]+\.[0-9] s ago$" "$T/status.out" ||
	fail "b's status: $(cat "$T/status.out")"
pass
