#!/bin/bash
# shellcheck disable=SC2317 # functions called through poll
# run.sh: plain build only
# run.sh: long
# (its 145 rows start the daemon 290 times, a minute under ASan; the parser it
# exercises runs under ASan+UBSan in test_config and under libFuzzer in t_fuzz)
# The bad-input catalogue, test/bad_inputs.tsv: its conf, file and start rows.
# conf and file rows: `zkelectd -t -c FILE` prints exactly the problems the row
# expects as FILE:LINE: message and exits 78; `zkelectd -c FILE` exits 78 and logs
# the same lines, creates no PID file and runs no hook; the file is left as it was.
# start rows: the daemon, after the row's setup, exits 1 with the expected message,
# or keeps running in role starting (ZK_STATE connecting) until SIGTERM stops it
# cleanly. No ZooKeeper runs here: every file names one nobody listens on.
# Rows marked "BUG:" are reported as XFAIL while they fail, and fail as XPASS.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

TSV=$ROOT/test/bad_inputs.tsv
# shellcheck disable=SC2034 # read by lib.sh
ZK_HOSTS=127.0.0.1:9 # read by proxy_start: the "ZooKeeper" behind the fault proxy
PASSED=0
XFAILED=0
SKIPPED=0
FAILED=()
ROW_ERR=""

# --- building inputs ---

# Print TEXT with the catalogue's macros expanded (backslash escapes still unexpanded).
expand() {
	local s=$1 n
	local zk='[zookeeper]\nhosts = 127.0.0.1:9\n'
	local el='[election]\npath = /zkelectd/bad\nid = bad\n'
	local hk='[hooks]\npromote = @HOOK@\ndemote = @HOOK@\ndemote_timeout = 1s\n'
	local dm='[daemon]\npid_file = @T@/run/zkelectd.pid\nstate_file = @T@/run/zkelectd.state\n'
	s=${s//@BASE@/"$zk$el$hk$dm"}
	s=${s//@ZOOKEEPER@/"$zk"}
	s=${s//@ELECTION@/"$el"}
	s=${s//@HOOKS@/"$hk"}
	s=${s//@DAEMON@/"$dm"}
	while [[ $s =~ @([xs])([0-9]+)@ ]]; do
		n=$(head -c "${BASH_REMATCH[2]}" /dev/zero | tr '\0' "${BASH_REMATCH[1]/s/ }")
		s=${s/"${BASH_REMATCH[0]}"/"$n"}
	done
	s=${s//@HOOK@/"$T/hook.sh"}
	s=${s//@T@/"$T"}
	s=${s//@PORT@/"${PORT:-0}"}
	s=${s//@PID@/"${HOLDER:-0}"}
	printf '%s' "$s"
}

# Write FILE from a row's INPUT (macros, then printf %b escapes, NUL bytes included).
write_input() {
	printf '%b' "$(expand "$2")" >"$1"
}

# A regular expression matching the string S literally.
re_quote() {
	printf '%s' "$1" | sed 's/[][\.*^$/+?(){}|]/\\&/g'
}

# --- the expected answer ---

# Parse EXPECT into EXP_KIND (accepted, exit78, exit1, runs) and its fields; BUG
# rows set EXP_BUG to the reason and parse the answer after " => ".
parse_expect() {
	local e=$1 item
	EXP_BUG=""
	EXP_ITEMS=()
	if [[ $e == BUG:* ]]; then
		EXP_BUG=${e%% => *}
		EXP_BUG=${EXP_BUG#BUG: }
		e=${e#* => }
	fi
	e=$(expand "$e")
	if [ "$e" = accepted ]; then
		EXP_KIND=accepted
	elif [[ $e =~ ^exit\ 78\ \(([0-9]+)\ problems?\):\ (.*)$ ]]; then
		EXP_KIND=exit78
		EXP_N=${BASH_REMATCH[1]}
		while IFS= read -r item; do
			EXP_ITEMS+=("$item")
		done < <(printf '%s\n' "${BASH_REMATCH[2]}" | sed 's/ ;; /\n/g')
	elif [[ $e =~ ^exit\ 1:\ (.*)$ ]]; then
		EXP_KIND=exit1
		EXP_RE=${BASH_REMATCH[1]}
	elif [[ $e =~ ^runs\ as\ ([a-z]+):\ (.*)$ ]]; then
		EXP_KIND=runs
		EXP_ROLE=${BASH_REMATCH[1]}
		EXP_RE=${BASH_REMATCH[2]}
	else
		EXP_KIND=unknown
	fi
}

# --- checks (each returns 1 with ROW_ERR set on the first problem) ---

# Note why the row failed and return 1.
bad() {
	ROW_ERR=$1
	return 1
}

# Run zkelectd (with WRAP... before it, if set) on FILE with ARGS; RC, $T/out, $T/err.
run_daemon() {
	RC=0
	timeout -k 2 5 "${WRAP[@]}" "$ZKELECTD" "$@" </dev/null >"$T/out" 2>"$T/err" || RC=$?
}

# -t on FILE answers as an exit78 or accepted row expects.
check_t() {
	local file=$1 item line re n
	run_daemon -t -c "$file"
	if [ "$EXP_KIND" = accepted ]; then
		[ "$RC" -eq 0 ] || bad "-t exited $RC: $(head -c 600 "$T/err")" || return 1
		[ "$(cat "$T/out")" = "configuration OK" ] || bad "-t printed '$(cat "$T/out")'" || return 1
		[ ! -s "$T/err" ] || bad "-t wrote to stderr: $(head -c 600 "$T/err")" || return 1
		return 0
	fi
	[ "$RC" -eq 78 ] || bad "-t exited $RC, not 78: $(head -c 600 "$T/err")" || return 1
	! grep -q "configuration OK" "$T/out" || bad "-t said configuration OK" || return 1
	n=$(grep -c '' "$T/err")
	[ "$n" -eq "$EXP_N" ] || bad "-t reported $n problems, not $EXP_N: $(head -c 1500 "$T/err")" ||
		return 1
	awk -v f="$file:" 'index($0, f) != 1 { exit 1 }' "$T/err" ||
		bad "a line is not $file:LINE: message: $(head -c 600 "$T/err")" || return 1
	for item in "${EXP_ITEMS[@]}"; do
		line=${item%%: *}
		re=${item#*: }
		grep -qE "^$(re_quote "$file"):$line: (.*)?$re" "$T/err" ||
			bad "no '$file:$line: ...$re' in: $(head -c 1500 "$T/err")" || return 1
	done
}

# The daemon on FILE exits 78, logs each problem -t printed, leaves no PID file, runs no hook.
check_daemon78() {
	local file=$1 line
	cp "$T/err" "$T/t.err"
	run_daemon -c "$file"
	[ "$RC" -eq 78 ] || bad "the daemon exited $RC, not 78: $(head -c 600 "$T/err")" || return 1
	while IFS= read -r line; do
		grep -qF "error: $line" "$T/err" ||
			bad "the daemon did not log '$line': $(head -c 600 "$T/err")" || return 1
	done <"$T/t.err"
	[ -z "$(ls -A "$T/run")" ] || bad "the daemon left $(ls -A "$T/run") in $T/run" || return 1
	[ ! -e "$T/hooks.log" ] || bad "the daemon ran a hook: $(cat "$T/hooks.log")" || return 1
}

# A conf or file row: -t, then the daemon (unless accepted); FILE unchanged.
run_config_row() {
	local file=$1 before=""
	[ -f "$file" ] && [ -r "$file" ] && before=$(cksum <"$file")
	check_t "$file" || return 1
	if [ "$EXP_KIND" = exit78 ]; then
		check_daemon78 "$file" || return 1
	fi
	if [ -n "$before" ]; then
		[ "$(cksum <"$file")" = "$before" ] || bad "$file changed" || return 1
	fi
}

# --- file rows: files that are no ordinary configuration ---

# Make the file of file row KIND for row ID; print its path.
make_file() {
	local id=$1 kind=$2 f=$T/cases/$1.conf
	case $kind in
	missing) ;;
	directory) mkdir "$f" ;;
	no-permission)
		write_input "$f" '@BASE@'
		chmod 000 "$f" ;;
	read-error) f=/proc/self/mem ;;	# open succeeds, read fails with EIO
	dangling-symlink) ln -s "$T/cases/nowhere" "$f" ;;
	symlink-loop) ln -s "$f" "$f" ;;
	empty) : >"$f" ;;
	dev-null) f=/dev/null ;;
	comments-only) printf '; a comment\n\n# another one\n   \n[zookeeper] ; empty\n' >"$f" ;;
	huge-line) head -c 67108864 /dev/zero | tr '\0' x >"$f" ;;
	fifo) mkfifo "$f" ;;
	dev-zero) f=/dev/zero ;;
	*) return 1 ;;
	esac
	printf '%s\n' "$f"
}

# A file row: make the file, then run it as a conf row.
run_file_row() {
	local id=$1 kind=$2 file
	if [ "$kind" = dev-zero ] && [[ $ZKELECTD == */asan/* ]]; then
		SKIP_REASON="needs an address-space limit, which AddressSanitizer cannot run under"
		return 2
	fi
	file=$(make_file "$id" "$kind") || bad "unknown file kind '$kind'" || return 1
	# root reads anything: drop the capabilities that let it
	if [ "$kind" = no-permission ] && [ "$(id -u)" -eq 0 ]; then
		WRAP=(setpriv "--bounding-set=-dac_override,-dac_read_search")
	fi
	# the daemon buffers the endless line: bound the damage
	[ "$kind" = dev-zero ] && WRAP=(prlimit --as=1073741824)
	run_config_row "$file"
}

# --- start rows: problems found when the daemon starts ---

# Do start row SETUP before the daemon starts (PID files, mounts, a fault proxy).
start_setup() {
	local id=$1 setup=$2 pidf=$T/run/zkelectd.pid
	PORT=""
	HOLDER=""
	case $setup in
	none) ;;
	read-only\ *)
		mkdir -p "${setup#read-only }"
		if ! unshare -m --propagation private mount --bind "$T/run" "$T/run" 2>/dev/null; then
			SKIP_REASON="cannot make a private read-only mount here (no CAP_SYS_ADMIN?)"
			return 2
		fi
		# a private mount namespace, so the read-only mount ends with the daemon
		# shellcheck disable=SC2016 # expanded by the inner sh
		WRAP=(unshare -m --propagation private sh -c 'mount --bind "$1" "$1" &&
		    mount -o remount,bind,ro "$1" && shift && exec "$@"' sh "${setup#read-only }") ;;
	locked)
		(exec 9>"$pidf" && flock -x 9 && : >"$T/locked" && exec sleep 60) &
		HOLDER=$!
		poll 10 test -e "$T/locked" || bad "the lock holder did not start" || return 1
		echo "$HOLDER" >"$pidf" ;;
	stale-pid)
		sleep 0 &
		wait $!
		echo "$!" >"$pidf"
		! kill -0 "$(cat "$pidf")" 2>/dev/null || bad "test setup: pid $! still runs" || return 1 ;;
	garbage-pid) head -c 100000 /dev/urandom >"$pidf" ;;
	live-unlocked-pid) echo 1 >"$pidf" ;;
	blackhole | reset)
		proxy_start "$id"
		proxy_mode "$id" "$setup"
		PORT=${PROXY_PORT[$id]} ;;
	*) bad "unknown setup '$setup'" ;;
	esac
}

# True while the start row's daemon ID runs in the expected role, still connecting.
starting_connecting() {
	daemon_running "$1" && [ "$(state_of "$1" ROLE)" = "$EXP_ROLE" ] &&
		[ "$(state_of "$1" ZK_STATE)" = connecting ]
}

# A start row expected to exit 1 with a message.
start_exit1() {
	local id=$1 pidf=$T/run/zkelectd.pid before=""
	[ -f "$pidf" ] && before=$(cksum <"$pidf")
	run_daemon -c "$T/cases/$id.conf"
	[ "$RC" -eq 1 ] || bad "the daemon exited $RC, not 1: $(head -c 600 "$T/err")" || return 1
	grep -qE -- "$EXP_RE" "$T/err" || bad "no /$EXP_RE/ in: $(head -c 600 "$T/err")" || return 1
	[ "$(grep -c '' "$T/err")" -le 2 ] || bad "more than a message: $(head -c 600 "$T/err")" ||
		return 1
	if [ -n "$before" ]; then
		[ "$(cksum <"$pidf")" = "$before" ] || bad "the other's PID file was changed" || return 1
	fi
	[ ! -e "$T/hooks.log" ] || bad "the daemon ran a hook: $(cat "$T/hooks.log")"
}

# A start row expected to run: starting, connecting, for 2 s; its PID file; a clean stop.
start_runs() {
	local id=$1 deadline
	ln -sfn "$T/run" "$T/$id"	# state_of ID reads $T/ID/zkelectd.state
	cp "$T/cases/$id.conf" "$T/$id.conf"
	daemon_start "$id"
	poll 15 starting_connecting "$id" ||
		bad "not running as starting/connecting: $(tail -n 5 "$T/$id.log")" || return 1
	poll 15 grep -qE -- "$EXP_RE" "$T/$id.log" ||
		bad "no /$EXP_RE/ in the log: $(tail -n 5 "$T/$id.log")" || return 1
	deadline=$(($(now_us) + 2000000))
	while [ "${EPOCHREALTIME/./}" -lt "$deadline" ]; do
		starting_connecting "$id" ||
			bad "left starting/connecting: $(tail -n 5 "$T/$id.log")" || return 1
		nap 0.2
	done
	[ "$(cat "$T/run/zkelectd.pid")" = "$(daemon_pid "$id")" ] ||
		bad "the PID file says $(head -c 20 "$T/run/zkelectd.pid" | od -c | head -n 1)" || return 1
	hook_seen "$id" promote start && { bad "it promoted without ZooKeeper"; return 1; }
	daemon_stop "$id"
	[ "$LAST_EXIT" -eq 0 ] || bad "exit $LAST_EXIT after SIGTERM" || return 1
	[ ! -e "$T/run/zkelectd.pid" ] || bad "the PID file is left after the stop" || return 1
	[ "$(state_of "$id" ROLE)" = stopped ] || bad "the state says $(state_of "$id" ROLE)"
}

# A start row: setup, write the file, then the expected kind of answer.
run_start_row() {
	local id=$1 input=$2 rc=0 setup body
	[[ $input =~ ^([^:]*):\ (.*)$ ]] || bad "input is not SETUP: FILE" || return 1
	setup=$(expand "${BASH_REMATCH[1]}")
	body=${BASH_REMATCH[2]}
	start_setup "$id" "$setup" || return $?
	write_input "$T/cases/$id.conf" "$body"
	parse_expect "$EXPECT"	# again: @PORT@ is known now
	case $EXP_KIND in
	exit1) start_exit1 "$id" || rc=1 ;;
	runs) start_runs "$id" || rc=1 ;;
	*) bad "a start row expects exit 1 or runs" || rc=1 ;;
	esac
	if [ -n "$HOLDER" ]; then
		kill "$HOLDER" 2>/dev/null
		wait "$HOLDER" 2>/dev/null
	fi
	if [ -n "$PORT" ]; then
		kill "${PROXY_PIDS[$id]}" 2>/dev/null
		reap "${PROXY_PIDS[$id]}" 5
		unset "PROXY_PIDS[$id]"
	fi
	return "$rc"
}

# --- the catalogue ---

# Run one row; count it as passed, xfail, skipped or failed.
run_row() {
	local id=$1 kind=$2 what=$3 input=$4 rc=0
	ROW_ERR=""
	SKIP_REASON=""
	WRAP=()
	rm -rf "${T:?}/run" "$T/hooks.log"
	mkdir -p "$T/run"
	parse_expect "$EXPECT"
	[ "$EXP_KIND" != unknown ] || bad "cannot read the expected answer '$EXPECT'" || rc=1
	if [ "$rc" -eq 0 ]; then
		case $kind in
		conf)
			write_input "$T/cases/$id.conf" "$input"
			run_config_row "$T/cases/$id.conf" || rc=$? ;;
		file) run_file_row "$id" "$input" || rc=$? ;;
		start) run_start_row "$id" "$input" || rc=$? ;;
		esac
	fi
	[ "${KEEP:-0}" = 1 ] || rm -rf "${T:?}/cases/$id.conf"	# the 64 MB one, too
	if [ "$rc" -eq 2 ]; then
		SKIPPED=$((SKIPPED + 1))
		echo "SKIP $id ($what): $SKIP_REASON"
	elif [ -n "$EXP_BUG" ] && [ "$rc" -ne 0 ]; then
		XFAILED=$((XFAILED + 1))
		echo "XFAIL $id ($what): known bug: $EXP_BUG [$ROW_ERR]"
	elif [ -n "$EXP_BUG" ]; then
		FAILED+=("$id")
		echo "XPASS $id ($what): marked BUG but answers as expected: drop the mark"
	elif [ "$rc" -ne 0 ]; then
		FAILED+=("$id")
		echo "FAIL $id ($what): $ROW_ERR"
	else
		PASSED=$((PASSED + 1))
	fi
}

write_hook
mkdir -p "$T/cases"
printf '#!/bin/sh\nexit 0\n' >"$T/noexec.sh"
chmod 644 "$T/noexec.sh"
ln -s "$T/no-such-target" "$T/dangling"

declare -A SEEN=()
while IFS=$'\t' read -r -u 3 id kind what input EXPECT; do
	[[ -z $id || $id == \#* ]] && continue
	[ -z "${SEEN[$id]:-}" ] || fail "bad_inputs.tsv: id $id given twice"
	SEEN[$id]=1
	[ -n "$EXPECT" ] || fail "bad_inputs.tsv: row $id has fewer than five columns"
	case $kind in
	conf | file | start) run_row "$id" "$kind" "$what" "$input" ;;
	runtime | hook) ;;	# t_bad_runtime.sh, t_bad_hooks.sh
	*) fail "bad_inputs.tsv: row $id has an unknown kind '$kind'" ;;
	esac
done 3<"$TSV"
echo "conf/file/start rows: $PASSED passed, $XFAILED known bugs (XFAIL), $SKIPPED skipped," \
	"${#FAILED[@]} failed${FAILED[*]:+: ${FAILED[*]}}"
[ "${#FAILED[@]}" -eq 0 ] || fail "rows failed: ${FAILED[*]}"
[ "$PASSED" -ge 50 ] || fail "only $PASSED rows passed"
pass
