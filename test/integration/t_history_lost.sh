#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (the same code runs under ASan in t_switchover and t_pause)
# The history tells a lost connection from a crash: a's link to ZooKeeper goes
# silent, a demotes at its deadline (connection-lost), its session expires and
# b leads; b's record says "session expired" (b cannot know better) until a,
# back in touch, amends it to "connection lost". A leader that crashes never
# does (t_history: its record keeps "session expired").
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's log says it amended the history.
amended() {
	grep -q "history: the change after our epoch" "$T/$1.log"
}

# The cause of the newest history record, as zkelectctl history --json says.
newest_cause() {
	zkctl b history --json 2>/dev/null |
		"$PYTHON" -c 'import json, sys; h = json.load(sys.stdin); print(h[-1]["cause"] if h else "")'
}

# True when the newest record's cause is CAUSE.
cause_is() {
	[ "$(newest_cause)" = "$1" ]
}

zk_start
proxy_start a
write_conf a "zookeeper.hosts=127.0.0.1:${PROXY_PORT[a]}"
write_conf b
start_queue a b
epoch=$(state_of a EPOCH)
proxy_mode a blackhole
wait_for "b to lead" 20 role_is b leader
wait_for "b's record" 10 cause_is "session expired"
demote=$(hook_awk a end 'event == "demote" && reason == "connection-lost"')
[ -n "$demote" ] || fail "a did not demote for the lost connection: $(hook_lines a)"
proxy_mode a pass
wait_for "a to amend the history" 30 amended a
wait_for "the record to say connection lost" 10 cause_is "connection lost"
zkctl b history --json >"$T/history.json" || fail "history exited $?"
"$PYTHON" - "$T/history.json" "$epoch" <<'PY' || fail "history: $(cat "$T/history.json")"
import json, sys
h = json.load(open(sys.argv[1]))[-1]
if h["leader"] != "b" or h["previous"] != "a" or h["previous_epoch"] != int(sys.argv[2]):
    sys.exit("the newest record is not b after a at epoch %s: %r" % (sys.argv[2], h))
PY
pass
