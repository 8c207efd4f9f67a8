#!/bin/bash
# shellcheck disable=SC2317 # functions called through poll and by name
# run.sh: sanitizer build only (hostile input: the ASan+UBSan run is the one that matters)
# run.sh: long
# The bad-input catalogue, test/bad_inputs.tsv: its runtime rows (t_bad_hooks.sh
# runs the hook rows with this same runner). Each row is a function case_ID below:
# it starts daemons ID-a, ID-b against a private ZooKeeper (each row its own
# election path), feeds them the bad input, and checks what it must. Then the
# row's answer, "runs as ROLE: RE", is checked on ID-a: still running, its state
# says ROLE, its log matches RE. Every daemon of the row then stops cleanly
# (SIGTERM, exit 0). Rows marked "BUG:" are XFAIL while they fail.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

TSV=$ROOT/test/bad_inputs.tsv
KINDS=${BAD_KINDS:-runtime}
ZKPUT=$(dirname "$ZKELECTD")/zkput
G=0123456789abcdef # a GUID for foreign znodes
PASSED=0
XFAILED=0
SKIPPED=0
FAILED=()
ROW_ERR=""
HELPERS=()

# --- helpers (each returns 1 with ROW_ERR set, never exits) ---

# Note why the row failed and return 1.
bad() {
	ROW_ERR=$1
	return 1
}

# Wait up to SECS for CMD; else fail the row with "timed out waiting for DESC".
need() {
	local secs=$1 desc=$2
	shift 2
	poll "$secs" "$@" || bad "timed out after ${secs}s waiting for $desc"
}

# Run zkput against our ZooKeeper (see test/zkput.c).
zkput() {
	"$ZKPUT" "$ZK_HOSTS" "$@" 2>>"$T/zkput.log"
}

# Start zkput -w ARGS... in the background (its nodes live until it is killed);
# its output goes to FILE; HELPERS keeps its pid.
zkput_hold() {
	local out=$1
	shift
	"$ZKPUT" -w "$ZK_HOSTS" "$@" >"$out" 2>>"$T/zkput.log" &
	HELPERS+=($!)
	HELD=$!
	poll 10 test -s "$out" || bad "zkput -w $* created nothing: $(tail -n 3 "$T/zkput.log")"
}

# End helper PID (a zkput -w or a background process) and forget it.
helper_stop() {
	local p keep=()
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for p in "${HELPERS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	HELPERS=("${keep[@]}")
}

# True when CMD succeeds at every check (each 100 ms) for SECS seconds.
holds() {
	local deadline=$(($(now_us) + $1 * 1000000))
	shift
	while [ "${EPOCHREALTIME/./}" -lt "$deadline" ]; do
		"$@" || return 1
		nap 0.1
	done
}

# Write NAME's config (write_conf overrides after) and start it.
start() {
	local name=$1
	shift
	write_conf "$name" "hooks.promote_backoff=1s" "$@"
	daemon_start "$name"
	NAMES+=("$name")
}

# The hook events NAME ran, in order, on one line ("demote promote ").
events_of() {
	hook_awk "$1" start '{ printf "%s ", event }'
}

# True when NAME's state file says KEY=VALUE.
state_is() {
	[ "$(state_of "$1" "$2" 2>/dev/null)" = "$3" ]
}

# True when the log of NAME matches the extended regex RE.
logged() {
	grep -qE -- "$2" "$T/$1.log"
}

# How many lines of NAME's log match RE.
log_count() {
	grep -cE -- "$2" "$T/$1.log"
}

# Start A and wait until it leads (promote ended), then B until it follows (follow ended).
lead_follow() {
	start "$A"
	need 20 "$A to lead" role_is "$A" leader || return 1
	need 10 "$A's promote to end" hook_seen "$A" promote end || return 1
	start "$B"
	need 20 "$B to follow" role_is "$B" follower || return 1
	need 10 "$B's follow to end" hook_seen "$B" follow end
}

# zkelectctl list with NAME's config: the number of contenders it shows.
list_len() {
	"$ZKELECTCTL" -c "$T/$1.conf" list 2>>"$T/zkelectctl.log" | wc -l
}

# True when zkelectctl list (NAME's config) shows N contenders.
list_is() {
	[ "$(list_len "$1")" -eq "$2" ]
}

# random_text FILE N: N random bytes without NUL (data a daemon may publish) into FILE.
random_text() {
	head -c $(($2 * 2)) /dev/urandom | tr -d '\000' | head -c "$2" >"$1"
}

# Send SIGNAL COUNT times to NAME as fast as kill goes.
storm() {
	local name=$1 sig=$2 pid i
	pid=$(daemon_pid "$name")
	for ((i = 0; i < $3; i++)); do
		kill -s "$sig" "$pid" || return 1
	done
}

# --- runtime rows ---

# Garbage children before and during the election: ignored, also across a handover.
case_R01() {
	local p=$ELECTION_PATH name
	random_text "$T/1mb" 1000000
	zkput mkpath "$p" @ || bad "cannot create $p" || return 1
	for name in garbage n_ "n_${G}_-0000000001" "n_0123456789ABCDEF_x-0000000001" \
	    "n_${G}_x-000000001" "n_${G}_x-00000000a1" "n_${G}_bad id-0000000001" \
	    "n_${G}_x-9999999999" "n_${G}_x" "n_0123456789abcde_x-0000000001" \
	    "x_${G}_x-0000000000" "n_${G}_x-+000000001" "n_${G}_$(printf 'd\xc3\xa9')-0000000001" \
	    "n_${G}_$(printf 'x%.0s' {1..129})-0000000001" subtree; do
		zkput create "$p/$name" x >/dev/null || bad "cannot create $p/$name" || return 1
	done
	zkput create "$p/subtree/n_${G}_x-0000000000" x create "$p/blob" "@$T/1mb" >/dev/null ||
		bad "cannot create the subtree and blob" || return 1
	A=$CASE-b B=$CASE-a lead_follow || return 1	# b leads, a follows
	# more garbage while they run
	zkput create "$p/late" x seq "$p/n_${G}_y" x create "$p/n_${G}_z-00000000zz" x \
		>/dev/null || bad "cannot create the late garbage" || return 1
	need 10 "list to show 2 contenders" list_is "$A" 2 || return 1
	daemon_stop "$B"
	[ "$LAST_EXIT" -eq 0 ] || bad "$B exited $LAST_EXIT" || return 1
	need 20 "$A to lead" role_is "$A" leader || return 1
	need 10 "$A's promote to end" hook_seen "$A" promote end || return 1
	[ "$(events_of "$A")" = "demote follow promote " ] ||
		bad "$A ran: $(events_of "$A")" || return 1
	need 10 "list to show 1 contender" list_is "$A" 1
}

# A foreign sequential child with a lower sequence number: not a contender.
case_R02() {
	local p=$ELECTION_PATH
	zkput mkpath "$p" @ seq "$p/lock-" x >"$T/R02.put" || bad "cannot create $p/lock-" ||
		return 1
	grep -q "^$p/lock-0000000000 " "$T/R02.put" || bad "zkput made $(cat "$T/R02.put")" ||
		return 1
	start "$A"
	need 20 "$A to lead" role_is "$A" leader || return 1
	need 10 "list to show 1 contender" list_is "$A" 1
}

# Another contender, queued behind the leader, with 1 MB of binary data.
case_R03() {
	local p=$ELECTION_PATH n
	head -c 1000000 /dev/urandom >"$T/1mb-bin"
	lead_follow || return 1
	zkput_hold "$T/R03.put" eseq "$p/n_${G}_big-" "@$T/1mb-bin" || return 1
	need 10 "list to show 3 contenders" list_is "$A" 3 || return 1
	"$ZKELECTCTL" -c "$T/$A.conf" list >"$T/R03.list" 2>>"$T/zkelectctl.log" ||
		bad "zkelectctl list failed" || return 1
	[ "$(tail -n 1 "$T/R03.list" | cut -f 2)" = big ] ||
		bad "the big contender is not last: $(cut -f 1-4 "$T/R03.list")" || return 1
	n=$(tail -n 1 "$T/R03.list" | cut -f 5 | wc -c)
	[ "$n" -gt 1000000 ] || bad "list shows $n bytes of its data" || return 1
	helper_stop "$HELD"
	need 10 "list to show 2 contenders" list_is "$A" 2 || return 1
	role_is "$B" follower || bad "$B is $(state_of "$B" ROLE)" || return 1
	[ "$(events_of "$A")" = "promote " ] || bad "$A ran: $(events_of "$A")" || return 1
	[ "$(events_of "$B")" = "demote follow " ] || bad "$B ran: $(events_of "$B")"
}

# Another contender leads, announced with 1 MB of data: followed, then succeeded.
case_R04() {
	local p=$ELECTION_PATH name czxid
	random_text "$T/1mb" 1000000
	zkput mkpath "$p" @ || bad "cannot create $p" || return 1
	zkput_hold "$T/R04.put" eseq "$p/n_${G}_big-" "@$T/1mb" || return 1
	read -r name czxid <"$T/R04.put"
	{ printf 'zkelectd-leader 1 %s %s big\n' "$czxid" "${name##*/}"; cat "$T/1mb"; } \
		>"$T/R04.ann"
	zkput create "$p/leader" "@$T/R04.ann" >/dev/null || bad "cannot announce big" || return 1
	start "$A"
	need 20 "$A to follow" role_is "$A" follower || return 1
	need 10 "$A to know big leads" state_is "$A" LEADER_ID big || return 1
	state_of "$A" LEADER_DATA | head -c 1000000 | cmp -s - "$T/1mb" ||
		bad "$A's state file does not hold big's data" || return 1
	# the 1 MB ZKELECT_LEADER_DATA is more than execve takes: the run fails, logged
	need 10 "$A's follow hook to be tried" logged "$A" 'hook follow: cannot start .*Argument list too long' ||
		return 1
	helper_stop "$HELD"	# big's session ends: a leads
	need 20 "$A to lead" role_is "$A" leader || return 1
	need 10 "$A's announcement" sh -c "'$ZKELECTCTL' -c '$T/$A.conf' leader 2>/dev/null |
		grep -qx \"LEADER_ID='$A'\""
}

# A garbage announcement (1 MB of random bytes) while a leads: ignored by b.
case_R05() {
	local before
	head -c 1000000 /dev/urandom >"$T/1mb-bin"
	lead_follow || return 1
	before=$(events_of "$B")
	zkput set "$ELECTION_PATH/leader" "@$T/1mb-bin" || bad "cannot write the garbage" ||
		return 1
	# b's data watch fires at once: give it two seconds to go wrong
	holds 2 state_is "$B" LEADER_ID "$A" ||
		bad "$B's leader changed to $(state_of "$B" LEADER_ID)" || return 1
	role_is "$B" follower || bad "$B is $(state_of "$B" ROLE)" || return 1
	[ "$(events_of "$B")" = "$before" ] || bad "$B ran: $(events_of "$B")"
}

# A forged announcement with a greater epoch naming a znode nobody holds, then a
# handover: the new leader must be known to the old one, now its follower.
case_R06() {
	lead_follow || return 1
	zkput set "$ELECTION_PATH/leader" \
		"$(printf 'zkelectd-leader 1 999999999999 n_%s_ghost-0000009999 ghost\nboo' "$G")" ||
		bad "cannot write the forgery" || return 1
	need 10 "$A to replace the forgery" logged "$A" 'no live contender: replacing it' || return 1
	need 10 "$B to refuse the forgery" logged "$B" 'names ghost .*no live contender: not followed' ||
		return 1
	state_is "$B" LEADER_ID "$A" || bad "$B thinks '$(state_of "$B" LEADER_ID)' leads" || return 1
	kill -USR1 "$(daemon_pid "$A")"
	need 20 "$B to lead" role_is "$B" leader || return 1
	need 20 "$A to follow" role_is "$A" follower || return 1
	need 10 "$A to know $B leads" state_is "$A" LEADER_ID "$B" ||
		bad "$A thinks '$(state_of "$A" LEADER_ID)' leads; $B: $(grep -m1 'newer leader' \
		"$T/$B.log" | cut -d' ' -f 3-)"
}

# SIGHUP storm with the configuration unchanged: nothing happens, no hook runs.
case_R07() {
	local ea eb
	lead_follow || return 1
	ea=$(events_of "$A")
	eb=$(events_of "$B")
	storm "$A" HUP 200 && storm "$B" HUP 200 || bad "kill failed" || return 1
	# a last SIGHUP after the file went bad shows every earlier one was handled
	cp "$T/$A.conf" "$T/$A.conf.good"
	printf '[daemon]\nbogus = 1\n' >>"$T/$A.conf"
	kill -HUP "$(daemon_pid "$A")"
	need 20 "$A to reject the marker reload" logged "$A" 'is invalid; keeping' || return 1
	cp "$T/$A.conf.good" "$T/$A.conf"
	role_is "$A" leader && role_is "$B" follower ||
		bad "roles after the storm: $(state_of "$A" ROLE) $(state_of "$B" ROLE)" || return 1
	if [ "$(events_of "$A")" != "$ea" ] || [ "$(events_of "$B")" != "$eb" ]; then
		bad "hooks ran during the storm: $(events_of "$A") / $(events_of "$B")"
	fi
}

# SIGHUP storm with an invalid file: each reload refused, the old settings kept.
case_R08() {
	local ea
	lead_follow || return 1
	ea=$(events_of "$A")
	cp "$T/$A.conf" "$T/$A.conf.good"
	printf '[election]\nmode = leader\n' >>"$T/$A.conf"
	storm "$A" HUP 100 || bad "kill failed" || return 1
	need 20 "$A to reject the reload" logged "$A" ':[0-9]+: mode: "leader" is not' || return 1
	role_is "$A" leader || bad "$A is $(state_of "$A" ROLE)" || return 1
	[ "$(events_of "$A")" = "$ea" ] || bad "hooks ran: $(events_of "$A")" || return 1
	cp "$T/$A.conf.good" "$T/$A.conf"
	kill -HUP "$(daemon_pid "$A")"
	need 20 "$A to take the repaired file" logged "$A" 'reload: new settings applied'
}

# SIGHUP with the configuration file deleted.
case_R09() {
	start "$A"
	need 20 "$A to lead" role_is "$A" leader || return 1
	rm "$T/$A.conf"
	kill -HUP "$(daemon_pid "$A")"
	need 20 "$A to refuse the reload" logged "$A" 'is invalid; keeping the current'
}

# SIGHUP with a directory where the configuration file was.
case_R10() {
	start "$A"
	need 20 "$A to lead" role_is "$A" leader || return 1
	rm "$T/$A.conf"
	mkdir "$T/$A.conf"
	kill -HUP "$(daemon_pid "$A")"
	need 20 "$A to refuse the reload" logged "$A" 'is invalid; keeping the current'
}

# The state directory turns read-only under a leader that then resigns; writable again.
case_R11() {
	local pid real=$ZKELECTD
	if ! unshare -m --propagation private mount --bind "$T" "$T" 2>/dev/null; then
		SKIP_REASON="cannot make a private mount here (no CAP_SYS_ADMIN?)"
		return 2
	fi
	# the PID file elsewhere: a file open for writing would keep the remount from happening
	write_conf "$A" "hooks.promote_backoff=1s" "daemon.pid_file=$T/$A.pid"
	# a private mount namespace where a's state directory is a mount point of its own
	cat >"$T/nswrap.sh" <<EOF
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount --bind "\$0" "\$0" && exec "\$@"' \
	"$T/$A" "$real" "\$@"
EOF
	chmod 755 "$T/nswrap.sh"
	ZKELECTD=$T/nswrap.sh daemon_start "$A"
	NAMES+=("$A")
	need 20 "$A to lead" role_is "$A" leader || return 1
	start "$B"
	need 20 "$B to follow" role_is "$B" follower || return 1
	pid=$(daemon_pid "$A")
	grep -q " $T/$A " "/proc/$pid/mountinfo" || bad "$T/$A is no mount point for $A" || return 1
	nsenter -t "$pid" -m mount -o remount,bind,ro "$T/$A" 2>>"$T/zkput.log" ||
		bad "cannot remount $T/$A read-only" || return 1
	kill -USR1 "$pid"
	need 20 "$A to log the failed write" logged "$A" 'cannot write the state file' || return 1
	need 20 "$B to lead" role_is "$B" leader || return 1
	need 10 "$A's follow hook" hook_seen "$A" follow end || return 1
	nsenter -t "$pid" -m mount -o remount,bind,rw "$T/$A" ||
		bad "cannot remount $T/$A writable" || return 1
	# nothing lost: the state file catches up once it can be written
	need 10 "$A's state file to say follower" role_is "$A" follower
}

# --- hook rows ---

# Write $T/NAME.sh: a hook that runs BODY for EVENT, then records as the test hook does.
hook_script() {
	cat >"$T/$1.sh" <<EOF
#!/bin/bash
if [ "\${!#}" = $2 ]; then
$3
fi
exec "$T/hook.sh" "\$@"
EOF
	chmod 755 "$T/$1.sh"
}

# A hook that closes its stdout and stderr and keeps running: the run lasts until it exits.
case_T01() {
	hook_script T01 promote 'exec >&- 2>&-; sleep 2'
	start "$A" "hooks.promote=$T/T01.sh"
	need 20 "$A's promote to end" hook_seen "$A" promote end || return 1
	! logged "$A" 'hook promote\[[0-9]+\] exit 0 after [0-9]{1,3} ms' ||
		bad "the run ended early: $(grep 'hook promote' "$T/$A.log")"
}

# A hook whose background process keeps its output open: finished 1 s after it exits.
case_T02() {
	hook_script T02 promote "(exec sleep 30) & echo \$! >$T/T02.bg"
	start "$A" "hooks.promote=$T/T02.sh"
	need 20 "$A's promote to end" hook_seen "$A" promote end || return 1
	need 10 "$T/T02.bg" test -s "$T/T02.bg" || return 1
	HELPERS+=("$(cat "$T/T02.bg")")
	need 10 "the run to be finished" logged "$A" 'hook promote\[[0-9]+\] exit 0 after'
}

# A hook that writes 100,000 lines (10 MB): every line logged, the run ends well.
case_T03() {
	local n
	hook_script T03 promote "seq -f 'flood %06g $(printf 'x%.0s' {1..86})' 1 100000"
	start "$A" "hooks.promote=$T/T03.sh"
	need 60 "$A's promote to end" hook_seen "$A" promote end || return 1
	need 20 "the run to be logged" logged "$A" 'hook promote\[[0-9]+\] exit 0 after' || return 1
	n=$(log_count "$A" 'hook promote\[[0-9]+\]: flood [0-9]{6} x{86}$')
	[ "$n" -eq 100000 ] || bad "$n of the 100000 lines were logged" || return 1
	logged "$A" 'hook promote\[[0-9]+\]: flood 100000 x' || bad "the last line is missing"
}

# A hook that floods binary without newlines until its timeout: stopped in time, a resigns.
case_T04() {
	hook_script T04 promote 'head -c 8000000 /dev/urandom; exec sleep 60'
	start "$A" "hooks.promote=$T/T04.sh" "hooks.promote_timeout=2s"
	need 20 "$A to be elected" logged "$A" 'election: elected' || return 1
	start "$B"
	need 30 "$A's promote to time out" logged "$A" 'hook promote\[[0-9]+\] timed out' ||
		return 1
	need 30 "$B to lead" role_is "$B" leader || return 1
	[ "$(awk 'length > 5000' "$T/$A.log" | wc -l)" -eq 0 ] ||
		bad "$A logged lines over 5000 bytes"
}

# A promote hook that dies by SIGSEGV: a failed promote, so a resigns and b leads.
case_T05() {
	hook_script T05 promote 'ulimit -c 0; kill -SEGV $$'
	start "$A" "hooks.promote=$T/T05.sh"
	need 20 "$A to be elected" logged "$A" 'election: elected' || return 1
	start "$B"
	need 30 "$B to lead" role_is "$B" leader || return 1
	need 10 "$A's demote after the failed promote" hook_seen_reason "$A" demote end promote-failed
}

# A follow hook killed by SIGKILL: logged, the follower stays.
case_T06() {
	hook_script T06 follow 'kill -KILL $$'
	start "$B"
	need 20 "$B to lead" role_is "$B" leader || return 1
	start "$A" "hooks.follow=$T/T06.sh"
	need 20 "$A to follow" role_is "$A" follower || return 1
	need 10 "$A's follow to be logged" logged "$A" 'hook follow\[[0-9]+\] signal 9' || return 1
	state_is "$A" LEADER_ID "$B" || bad "$A thinks $(state_of "$A" LEADER_ID) leads"
}

# The start-up demote dies by SIGTERM: logged, and the node joins and leads.
case_T07() {
	hook_script T07 demote 'kill -TERM $$'
	start "$A" "hooks.demote=$T/T07.sh" "election.demote_on_start=yes"
	need 20 "$A to lead" role_is "$A" leader || return 1
	need 10 "$A's promote to end" hook_seen "$A" promote end
}

# Elected while the promote hook is gone (deleted, or its execute bit removed after start).
hook_gone() {
	local how=$1
	cp "$(dirname "$ZKELECTD")/hookrec" "$T/$CASE-promote"	# a copy records in $T too
	start "$B"
	need 20 "$B to lead" role_is "$B" leader || return 1
	start "$A" "hooks.promote=$T/$CASE-promote"
	need 20 "$A to follow" role_is "$A" follower || return 1
	need 10 "$A's follow to end" hook_seen "$A" follow end || return 1
	case $how in
	rm) rm "$T/$CASE-promote" ;;
	chmod) chmod 644 "$T/$CASE-promote" ;;
	esac
	kill -USR1 "$(daemon_pid "$B")"	# b resigns: a is elected
	need 20 "$A to try its promote" logged "$A" 'hook promote: cannot start' || return 1
	need 30 "$B to lead again" role_is "$B" leader || return 1
	need 10 "$A's demote after the failed promote" hook_seen_reason "$A" demote end promote-failed
}

# The promote hook deleted while the daemon runs.
case_T08() {
	hook_gone rm
}

# The promote hook made non-executable while the daemon runs.
case_T09() {
	hook_gone chmod
}

# Control bytes, a NUL and a 5000-byte line: escaped, cut into pieces, nothing raw.
case_T10() {
	hook_script T10 promote "printf 'nul<\\0> esc<\\033[2J> cr<\\r>\\n'; head -c 5000 /dev/zero | tr '\\0' y"
	start "$A" "hooks.promote=$T/T10.sh"
	need 20 "$A's promote to end" hook_seen "$A" promote end || return 1
	need 10 "the run to be logged" logged "$A" 'hook promote\[[0-9]+\] exit 0' || return 1
	logged "$A" 'nul<\\x00> esc<\\x1b\[2J> cr<\\x0d>' ||
		bad "no escaped control line: $(grep 'nul<' "$T/$A.log")" || return 1
	! grep -q $'[\x01-\x08\x0b-\x1f]' "$T/$A.log" || bad "a raw control byte in the log" || return 1
	if [ "$(log_count "$A" 'hook promote\[[0-9]+\]: y{1024}$')" -ne 4 ] ||
	    [ "$(log_count "$A" 'hook promote\[[0-9]+\]: y{904}$')" -ne 1 ]; then
		bad "the 5000-byte line was not logged as 4 x 1024 + 904"
	fi
}

# --- the runner ---

# Run row ID: its case function, the expected answer on ID-a, then a clean stop of all.
run_row() {
	local id=$1 what=$2 e=$EXPECT bug="" role re rc=0 n pid
	ROW_ERR=""
	SKIP_REASON=""
	CASE=$id A=$id-a B=$id-b NAMES=() HELPERS=()
	ELECTION_PATH=/zkelectd/bad-$id
	if [[ $e == BUG:* ]]; then
		bug=${e%% => *}
		bug=${bug#BUG: }
		e=${e#* => }
	fi
	[[ $e =~ ^runs\ as\ ([a-z]+):\ (.*)$ ]] || fail "row $id: cannot read '$EXPECT'"
	role=${BASH_REMATCH[1]}
	re=${BASH_REMATCH[2]}
	declare -F "case_$id" >/dev/null || fail "row $id: no function case_$id"
	"case_$id" || rc=$?
	[ "$rc" -le 2 ] || rc=1
	if [ "$rc" -eq 0 ]; then
		{ daemon_running "$A" || bad "$A is not running"; } &&
			need 30 "$A to be $role" role_is "$A" "$role" &&
			need 10 "/$re/ in $A's log" logged "$A" "$re" || rc=1
	fi
	for pid in "${HELPERS[@]}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	for n in "${NAMES[@]}"; do
		daemon_running "$n" || continue
		daemon_stop "$n"
		[ "$LAST_EXIT" -eq 0 ] || { [ "$rc" -ne 0 ] || bad "$n exited $LAST_EXIT on SIGTERM"; rc=1; }
	done
	if [ "$rc" -eq 2 ]; then
		SKIPPED=$((SKIPPED + 1))
		echo "SKIP $id ($what): $SKIP_REASON"
	elif [ -n "$bug" ] && [ "$rc" -ne 0 ]; then
		XFAILED=$((XFAILED + 1))
		echo "XFAIL $id ($what): known bug: $bug [$ROW_ERR]"
	elif [ -n "$bug" ]; then
		FAILED+=("$id")
		echo "XPASS $id ($what): marked BUG but answers as expected: drop the mark"
	elif [ "$rc" -ne 0 ]; then
		FAILED+=("$id")
		echo "FAIL $id ($what): $ROW_ERR"
		for n in "${NAMES[@]}"; do
			echo "---- tail of $n.log"
			tail -n 15 "$T/$n.log"
		done
	else
		PASSED=$((PASSED + 1))
		echo "ok $id ($what)"
	fi
}

[ -x "$ZKPUT" ] || fail "no $ZKPUT: the test tools are built by make unit"
zk_start
while IFS=$'\t' read -r -u 3 id kind what _ EXPECT; do
	[[ -z $id || $id == \#* ]] && continue
	[[ " $KINDS " == *" $kind "* ]] || continue
	[ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $id "* ]] || continue
	run_row "$id" "$what"
done 3<"$TSV"
echo "$KINDS rows: $PASSED passed, $XFAILED known bugs (XFAIL), $SKIPPED skipped," \
	"${#FAILED[@]} failed${FAILED[*]:+: ${FAILED[*]}}"
[ "${#FAILED[@]}" -eq 0 ] || fail "rows failed: ${FAILED[*]}"
[ "$PASSED" -gt 0 ] || fail "no row passed"
pass
