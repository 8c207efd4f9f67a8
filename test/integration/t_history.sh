#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for and the trap
# run.sh: plain build only (the same code runs under ASan in t_switchover and t_pause)
# The leader history (issue 12), five changes of leader among a, b and c, one
# of each kind: a is elected first; a resigns (b leads: resign); b's zkelectd
# is stopped (c leads: graceful handover); a switchover to a, asked with
# zkelectctl (switchover, asked by user@host[pid]); a's zkelectd is killed (c,
# the next in line, leads once a's session expired: session expired). After
# each change the test waits for the new leader's record, never a fixed time.
# Then `zkelectctl history --json` holds exactly those five records, oldest
# first: leaders, epochs (from the state files) and the leader before each,
# causes, who asked, and how long nobody led (known after the three changes a
# leader chose, unknown for the first and after the kill); `history -n 2`
# prints the last two as tab-separated lines. A `watch --json` started before
# any daemon printed no leader, then each new leader with its cause.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

WATCH_PID=""

# How many records `zkelectctl history --json` shows (a's config: any would do).
records() {
	"$ZKELECTCTL" -c "$T/a.conf" history --json 2>>"$T/zkelectctl.log" |
		"$PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

# True once the history holds N records or more.
has_records() {
	[ "$(records)" -ge "$1" ]
}

# True once the watch's last line names leader ID with a cause.
watch_says() {
	tail -n 1 "$T/watch.out" | grep -q "\"leader\":\"$1\".*\"cause\":\""
}

# Stop the watch if the test failed half-way, then lib.sh's cleanup.
stop_watch() {
	local rc=$?
	if [ -n "$WATCH_PID" ]; then
		kill -s KILL "$WATCH_PID" 2>/dev/null || true
		wait "$WATCH_PID" 2>/dev/null || true
	fi
	return "$rc"
}
trap 'stop_watch; cleanup' EXIT

zk_start
for n in a b c; do
	write_conf "$n"
done
"$ZKELECTCTL" -c "$T/a.conf" watch --json >"$T/watch.out" 2>"$T/watch.log" &
WATCH_PID=$!
wait_for "the watch's first line" 10 grep -q . "$T/watch.out"

# 1. a is elected: the first leader of this election path
start_queue a b c
declare -A epoch=()
epoch[a1]=$(state_of a EPOCH)
wait_for "a's record" 10 has_records 1

# 2. a resigns: b leads
zkctl a resign || fail "resign exited $?"
wait_for "b to lead" 20 role_is b leader
epoch[b]=$(state_of b EPOCH)
wait_for "b's record" 10 has_records 2

# 3. b's zkelectd stops: it demotes and hands over, c leads
daemon_stop b
[ "$LAST_EXIT" -eq 0 ] || fail "b's zkelectd exited $LAST_EXIT on SIGTERM"
wait_for "c to lead" 20 role_is c leader
epoch[c1]=$(state_of c EPOCH)
wait_for "c's record" 10 has_records 3

# 4. a switchover to a
zkctl c switchover --to a --wait 30s >"$T/switch.out" ||
	fail "switchover exited $?: $(cat "$T/switch.out")"
wait_for "a to lead" 20 role_is a leader
epoch[a2]=$(state_of a EPOCH)
wait_for "a's second record" 10 has_records 4

# 5. a's zkelectd is killed: c, the next in line, leads once a's session expired
daemon_stop a KILL
wait_for "c to lead once a's session expired" 20 role_is c leader
epoch[c2]=$(state_of c EPOCH)
wait_for "c's second record" 10 has_records 5

zkctl c history --json >"$T/history.json" || fail "history --json exited $?"
"$PYTHON" - "$T/history.json" "$(id -un)" "$(hostname)" "${epoch[a1]}" "${epoch[b]}" \
	"${epoch[c1]}" "${epoch[a2]}" "${epoch[c2]}" <<'PY' || fail "history --json: $(cat "$T/history.json")"
import json, re, sys
path, user, host = sys.argv[1:4]
e = [int(x) for x in sys.argv[4:9]]
got = json.load(open(path, encoding="utf-8"))
keys = ["time", "leader", "epoch", "previous", "previous_epoch", "cause", "by",
        "leaderless_ms", "promote"]
# leader, epoch, previous, its epoch, cause, asked, leaderless known
want = [("a", e[0], None, None, "elected", False, False),
        ("b", e[1], "a", e[0], "resign", False, True),
        ("c", e[2], "b", e[1], "graceful handover", False, True),
        ("a", e[3], "c", e[2], "switchover", True, True),
        ("c", e[4], "a", e[3], "session expired", False, False)]
if len(got) != len(want):
    sys.exit("%d records, not %d" % (len(got), len(want)))
times = []
for n, (g, w) in enumerate(zip(got, want), 1):
    if list(g) != keys:
        sys.exit("record %d: keys %r" % (n, list(g)))
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", g["time"]):
        sys.exit("record %d: time %r" % (n, g["time"]))
    times.append(g["time"])
    have = (g["leader"], g["epoch"], g["previous"], g["previous_epoch"], g["cause"])
    if have != w[:5]:
        sys.exit("record %d: %r, not %r" % (n, have, w[:5]))
    if w[5] != (g["by"] is not None):
        sys.exit("record %d: by %r" % (n, g["by"]))
    m = re.fullmatch(r"%s@(.+)\[\d+\]" % re.escape(user), g["by"] or "")
    if w[5] and not (m and host.startswith(m.group(1))):  # a long host name is cut
        sys.exit("record %d: by %r is not %s@%s[PID]" % (n, g["by"], user, host))
    if w[6] != isinstance(g["leaderless_ms"], int) or (w[6] and g["leaderless_ms"] < 0):
        sys.exit("record %d: leaderless_ms %r" % (n, g["leaderless_ms"]))
    if g["promote"] != "ok":
        sys.exit("record %d: promote %r" % (n, g["promote"]))
if times != sorted(times):
    sys.exit("not oldest first: %r" % times)
PY

# the last two, as text: time leader epoch previous epoch cause leaderless promote
zkctl b history -n 2 >"$T/history.txt" || fail "history -n 2 exited $?"
[ "$(grep -c . "$T/history.txt")" -eq 2 ] || fail "history -n 2 printed: $(cat "$T/history.txt")"
IFS=$'\t' read -r _ l1 e1 p1 pe1 cause1 gap1 ok1 < <(sed -n 1p "$T/history.txt")
IFS=$'\t' read -r _ l2 e2 p2 pe2 cause2 gap2 ok2 < <(sed -n 2p "$T/history.txt")
[ "$l1 $e1 $p1 $pe1 $ok1" = "a ${epoch[a2]} c ${epoch[c1]} ok" ] ||
	fail "history -n 2, first line: $(sed -n 1p "$T/history.txt")"
[[ $cause1 == "switchover, asked by $(id -un)@"* ]] || fail "the switchover's cause: $cause1"
[[ $gap1 =~ ^[0-9.]+m?s$ ]] || fail "the switchover's leaderless time: $gap1"
[ "$l2 $e2 $p2 $pe2 $cause2 $gap2 $ok2" = \
	"c ${epoch[c2]} a ${epoch[a2]} session expired unknown ok" ] ||
	fail "history -n 2, second line: $(sed -n 2p "$T/history.txt")"
zkctl b history >"$T/all.txt" || fail "history exited $?"
[ "$(grep -c . "$T/all.txt")" -eq 5 ] || fail "history printed: $(cat "$T/all.txt")"
[ "$(tail -n 2 "$T/all.txt")" = "$(cat "$T/history.txt")" ] || fail "-n 2 is not the last two"
rc=0
zkctl b history -n 0 >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "history -n 0 exited $rc, not 2"

# the watch saw each new leader with its record's cause
wait_for "the watch to say c leads" 10 watch_says c
kill -s TERM "$WATCH_PID"
reap "$WATCH_PID" 10
WATCH_PID=""
[ "$REAPED" -eq 0 ] || fail "the watch exited $REAPED on SIGTERM: $(cat "$T/watch.log")"
"$PYTHON" - "$T/watch.out" <<'PY' >"$T/watch.got" || fail "the watch's output: $(cat "$T/watch.out")"
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    print(o["leader"] or "-", o["epoch"] if o["epoch"] is not None else "-", o["cause"] or "-")
PY
want="- - -
a ${epoch[a1]} elected
b ${epoch[b]} resign
c ${epoch[c1]} graceful handover
a ${epoch[a2]} switchover
c ${epoch[c2]} session expired"
[ "$(cat "$T/watch.got")" = "$want" ] || fail "the watch printed
$(cat "$T/watch.got")
not
$want"
pass
