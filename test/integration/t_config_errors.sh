#!/bin/bash
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# zkelectd -t: a good file says "configuration OK" and exits 0; a file with many
# problems reports each one as FILE:LINE: with the right line and exits 78; a
# missing file, a directory, a missing required key (line 0) and a hook that is
# not executable exit 78; the daemon itself (without -t) exits 78 on a bad file
# without creating its PID file; the shipped conf/zkelectd.conf passes -t once its
# hook paths point at an executable. No ZooKeeper is needed (none is contacted).
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# Run zkelectd -t -c FILE; its stdout in $T/out, stderr in $T/err, status in RC.
check() {
	RC=0
	timeout 10 "$ZKELECTD" -t -c "$1" >"$T/out" 2>"$T/err" || RC=$?
}

# Fail unless $T/err has a line "FILE:LINE: ..." matching the regex PATTERN.
expect_error() {
	local file=$1 line=$2 pattern=$3
	grep -qE "^$(printf '%s' "$file" | sed 's/[][\.*^$/]/\\&/g'):$line: .*$pattern" "$T/err" ||
		fail "no '$file:$line: ...$pattern' in: $(cat "$T/err")"
}

# A config file needs no running ZooKeeper: give write_conf an address nobody uses.
# shellcheck disable=SC2034 # read by write_conf
ZK_HOSTS=127.0.0.1:9
write_conf good "election.data=$(printf 'x%.0s' $(seq 1 191))" "hooks.demote_timeout=500ms"
# the data line is exactly 198 bytes ("data = " and 191 x): the longest allowed
{ [ "$(grep -c '^data = x*$' "$T/good.conf")" -eq 1 ] &&
	[ "$(grep '^data = ' "$T/good.conf" | tr -d '\n' | wc -c)" -eq 198 ]; } ||
	fail "test setup: the data line is not 198 bytes"

# A good file: "configuration OK" on stdout, nothing on stderr, exit 0.
check "$T/good.conf"
[ "$RC" -eq 0 ] || fail "-t on a good file exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "configuration OK" ] || fail "-t on a good file printed '$(cat "$T/out")'"
[ ! -s "$T/err" ] || fail "-t on a good file wrote to stderr: $(cat "$T/err")"
[ ! -e "$T/good/zkelectd.pid" ] || fail "-t created the PID file"

# A demote allowed to outlast the demote budget (session_timeout / 3 -
# disconnect_grace): still valid, but -t warns, naming the lost guarantee and the fixes.
write_conf slow "hooks.demote_timeout=20s"
check "$T/slow.conf"
[ "$RC" -eq 0 ] || fail "-t on an over-budget file exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "configuration OK" ] || fail "-t on an over-budget file printed '$(cat "$T/out")'"
grep -q "warning: $T/slow.conf: disconnect_grace (0s) + demote_timeout (20s) do not fit in session_timeout / 3 (666ms).*has demoted before another node can lead.*set demote_timeout to at most 666ms or session_timeout to at least 1m" "$T/err" ||
	fail "no demote budget warning from -t: $(cat "$T/err")"

# A file with one problem on each of several lines (numbers in the comments).
# line 14 is exactly 199 bytes, one more than inih can read
long="follow = $T/hook.sh "
long+=$(printf 'y%.0s' $(seq 1 $((199 - ${#long}))))
[ ${#long} -eq 199 ] || fail "test setup: the long line is ${#long} bytes"
cat >"$T/bad.conf" <<EOF
[zookeeper]
hosts = 127.0.0.1:9
session_timeout = 3s
bogus_key = 1
[election]
path = /zkelectd/bad
id = bad
disconnect_grace = 1s
[hooks]
promote = $T/hook.sh
demote = hooks/demote
timeout = 5 parsecs
promote = $T/hook.sh
$long
[daemon]
pid_file = $T/bad/zkelectd.pid
state_file = $T/bad/zkelectd.state
EOF
mkdir -p "$T/bad"
check "$T/bad.conf"
[ "$RC" -eq 78 ] || fail "-t on a bad file exited $RC, not 78"
grep -q "configuration OK" "$T/out" && fail "-t on a bad file said configuration OK"
expect_error "$T/bad.conf" 4 'bogus_key'              # unknown key
expect_error "$T/bad.conf" 8 'disconnect_grace'       # >= session_timeout / 3
expect_error "$T/bad.conf" 11 'hooks/demote'          # relative hook path
expect_error "$T/bad.conf" 12 '5 parsecs'             # bad duration
expect_error "$T/bad.conf" 13 'promote'               # duplicate key
expect_error "$T/bad.conf" 14 '(long|198|199)'        # 199 bytes
# every line of stderr is FILE:LINE: message, in file order
awk -v f="$T/bad.conf:" 'index($0, f) != 1 { exit 1 }' "$T/err" ||
	fail "a stderr line is not FILE:LINE: message: $(cat "$T/err")"
sed "s|^$T/bad.conf:\([0-9]*\):.*|\1|" "$T/err" | sort -n -c 2>/dev/null ||
	fail "problems not in file order: $(cat "$T/err")"
for l in 1 2 3 5 6 7 9 10 15 16 17; do
	grep -q "^$T/bad.conf:$l:" "$T/err" && fail "a problem reported on good line $l: $(cat "$T/err")"
done

# The daemon itself on the bad file: exit 78, no PID file, no hook run.
RC=0
timeout 10 "$ZKELECTD" -c "$T/bad.conf" >"$T/daemon-bad.log" 2>&1 </dev/null || RC=$?
[ "$RC" -eq 78 ] || fail "zkelectd on a bad file exited $RC, not 78: $(cat "$T/daemon-bad.log")"
[ ! -e "$T/bad/zkelectd.pid" ] || fail "zkelectd on a bad file created its PID file"
[ ! -e "$T/hooks.log" ] || fail "zkelectd on a bad file ran a hook: $(cat "$T/hooks.log")"
grep -q "$T/bad.conf:4:" "$T/daemon-bad.log" ||
	fail "zkelectd on a bad file did not log the problems: $(cat "$T/daemon-bad.log")"

# A missing file and a directory: exit 78 with FILE:0:.
check "$T/no-such.conf"
[ "$RC" -eq 78 ] || fail "-t on a missing file exited $RC, not 78"
expect_error "$T/no-such.conf" 0 ''
mkdir "$T/dir.conf"
check "$T/dir.conf"
[ "$RC" -eq 78 ] || fail "-t on a directory exited $RC, not 78"
expect_error "$T/dir.conf" 0 ''
RC=0
timeout 10 "$ZKELECTD" -c "$T/no-such.conf" >"$T/daemon-missing.log" 2>&1 </dev/null || RC=$?
[ "$RC" -eq 78 ] || fail "zkelectd on a missing file exited $RC, not 78"

# A missing required key: line 0.
write_conf nopath "election.path="
check "$T/nopath.conf"
[ "$RC" -eq 78 ] || fail "-t without election path exited $RC, not 78"
expect_error "$T/nopath.conf" 0 'path'

# A hook that exists but is not executable: its line, exit 78.
printf '#!/bin/sh\nexit 0\n' >"$T/noexec.sh"
chmod 644 "$T/noexec.sh"
write_conf noexec "hooks.demote=$T/noexec.sh"
check "$T/noexec.conf"
[ "$RC" -eq 78 ] || fail "-t with a non-executable hook exited $RC, not 78"
expect_error "$T/noexec.conf" "$(grep -n "^demote = " "$T/noexec.conf" | cut -d: -f1)" 'noexec.sh'
# ... and a hook that does not exist at all
write_conf nohook "hooks.follow=$T/no-such-hook"
check "$T/nohook.conf"
[ "$RC" -eq 78 ] || fail "-t with a missing hook exited $RC, not 78"
expect_error "$T/nohook.conf" "$(grep -n "^follow = " "$T/nohook.conf" | cut -d: -f1)" 'no-such-hook'

# The shipped example passes once its hooks point at an executable.
sed "s|/etc/zkelectd/hooks/[a-z]*|$ROOT/scripts/hooks/example-hook|" \
	"$ROOT/conf/zkelectd.conf" >"$T/example.conf"
grep -q "^promote = $ROOT/scripts/hooks/example-hook$" "$T/example.conf" ||
	fail "test setup: the example's promote line was not replaced"
check "$T/example.conf"
[ "$RC" -eq 0 ] || fail "-t on conf/zkelectd.conf exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "configuration OK" ] || fail "-t on the example printed '$(cat "$T/out")'"
pass
