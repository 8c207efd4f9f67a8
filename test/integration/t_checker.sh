#!/bin/bash
# run.sh: plain build only
# run.sh: long
# (no daemon runs here: the sanitizer build has nothing to add)
# test/check_invariants.py, the fault suite's invariant checker, on synthetic
# event logs (no ZooKeeper, no daemon): clean runs (a graceful handover, a
# crash, a brief disconnect that keeps the epoch, frozen leaders that demote
# at once on waking, lines out of order, a malformed line, a hook orphaned by
# a KILL) pass; each kind of violation injected into a log is caught with its
# letter: (a) an overlap, a woken frozen leader that lingers, a next leader
# whose epoch is not greater; (b) two promotes or two demotes in a row; (c) an
# epoch going backwards, a different node with the same epoch, an epoch kept
# across a resign; (d) no leader within session timeout + 5 s of a HEAL, and a
# leaderless stretch later in a healed period. With a watchdog log
# (--watchdog): a reset ends a frozen leader's lead before the next leader
# (fine), the same freeze without a reset is an overlap (a), as the frozen
# exception is off; a restarted daemon resumes its lead with the same epoch
# (promote reason resumed: fine, after a KILL or a reset) but not with
# another reason (c); (e) a follower opening the device, a promote without
# the device open; a demote end without a magic close is a warning. Pause
# windows (FAULT pause to RESUME): no leader is required in them (a leader
# killed while paused, none for longer than session timeout + 5 s: fine), a
# leader runs promote again at the pause's end (reason pause-ended, no demote
# between: fine), a start-up demote held by the pause runs at its end
# (reason pause-ended, after a demote: fine), a demote at the pause's end
# keeps the znode's epoch; but
# no leader within session timeout + 5 s of the pause's end is (d), two
# leaders at once while paused is (a), a forced promote's too, and a
# pause-ended promote after a promote, or demote after a demote, with no
# pause between is (b). The floating address (VIP from/until lines, test/chaos.sh
# NETNS=1): handed from host to host, a single sighting, fine; on two hosts at
# once is (g), however short. Usage errors exit 2.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

CHECKER=$ROOT/test/check_invariants.py
BASE=1795673975000000000

# Write $T/NAME.EXT (EXT ev by default) from stdin; a leading "<ms>" becomes
# BASE + ms in ns.
mklog() {
	local ms rest
	while read -r ms rest; do
		if [[ $ms =~ ^[0-9]+$ ]]; then
			echo "$((BASE + ms * 1000000)) $rest"
		else
			echo "$ms $rest"
		fi
	done >"$T/$1.${2:-ev}"
}

# Write $T/NAME.wd, a watchdog stand-in log, from stdin, as mklog does.
mkwd() {
	mklog "$1" wd
}

# Run the checker on $T/NAME.ev (with --watchdog $T/NAME.wd when there is one;
# output in $T/NAME.out, JSON in $T/NAME.json); fail unless it exits RC and
# its VIOLATION letters are exactly LETTERS.
expect() {
	local name=$1 rc=$2 letters=$3 got=0 seen verdict
	local -a wd=()
	[ -e "$T/$name.wd" ] && wd=(--watchdog "$T/$name.wd")
	"$CHECKER" "$T/$name.ev" "${wd[@]}" --json "$T/$name.json" >"$T/$name.out" 2>&1 || got=$?
	[ "$got" -eq "$rc" ] || fail "$name: exit $got, expected $rc: $(cat "$T/$name.out")"
	seen=$(sed -n 's/^VIOLATION (\([a-g]\)): .*/\1/p' "$T/$name.out" | sort -u | tr -d '\n')
	[ "$seen" = "$letters" ] ||
		fail "$name: violations '$seen', expected '$letters': $(cat "$T/$name.out")"
	verdict=$(tail -n 1 "$T/$name.out")
	if [ "$rc" -eq 0 ]; then
		[ "$verdict" = "verdict: OK" ] || fail "$name: last line: $verdict"
	else
		[[ $verdict =~ ^verdict:\ [1-9][0-9]*\ violations$ ]] || fail "$name: last line: $verdict"
	fi
}

# Fail unless $T/NAME.out has a line matching the extended regex PATTERN.
says() {
	grep -qE -- "$2" "$T/$1.out" || fail "$1: no '$2' in: $(cat "$T/$1.out")"
}

# --- clean runs ---

# A graceful handover, a crash of the leader, a brief disconnect (same
# epoch), a long freeze with an immediate demote on waking; some lines out
# of order, a blank line and a malformed one.
mklog clean <<'EOF'
0 - CONFIG session_timeout_ms=2000
0 a demote start - startup follower
5 a demote end - startup follower
10 b demote start - startup follower
15 b demote end - startup follower
100 a promote start 10 elected leader
150 a promote end 10 elected leader
160 b follow start 10 leader-changed follower
170 b follow end 10 leader-changed follower
1000 a demote start 10 shutdown stopped
1210 b promote start 20 elected leader
1200 a demote end 10 shutdown stopped
1260 b promote end 20 elected leader

1300 a demote start - startup follower
1305 a demote end - startup follower
1320 a follow start 20 leader-changed follower
1330 a follow end 20 leader-changed follower
2000 - FAULT crash b
2000 b KILL
4100 a promote start 30 elected leader
4150 a promote end 30 elected leader
4200 - HEAL
4300 b demote start - startup follower
4310 b demote end - startup follower
4320 b follow start 30 leader-changed follower
4330 b follow end 30 leader-changed follower
this line is garbage
5000 - FAULT blackhole a
5100 a demote start 30 connection-lost follower
5150 a demote end 30 connection-lost follower
5400 - HEAL
5500 a promote start 30 elected leader
5550 a promote end 30 elected leader
6000 - FAULT stop a
6000 a STOP
8300 b promote start 40 elected leader
8350 b promote end 40 elected leader
9000 a CONT
9010 a demote start 30 session-expired follower
9040 a demote end 30 session-expired follower
9100 - HEAL
9200 a follow start 40 leader-changed follower
9210 a follow end 40 leader-changed follower
12000 - END
EOF
expect clean 0 ""
says clean '^promotes: 5$'
says clean '^nodes: 2 \(a b\)$'
says clean '^faults: 3 \(blackhole 1, crash 1, stop 1\)$'
says clean '^longest leaderless gap: 2300\.0 ms'
says clean '^warning: line [0-9]+: .*garbage'
[ "$(grep -c '^HEAL at .*: leader ' "$T/clean.out")" -eq 3 ] || fail "clean: $(cat "$T/clean.out")"
"$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not (d["verdict"] == "OK" and d["promotes"] == 5 and d["violations"] == [] and d["faults"]["crash"] == 1 and d["longest_leaderless_gap_ms"] == 2300.0))' \
	"$T/clean.json" || fail "clean: JSON: $(cat "$T/clean.json")"

# The leader is killed while its promote hook runs; the orphaned hook still
# writes its end line. The node comes back with a startup demote. A HEAL
# whose stretch ends (END) before a leader could be expected is not judged.
mklog killhook <<'EOF'
0 - CONFIG session_timeout_ms=1000
100 a promote start 10 elected leader
200 a KILL
300 a promote end 10 elected leader
1300 b promote start 11 elected leader
1400 a demote start - startup follower
1410 a demote end - startup follower
2000 b demote start 11 resigned follower
2010 b demote end 11 resigned follower
2020 a promote start 12 elected leader
2500 - HEAL
3000 - END
EOF
expect killhook 0 ""
says killhook 'orphaned hook'
says killhook 'HEAL at .*: leader 0\.0 ms after'
# A freeze of 0.8 x the session timeout can outlast the session (the
# server last heard of a up to a third of it before the STOP): split too.
mklog frozen08 <<'EOF'
0 - CONFIG session_timeout_ms=2000
100 a promote start 10 elected leader
1000 a STOP
2500 b promote start 20 elected leader
2600 a CONT
2605 a demote start 10 session-expired follower
2625 a demote end 10 session-expired follower
3000 - END
EOF
expect frozen08 0 ""
mklog notjudged <<'EOF'
100 a promote start 10 elected leader
500 - FAULT crash a
500 a KILL
600 - HEAL
5000 - END
EOF
expect notjudged 0 ""
says notjudged 'HEAL at .*: not judged \(END came 4400\.0 ms after it'

# --- (a) ---

mklog overlap <<'EOF'
100 a promote start 10 elected leader
150 a promote end 10 elected leader
500 b promote start 20 elected leader
550 b promote end 20 elected leader
1700 a demote start 10 deleted follower
1800 a demote end 10 deleted follower
2000 - END
EOF
expect overlap 1 a
says overlap '^VIOLATION \(a\): a and b led at once for 1300\.0 ms'

# The leader's znode deleted by hand: b promotes while a demotes at once
# (a forced handover, allowed), or within T/2 (a reconnecting leader learns of
# the deletion late: allowed); a demote later than that is not.
mklog forced <<'EOF'
0 - CONFIG session_timeout_ms=2000
0 a promote start 5 elected leader
2 a promote end 5 elected leader
1000 - FAULT delete-znode a
1001 b promote start 9 elected leader
1002 a demote start 5 deleted follower
1003 b promote end 9 elected leader
1010 a demote end 5 deleted follower
2000 - END
EOF
expect forced 0 ""
says forced "forced handovers .*: 1"
mklog forcedslow <<'EOF'
0 - CONFIG session_timeout_ms=2000
0 a promote start 5 elected leader
2 a promote end 5 elected leader
1001 b promote start 9 elected leader
1500 a demote start 5 deleted follower
1510 a demote end 5 deleted follower
2000 - END
EOF
expect forcedslow 0 ""
says forcedslow "forced handovers .*: 1"
mklog forcedlate <<'EOF'
0 - CONFIG session_timeout_ms=2000
0 a promote start 5 elected leader
2 a promote end 5 elected leader
1001 b promote start 9 elected leader
2200 a demote start 5 deleted follower
2210 a demote end 5 deleted follower
3000 - END
EOF
expect forcedlate 1 a
# killed while its "deleted" demote runs: the lead ends at the KILL, still a
# forced handover (the kill only shortens it)
mklog forcedkill <<'EOF'
0 - CONFIG session_timeout_ms=2000
0 a promote start 5 elected leader
2 a promote end 5 elected leader
1000 - FAULT delete-path a
1002 a demote start 5 deleted follower
1060 b promote start 9 elected leader
1100 b promote end 9 elected leader
1200 a KILL
2000 - END
EOF
expect forcedkill 0 ""
says forcedkill "forced handovers .*: 1"

# Frozen 3 s (> 2 s) and then 500 ms before demoting: too long.
mklog frozenlong <<'EOF'
0 - CONFIG session_timeout_ms=2000
100 a promote start 10 elected leader
150 a promote end 10 elected leader
1000 a STOP
3200 b promote start 20 elected leader
3250 b promote end 20 elected leader
4000 a CONT
4500 a demote start 10 session-expired follower
4520 a demote end 10 session-expired follower
6000 - END
EOF
expect frozenlong 1 a
says frozenlong '^VIOLATION \(a\): a, frozen for 3000\.0 ms .*lasted 520\.0 ms, not under .*20\.0 ms \+ 100 ms'

# The same freeze with an immediate demote, but the next leader has the same
# epoch: (a) and (c).
mklog frozenepoch <<'EOF'
0 - CONFIG session_timeout_ms=2000
100 a promote start 10 elected leader
150 a promote end 10 elected leader
1000 a STOP
3200 b promote start 10 elected leader
3250 b promote end 10 elected leader
4000 a CONT
4005 a demote start 10 session-expired follower
4025 a demote end 10 session-expired follower
6000 - END
EOF
expect frozenepoch 1 ac
says frozenepoch "^VIOLATION \(a\): a, frozen .*b's epoch 10 is not greater than the frozen a's epoch 10"
says frozenepoch '^VIOLATION \(c\): b: promote .* the same epoch as a'

# A short freeze (under the session timeout) splits nothing: b leading
# meanwhile is a plain overlap.
mklog frozenshort <<'EOF'
0 - CONFIG session_timeout_ms=2000
100 a promote start 10 elected leader
1000 a STOP
1500 b promote start 20 elected leader
2000 a CONT
2005 a demote start 10 session-expired follower
2025 a demote end 10 session-expired follower
3000 - END
EOF
expect frozenshort 1 a
says frozenshort '^VIOLATION \(a\): a and b led at once'

# --- (b) ---

mklog twopromotes <<'EOF'
0 a demote start - startup follower
5 a demote end - startup follower
100 a promote start 10 elected leader
150 a promote end 10 elected leader
500 a promote start 10 elected leader
550 a promote end 10 elected leader
1000 - END
EOF
expect twopromotes 1 b
says twopromotes '^VIOLATION \(b\): a: promote start at .* follows its promote start at '

mklog twodemotes <<'EOF'
0 a demote start - startup follower
5 a demote end - startup follower
100 a promote start 10 elected leader
150 a promote end 10 elected leader
500 a demote start 10 resigned follower
550 a demote end 10 resigned follower
600 a demote start 10 health-failed withdrawn
650 a demote end 10 health-failed withdrawn
1000 - END
EOF
expect twodemotes 1 b
says twodemotes '^VIOLATION \(b\): a: demote start at .* \(reason health-failed\) follows'

# --- (c) ---

mklog backwards <<'EOF'
100 a promote start 20 elected leader
500 a demote start 20 resigned follower
600 a demote end 20 resigned follower
700 b promote start 15 elected leader
1000 - END
EOF
expect backwards 1 c
says backwards '^VIOLATION \(c\): b: promote at .* with epoch 15, lower than epoch 20 of a'

mklog sameepoch <<'EOF'
100 a promote start 20 elected leader
500 a demote start 20 resigned follower
600 a demote end 20 resigned follower
700 b promote start 20 elected leader
1000 - END
EOF
expect sameepoch 1 c
says sameepoch '^VIOLATION \(c\): b: promote at .* with epoch 20, the same epoch as a'

# The same node keeps its epoch after a resign (a new znode): caught; after a
# connection-lost demote (same znode) it is fine.
mklog keptepoch <<'EOF'
100 a promote start 20 elected leader
200 a demote start 20 connection-lost follower
210 a demote end 20 connection-lost follower
300 a promote start 20 elected leader
500 a demote start 20 resigned follower
600 a demote end 20 resigned follower
700 a promote start 20 elected leader
1000 - END
EOF
expect keptepoch 1 c
[ "$(grep -c '^VIOLATION' "$T/keptepoch.out")" -eq 1 ] || fail "keptepoch: $(cat "$T/keptepoch.out")"
says keptepoch '^VIOLATION \(c\): a: promote at .* keeps epoch 20 after a resigned demote'

# --- (d) ---

mklog noleader <<'EOF'
0 - CONFIG session_timeout_ms=2000
100 a promote start 10 elected leader
1000 - FAULT crash a
1000 a KILL
1500 - HEAL
10000 b promote start 11 elected leader
12000 - END
EOF
expect noleader 1 d
says noleader '^VIOLATION \(d\): no leader within 7000 ms .* HEAL at .*8500\.0 ms after it'
mklog lategap <<'EOF'
0 - CONFIG session_timeout_ms=2000
100 a promote start 10 elected leader
1000 - FAULT partition b
1500 - HEAL
2000 a demote start 10 resigned follower
2100 a demote end 10 resigned follower
20000 - END
EOF
expect lategap 1 d
says lategap '^VIOLATION \(d\): no leader from .* although no fault was active'

# --- with a watchdog log ---

# The leader is upgraded in place (its device closed armed, reopened while it
# leads), then frozen; its stand-in resets it before b is elected. The
# harness woke it before it saw the reset (those lines and the close the
# KILL causes are ignored), then took the host down and started it again.
mklog wdreset <<'LOG'
0 - CONFIG session_timeout_ms=1500
0 a demote start - startup follower
5 a demote end - startup follower
10 b demote start - startup follower
15 b demote end - startup follower
100 a promote start 10 elected leader
150 a promote end 10 elected leader
160 b follow start 10 leader-changed follower
170 b follow end 10 leader-changed follower
600 - FAULT upgrade a
1000 - FAULT stop a
1000 a STOP
1450 a CONT
1455 a demote start 10 session-expired follower
1460 a demote end 10 session-expired follower
1480 a KILL
2600 b promote start 20 elected leader
2650 b promote end 20 elected leader
2700 - HEAL
3000 a demote start - startup follower
3005 a demote end - startup follower
3010 a follow start 20 leader-changed follower
3020 a follow end 20 leader-changed follower
4000 - END
LOG
mkwd wdreset <<'LOG'
0 a ready
0 b ready
95 a open
200 a kick
500 a kick
600 a close-armed
610 a open
700 a kick
1000 a kick
1400 a reset 400
1470 a close-armed
2590 b open
2700 b kick
3500 b kick
5000 b kick
LOG
expect wdreset 0 ""
says wdreset '^watchdog resets: 1 \(1 ended a lead\)$'
says wdreset '^frozen-leader exceptions used: 0$'
says wdreset '^lines of reset hosts ignored .*: 4$'
says wdreset '^watchdog events: 3 opens, 6 kicks, 0 magic closes, 1 armed closes$'
"$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not (d["frozen_exceptions"] == 0 and d["watchdog"]["resets"] == 1 and d["watchdog"]["resets_ending_a_lead"] == 1))' \
	"$T/wdreset.json" || fail "wdreset: JSON: $(cat "$T/wdreset.json")"

# A frozen leader that demotes at once on waking, after b was elected: the
# frozen exception without a watchdog; with one, no reset ended its lead
# before b's began: an overlap.
mklog frozenwd <<'LOG'
0 - CONFIG session_timeout_ms=1500
100 a promote start 10 elected leader
150 a promote end 10 elected leader
1000 a STOP
2600 b promote start 20 elected leader
2650 b promote end 20 elected leader
3000 a CONT
3005 a demote start 10 session-expired follower
3020 a demote end 10 session-expired follower
4000 - END
LOG
cp "$T/frozenwd.ev" "$T/frozenplain.ev"
expect frozenplain 0 ""
says frozenplain '^frozen-leader exceptions used: 1$'
mkwd frozenwd <<'LOG'
95 a open
900 a kick
2590 b open
2700 b kick
3025 a magic-close
LOG
expect frozenwd 1 a
says frozenwd '^VIOLATION \(a\): a and b led at once for 420\.0 ms'
says frozenwd '^frozen-leader exceptions used: 0$'

# A daemon killed while leading, started again within its session: it
# resumes its lead with the same epoch (reason resumed). With any other
# reason, keeping the epoch after a KILL is (c).
mklog resumed <<'LOG'
0 - CONFIG session_timeout_ms=1500
100 a promote start 10 elected leader
150 a promote end 10 elected leader
500 - FAULT crash-restart a
500 a KILL
900 a promote start 10 resumed leader
950 a promote end 10 resumed leader
1000 - HEAL
2000 - END
LOG
expect resumed 0 ""
sed 's/ 10 resumed / 10 elected /' "$T/resumed.ev" >"$T/notresumed.ev"
expect notresumed 1 c
says notresumed '^VIOLATION \(c\): a: promote at .* keeps epoch 10 after its KILL'

# A crash leaves the device armed; the restart comes too late, the stand-in
# resets the host (the lead had ended at the KILL) and the harness takes it
# down (a second KILL); started again within the session, it reopens the
# device and resumes its lead.
mklog resetresume <<'LOG'
0 - CONFIG session_timeout_ms=1500
100 a promote start 10 elected leader
150 a promote end 10 elected leader
500 - FAULT crash-restart a
500 a KILL
1000 a KILL
1600 a promote start 10 resumed leader
1650 a promote end 10 resumed leader
2000 - END
LOG
mkwd resetresume <<'LOG'
90 a open
300 a kick
500 a close-armed
900 a reset 600
1590 a open
1800 a kick
LOG
expect resetresume 0 ""
says resetresume '^watchdog resets: 1 \(0 ended a lead\)$'

# (e): c, a follower, opens the device (e1); a promotes after closing it
# without the magic character (e2), and its demote ended with no magic close
# (a warning). b's open, logged 100 ms after its promote started, is fine.
mklog wdbad <<'LOG'
0 - CONFIG session_timeout_ms=1500
100 a promote start 10 elected leader
150 a promote end 10 elected leader
1000 a demote start 10 resigned follower
1010 a demote end 10 resigned follower
1100 b promote start 11 elected leader
1150 b promote end 11 elected leader
2000 b demote start 11 resigned follower
2010 b demote end 11 resigned follower
2100 a promote start 12 elected leader
2150 a promote end 12 elected leader
4000 - END
LOG
mkwd wdbad <<'LOG'
90 a open
500 c open
600 c magic-close
1200 b open
1500 a close-armed
2020 b magic-close
LOG
expect wdbad 1 e
[ "$(grep -c '^VIOLATION' "$T/wdbad.out")" -eq 2 ] || fail "wdbad: $(cat "$T/wdbad.out")"
says wdbad '^VIOLATION \(e\): c opened the watchdog device at .* while not leading'
says wdbad "^VIOLATION \(e\): a's promote at .* \(epoch 12\) started without the watchdog device open"
says wdbad "^warning: a's demote ended at .* no magic close followed"

# --- pauses (f) ---

# A pause: the leader a is killed while paused; no node promotes until the
# pause runs out (8.5 s without a leader, over session timeout + 5 s, and
# the HEAL comes in the middle: fine), then a, named by the breadcrumb,
# demotes and b promotes (reason pause-ended). In a second pause b keeps
# leading through a blackhole and runs promote again at its end (same epoch,
# no demote between: fine).
mklog pauseok <<'EOF'
0 - CONFIG session_timeout_ms=1500
0 a promote start 10 elected leader
50 a promote end 10 elected leader
1000 - FAULT pause for_ms=6000
1500 - FAULT kill a
1500 a KILL
3000 - HEAL
9950 a demote start - pause-ended follower
9960 a demote end - pause-ended follower
9970 b promote start 20 pause-ended leader
9990 b promote end 20 pause-ended leader
10000 - RESUME expired
12000 - FAULT pause for_ms=2000
12500 - FAULT blackhole b
14000 - HEAL
14100 b promote start 20 pause-ended leader
14150 b promote end 20 pause-ended leader
14200 - RESUME resumed
20000 - END
EOF
expect pauseok 0 ""
says pauseok '^pauses: 2 \(expired 1, resumed 1\), 11200\.0 ms paused in all, longest leaderless while paused: 8470\.0 ms$'
says pauseok '^promotes run again at a pause.s end: 1$'
says pauseok '^longest leaderless gap: 0\.0 ms$'
says pauseok '^hooks started while paused: demote pause-ended 1, promote pause-ended 2$'
[ "$(grep -c "^HEAL at .*: leader 0\.0 ms after the pause's end at " "$T/pauseok.out")" -eq 2 ] ||
	fail "pauseok: $(cat "$T/pauseok.out")"
"$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); p = d["pauses"]; sys.exit(not (p["count"] == 2 and p["ended"] == {"expired": 1, "resumed": 1} and p["promotes_run_again_at_end"] == 1 and d["faults"]["pause"] == 2))' \
	"$T/pauseok.json" || fail "pauseok: JSON: $(cat "$T/pauseok.json")"

# The pause's writer took 2.5 s (a slow zkelectctl pause): a promote before
# it returned is not warned of, one 1.5 s after it is.
mklog pauseslow <<'EOF'
0 - CONFIG session_timeout_ms=1500
0 a promote start 10 elected leader
50 a promote end 10 elected leader
1000 - FAULT pause for_ms=6000
1500 - FAULT kill a
1500 a KILL
2400 b promote start 20 elected leader
2450 b promote end 20 elected leader
3500 - PAUSED
3600 - FAULT kill b
3600 b KILL
5000 c promote start 30 elected leader
5050 c promote end 30 elected leader
6000 - HEAL
7100 - RESUME expired
9000 - END
EOF
expect pauseslow 0 ""
[ "$(grep -c '^warning: .* promote at .* while paused since' "$T/pauseslow.out")" -eq 1 ] ||
	fail "pauseslow: $(cat "$T/pauseslow.out")"
says pauseslow '^warning: c: promote at .* \(reason elected, epoch 30\) while paused since '

# Resumed at the heal (UNPAUSE), long before for_ms: the leader that kept its
# service through a cut loses its session after the resume, and the node
# elected then promotes with reason elected before the RESUME line: no warning.
mklog pauseresumed <<'EOF'
0 - CONFIG session_timeout_ms=1500
0 a promote start 10 elected leader
50 a promote end 10 elected leader
1000 - FAULT pause for_ms=6000
1050 - PAUSED
1500 - FAULT blackhole a
2900 - UNPAUSE
2950 - HEAL
3100 a demote start 10 session-expired follower
3150 a demote end 10 session-expired follower
3300 b promote start 20 elected leader
3350 b promote end 20 elected leader
3600 - RESUME resumed
9000 - END
EOF
expect pauseresumed 0 ""
! grep -q '^warning: .* while paused since' "$T/pauseresumed.out" ||
	fail "pauseresumed: $(cat "$T/pauseresumed.out")"

# A demote at a pause's end while cut off (reason pause-ended), then the
# same session leads again: the znode survived, the epoch may stay.
mklog pausekeep <<'EOF'
0 - CONFIG session_timeout_ms=1500
0 a promote start 10 elected leader
1000 - FAULT pause for_ms=2000
1100 - FAULT blackhole a
3000 a demote start 10 pause-ended follower
3010 a demote end 10 pause-ended follower
3050 - RESUME expired
3500 - HEAL
3600 a promote start 10 elected leader
5000 - END
EOF
expect pausekeep 0 ""
says pausekeep '^HEAL at .*: leader 100\.0 ms after$'

# The pause is over (RESUME) but no leader comes within session timeout +
# 5 s of its end: (d), judged from the RESUME, not from the HEAL inside it.
mklog pauselate <<'EOF'
0 - CONFIG session_timeout_ms=1500
0 a promote start 10 elected leader
1000 - FAULT pause for_ms=3000
1500 - FAULT kill a
1500 a KILL
2000 - HEAL
4000 - RESUME expired
12000 b promote start 20 pause-ended leader
13000 - END
EOF
expect pauselate 1 d
says pauselate '^VIOLATION \(d\): no leader within 6500 ms .* \(paused until .*: the next lead starts at .*, 8000\.0 ms after the pause.s end'

# Two leaders at once during a pause: a keeps its service through a lost
# connection while b promotes. The pause excuses nothing of (a), not even
# a forced switchover's promote.
mklog pauseoverlap <<'EOF'
0 - CONFIG session_timeout_ms=1500
0 a promote start 10 elected leader
50 a promote end 10 elected leader
1000 - FAULT pause for_ms=6000
1200 - FAULT blackhole a
3500 b promote start 20 elected leader
3550 b promote end 20 elected leader
5000 - HEAL
6900 a demote start 10 pause-ended follower
6910 a demote end 10 pause-ended follower
7000 - RESUME expired
9000 - END
EOF
expect pauseoverlap 1 a
says pauseoverlap '^VIOLATION \(a\): a and b led at once for 3410\.0 ms'
says pauseoverlap "^warning: b: promote at .* \(reason elected, epoch 20\) while paused since"
sed 's/ 20 elected / 20 forced /' "$T/pauseoverlap.ev" >"$T/pauseforced.ev"
expect pauseforced 1 a
! grep -q '^warning: b: promote' "$T/pauseforced.out" ||
	fail "pauseforced: a forced promote warned: $(cat "$T/pauseforced.out")"
# A pause of 2 s has run out on every node that read it at once by b's
# promote: no warning (the RESUME line may come later than the pause's end).
sed 's/for_ms=6000/for_ms=2000/' "$T/pauseoverlap.ev" >"$T/pauseshort.ev"
expect pauseshort 1 a
! grep -q '^warning: b: promote' "$T/pauseshort.out" ||
	fail "pauseshort: a promote after for_ms warned: $(cat "$T/pauseshort.out")"

# A daemon restarted by hand just before a pause (its shutdown demote, then
# its start-up demote held by the pause): the start-up demote runs at the
# pause's end with reason pause-ended, a second demote in a row (fine, as a
# start-up demote). With no pause between, the same is (b).
mklog helddemote <<'EOF'
0 - CONFIG session_timeout_ms=1500
0 a promote start 10 elected leader
1000 a demote start 10 shutdown stopped
1010 a demote end 10 shutdown stopped
1020 b promote start 20 elected leader
1100 - FAULT pause for_ms=2000
3100 a demote start - pause-ended follower
3110 a demote end - pause-ended follower
3120 b promote start 20 pause-ended leader
3200 - RESUME expired
4000 - END
EOF
expect helddemote 0 ""
says helddemote "^start-up demotes run at a pause.s end: 1$"
says helddemote "^promotes run again at a pause.s end: 1$"
grep -v -e ' - FAULT pause' -e ' - RESUME' "$T/helddemote.ev" >"$T/heldnopause.ev"
expect heldnopause 1 b
says heldnopause '^VIOLATION \(b\): a: demote start at .* \(reason pause-ended\) follows its demote start'
says heldnopause '^VIOLATION \(b\): b: promote start at .* follows its promote start'

# A promote after a promote is (b) whatever its reason when no pause lies
# between; a pause that never ends runs to END (a warning).
mklog repromote <<'EOF'
0 a promote start 10 elected leader
500 a promote start 10 pause-ended leader
600 - FAULT pause
1000 - END
EOF
expect repromote 1 b
says repromote '^warning: the pause opened at .* never ended'

# --- (g) the floating address ---

# Handed over: a's stretch ends before b's begins (touching is fine); a single
# sighting (until not after from) proves no stretch; a stretch past END is cut there.
mklog vipok <<'EOF'
0 a promote start 10 elected leader
0 a promote end 10 elected leader
100 a VIP 1795673976000000000
1000 a demote start 10 resigned follower
1010 a demote end 10 resigned follower
1100 b promote start 11 elected leader
1100 b promote end 11 elected leader
1200 b VIP 1795673976400000000
1300 c VIP 1795673976300000000
1500 b VIP 1795673999000000000
2000 - END
EOF
expect vipok 0 ""
says vipok '^floating address: 3 stretches on 2 hosts, 1 single sightings$'

# On two hosts at once, if only for 10 ms: (g).
mklog viptwo <<'EOF'
0 a promote start 10 elected leader
0 a promote end 10 elected leader
100 a VIP 1795673976010000000
1000 b VIP 1795673976500000000
2000 - END
EOF
expect viptwo 1 g
says viptwo '^VIOLATION \(g\): the floating address was on a and b at once for 10\.0 ms'

# --- usage ---

rc=0
"$CHECKER" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "no argument: exit $rc"
rc=0
"$CHECKER" "$T/nonexistent.ev" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "missing log: exit $rc"
rc=0
"$CHECKER" "$T/clean.ev" --bogus >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "unknown option: exit $rc"
rc=0
"$CHECKER" "$T/clean.ev" --watchdog "$T/nonexistent.wd" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "missing watchdog log: exit $rc"
pass
