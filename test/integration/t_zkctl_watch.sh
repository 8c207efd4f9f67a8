#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for and the trap
# run.sh: plain build only
# (zkelectctl's code runs under ASan+UBSan in t_zkctl_leader_list and t_list_escape)
# zkelectctl watch follows the leader as the followers do. Started before anyone
# contends, `watch --json` says "no leader", then a (elected), b (a resigned),
# c or a (b killed, once its session expired), each exactly once, in order, with
# the epochs of the daemons' state files, one valid JSON object per line. A text
# watch through a fault proxy prints the same changes as tab-separated lines,
# rides out a connection reset during which the leader resigns (it reports the
# new leader once connected again), and exits 0 on SIGINT; another exits 0 on
# SIGTERM. `list --json` and `status --json` parse and say what `list` and the
# state file say. With ZooKeeper stopped for longer than the session timeout,
# the JSON watch exits non-zero saying that the session is lost.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

declare -A WATCH_PIDS=()
ZKPUT_BIN=$(dirname "$ZKELECTD")/zkput
G=0123456789abcdef # the GUID of the ghost contender

# zkput OP PATH DATA: write behind the daemons' backs (test/zkput.c).
zkput() {
	"$ZKPUT_BIN" "$ZK_HOSTS" "$@"
}

# Start `zkelectctl -c CONF watch ARGS...` in the background as NAME: stdout to
# $T/watch-NAME.out, stderr to $T/watch-NAME.log (checked for sanitizer
# reports). Bash ignores SIGINT in background jobs; python puts it back to the
# default before the exec, so the watch's SIGINT can be tested.
watch_start() {
	local name=$1 conf=$2
	shift 2
	"$PYTHON" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$ZKELECTCTL" -c "$conf" watch "$@" \
		>"$T/watch-$name.out" 2>"$T/watch-$name.log" &
	WATCH_PIDS[$name]=$!
}

# Wait up to SECS for watch NAME to exit; WATCH_EXIT = its status.
watch_reap() {
	reap "${WATCH_PIDS[$1]}" "$2"
	WATCH_EXIT=$REAPED
	unset "WATCH_PIDS[$1]"
}

# True once watch NAME has printed N lines or more.
watch_has() {
	[ "$(wc -l <"$T/watch-$1.out")" -ge "$2" ]
}

# True once watch NAME's last line names leader ID (text or JSON), or (ID null) nobody.
watch_says() {
	local last
	last=$(tail -n 1 "$T/watch-$1.out")
	[ "$2" = null ] && [[ $last == *'"leader":null,'* ]] && return 0
	[[ $last == *$'\t'"$2"$'\t'* || $last == *'"leader":"'"$2"'"'* ]]
}

# The changes of JSON watch NAME as "LEADER EPOCH" lines ("- -" for no leader),
# after checking that each line is one JSON object with exactly the keys of the
# contract, a time in ISO 8601 UTC with milliseconds, and a cause from the
# history (one of its names, or null) only for a line with a leader.
json_changes() {
	"$PYTHON" - "$T/watch-$1.out" <<'PY'
import json, re, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try:
        o = json.loads(line)
    except ValueError as e:
        sys.exit("line %d is not JSON (%s): %r" % (n, e, line))
    if not isinstance(o, dict) or sorted(o) != ["cause", "data", "epoch", "leader", "time"]:
        sys.exit("line %d: not the keys time leader epoch data cause: %r" % (n, line))
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["time"]):
        sys.exit("line %d: time %r is not ISO 8601 UTC with ms" % (n, o["time"]))
    causes = {"elected", "graceful handover", "resign", "health", "promote failed",
              "switchover", "forced", "pause-ended", "session expired", "connection lost"}
    if o["cause"] is not None and (o["leader"] is None or o["cause"] not in causes):
        sys.exit("line %d: cause %r" % (n, o["cause"]))
    if o["leader"] is None:
        if o["epoch"] is not None or o["data"] is not None:
            sys.exit("line %d: no leader, but epoch or data: %r" % (n, line))
        print("- -")
        continue
    if not isinstance(o["epoch"], int) or o["data"] != 'host=%s say="hi" at=C:\\db' % o["leader"]:
        sys.exit("line %d: epoch or data not as announced: %r" % (n, line))
    print(o["leader"], o["epoch"])
PY
}

# The changes of text watch NAME as "LEADER EPOCH" lines, after checking the fields.
text_changes() {
	local time id epoch data cause
	while IFS=$'\t' read -r time id epoch data cause; do
		[[ $time =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]] ||
			fail "text watch $1: time '$time'"
		if [ "$epoch" = - ]; then
			[ "$cause" = - ] || fail "text watch $1: no leader, but cause '$cause'"
			[ "$id $data" = "- -" ] || fail "text watch $1: no leader, but '$id' '$data'"
		else
			[ "$data" = "host=$id say=\"hi\" at=C:\\\\db" ] || fail "text watch $1: data '$data'"
		fi
		echo "$id $epoch"
	done <"$T/watch-$1.out"
}

# Kill the watches still running (the test failed half-way), then lib.sh's cleanup.
stop_watches() {
	local rc=$? name
	for name in "${!WATCH_PIDS[@]}"; do
		kill -s KILL "${WATCH_PIDS[$name]}" 2>/dev/null || true
		wait "${WATCH_PIDS[$name]}" 2>/dev/null || true
	done
	return "$rc"
}
trap 'stop_watches; cleanup' EXIT

zk_start
for n in a b c; do
	write_conf "$n" "election.data=host=$n say=\"hi\" at=C:\\db"
done
proxy_start w
write_conf w "zookeeper.hosts=127.0.0.1:${PROXY_PORT[w]}" "zookeeper.session_timeout=8s"

# before anyone contends: "no leader" first
watch_start json "$T/a.conf" --json
watch_start text "$T/w.conf"
wait_for "the JSON watch's first line" 10 watch_has json 1
wait_for "the text watch's first line" 10 watch_has text 1

daemon_start a
wait_for "a to lead" 20 role_is a leader
want="- -"$'\n'"a $(state_of a EPOCH)"
daemon_start b
wait_for "b to follow" 20 role_is b follower
daemon_start c
wait_for "c to follow" 20 role_is c follower
wait_for "the JSON watch to say a leads" 10 watch_says json a

zkctl a resign || fail "resign exited $?"
wait_for "b to lead" 20 role_is b leader
want+=$'\n'"b $(state_of b EPOCH)"
wait_for "the JSON watch to say b leads" 10 watch_says json b

daemon_stop b KILL
wait_for "c or a to lead once b's session expired" 20 new_leader_other_than b
now=$(leader_name_other_than b)
want+=$'\n'"$now $(state_of "$now" EPOCH)"
wait_for "the JSON watch to say $now leads" 10 watch_says json "$now"
wait_for "the text watch to say $now leads" 10 watch_says text "$now"

# list --json and status --json say what list and the state files say
zkctl a list >"$T/list.txt" || fail "list exited $?"
zkctl a list --json >"$T/list.json" || fail "list --json exited $?"
"$PYTHON" - "$T/list.txt" "$T/list.json" <<'PY' || fail "list --json is not list: $(cat "$T/list.json")"
import json, sys
text = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")]
got = json.load(open(sys.argv[2], encoding="utf-8"))
want = [{"position": int(p), "id": i, "epoch": int(e), "znode": z,
         "data": d.replace("\\\\", "\\"), "priority": int(pr)} for p, i, e, z, d, pr in text]
if len(want) != 2 or got != want:
    sys.exit("list --json %r, list %r" % (got, want))
PY
for n in "$now" b; do
	rc=0
	zkctl "$n" status --json >"$T/status.json" || rc=$?
	if [ "$n" = b ]; then
		[ "$rc" -eq 3 ] || fail "status --json of killed b exited $rc, not 3"
	else
		[ "$rc" -eq 0 ] || fail "status --json of $n exited $rc"
	fi
	"$PYTHON" - "$T/$n/zkelectd.state" "$T/status.json" <<'PY' || fail "status --json of $n: $(cat "$T/status.json")"
import json, shlex, sys
state = dict(l.split("=", 1) for l in shlex.split(open(sys.argv[1]).read(), posix=True))
got = json.load(open(sys.argv[2], encoding="utf-8"))
numbers = {"epoch", "pid", "since", "updated", "transitions", "watchdog_timeout_ms",
           "watchdog_last_kick_ms", "image_started_ms", "pause_ends_ms"}
if list(got) != [k.lower() for k in state]:
    sys.exit("keys %r, the state file has %r" % (list(got), list(state)))
for k, v in state.items():
    w = (int(v) if v else None) if k.lower() in numbers else v
    if k == "PAUSED":
        w = {"yes": True, "no": False}.get(v)
    if got[k.lower()] != w:
        sys.exit("%s: %r, the state file says %r" % (k.lower(), got[k.lower()], v))
if got["role"] not in ("leader", "follower") or not isinstance(got["pid"], int):
    sys.exit("role %r pid %r" % (got["role"], got["pid"]))
PY
done

# the text watch loses its connection (reset) while the leader resigns: once
# connected again (same session) it reports the new leader
proxy_mode w reset
zkctl "$now" resign || fail "resign of $now exited $?"
wait_for "a new leader after $now resigned" 20 new_leader_other_than "$now"
next=$(leader_name_other_than "$now")
want+=$'\n'"$next $(state_of "$next" EPOCH)"
proxy_mode w pass
wait_for "the text watch to say $next leads after the reset" 10 watch_says text "$next"
wait_for "the JSON watch to say $next leads" 10 watch_says json "$next"
kill -s INT "${WATCH_PIDS[text]}"
watch_reap text 10
[ "$WATCH_EXIT" -eq 0 ] || fail "the text watch exited $WATCH_EXIT on SIGINT: $(cat "$T/watch-text.log")"
got=$(text_changes text)
[ "$got" = "$want" ] || fail "the text watch printed
$got
not
$want"

# SIGTERM: exit 0, after the current leader as first line
watch_start term "$T/c.conf"
wait_for "the third watch's first line" 10 watch_has term 1
[ "$(text_changes term)" = "$next $(state_of "$next" EPOCH)" ] ||
	fail "the third watch started with $(cat "$T/watch-term.out")"
kill -s TERM "${WATCH_PIDS[term]}"
watch_reap term 10
[ "$WATCH_EXIT" -eq 0 ] || fail "the watch exited $WATCH_EXIT on SIGTERM: $(cat "$T/watch-term.log")"

# rule 20: an announcement naming a live contender with another epoch names
# nobody (the leader replaces it), and the leader announcing itself again after
# its announcement was deleted is no change: no line for either
other=c
[ "$next" = c ] && other=a
zkput set "$ELECTION_PATH/leader" "$(printf 'zkelectd-leader 1 999999999999 %s %s\nforged' \
	"$(basename "$(state_of "$other" ZNODE)")" "$other")" >/dev/null 2>>"$T/zkput.log" ||
	fail "zkput: cannot forge the announcement: $(cat "$T/zkput.log")"
wait_for "$next to replace the forgery" 10 grep -q 'no live contender: replacing it' "$T/$next.log"
zkdelete "$ELECTION_PATH/leader" || fail "cannot delete the announcement"

# the follower leaves (no line), then the leader, with nobody left: "no leader"
daemon_stop "$other"
daemon_stop "$next"
want+=$'\n'"- -"
wait_for "the JSON watch to say nobody leads" 10 watch_says json null

# a leads again, then leaves with a contender behind it that never announces
# (a ghost): "no leader" once a session timeout passed without an announcement
daemon_start a
wait_for "a to lead again" 20 role_is a leader
want+=$'\n'"a $(state_of a EPOCH)"
zkput seq "$ELECTION_PATH/n_${G}_ghost-" ghost >/dev/null 2>>"$T/zkput.log" ||
	fail "zkput: cannot add the ghost: $(cat "$T/zkput.log")"
wait_for "the JSON watch to say a leads again" 10 watch_says json a
daemon_stop a
want+=$'\n'"- -"
wait_for "the JSON watch to say nobody leads with the ghost first" 10 watch_says json null

# ZooKeeper gone for longer than the session timeout (2 s): the session is lost
zk_stop
watch_reap json 10
if [ "$WATCH_EXIT" -eq 0 ] || [ "$WATCH_EXIT" -ge 128 ]; then
	fail "the JSON watch exited $WATCH_EXIT once ZooKeeper was gone"
fi
grep -q "session is lost" "$T/watch-json.log" || fail "the JSON watch said: $(cat "$T/watch-json.log")"
got=$(json_changes json) || fail "the JSON watch's output: $got"
[ "$got" = "$want" ] || fail "the JSON watch printed
$got
not
$want"
pass
