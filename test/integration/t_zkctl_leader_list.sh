#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# zkelectctl against three running daemons: `list` shows them in election order
# with the leader first, `leader` names it, `is-leader` answers 0 only on the
# leader (and not while it is stopped), `status` says 3 once a daemon stopped
# and `upgrade` then exits 1 saying so (t_upgrade runs a real one),
# `leader` exits 1 with nobody contending and 2 without ZooKeeper.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

NODES="db1 db2 db3"

# True when exactly one daemon leads and the others follow.
settled() {
	local n followers=0
	[ "$(leader_count)" -eq 1 ] || return 1
	for n in $NODES; do
		role_is "$n" follower && followers=$((followers + 1))
	done
	[ "$followers" -eq 2 ]
}

# True when the process PID is stopped (SIGSTOP).
is_stopped() {
	[[ $(sed 's/.*) //' "/proc/$1/stat") == [Tt]* ]]
}

zk_start
for n in $NODES; do
	write_conf "$n" "election.data=host=$n port=5432"
	daemon_start "$n"
done
wait_for "one leader and two followers" 30 settled
leader=""
for n in $NODES; do
	role_is "$n" leader && leader=$n
done

# list: three lines in election order, the leader first, fields as the daemons say
zkctl db1 list >"$T/list" || fail "list exited $?"
[ "$(wc -l <"$T/list")" -eq 3 ] || fail "list printed $(wc -l <"$T/list") lines, not 3: $(cat "$T/list")"
pos=0
while IFS=$'\t' read -r p id epoch znode data prio; do
	pos=$((pos + 1))
	[ "$prio" = 100 ] || fail "$id: list says priority '$prio', not the default 100"
	[ "$p" = "$pos" ] || fail "line $pos has position '$p'"
	[ "$znode" = "$(state_of "$id" ZNODE)" ] || fail "$id: list says znode $znode, state says $(state_of "$id" ZNODE)"
	[ "$data" = "host=$id port=5432" ] || fail "$id: list says data '$data'"
	[[ $epoch =~ ^[0-9]+$ ]] || fail "$id: epoch '$epoch' is not a number"
	if [ "$pos" -eq 1 ]; then
		[ "$id" = "$leader" ] || fail "position 1 is $id, but $leader's state says leader"
		[ "$epoch" = "$(state_of "$leader" EPOCH)" ] || fail "leader epoch $epoch, state says $(state_of "$leader" EPOCH)"
	fi
done <"$T/list"

# leader: sh-quoted lines naming the leader
out=$(zkctl db2 leader) || fail "leader exited $?"
eval "$out"
[ "${LEADER_ID:-}" = "$leader" ] || fail "leader says LEADER_ID='${LEADER_ID:-}', not $leader"
[ "${LEADER_DATA:-}" = "host=$leader port=5432" ] || fail "leader says LEADER_DATA='${LEADER_DATA:-}'"
[ "${EPOCH:-}" = "$(state_of "$leader" EPOCH)" ] || fail "leader says EPOCH='${EPOCH:-}'"
[ "${ZNODE:-}" = "$(state_of "$leader" ZNODE)" ] || fail "leader says ZNODE='${ZNODE:-}'"

# is-leader: 0 on the leader only, silent; 1 while the leader is stopped
for n in $NODES; do
	rc=0
	out=$(zkctl "$n" is-leader 2>&1) || rc=$?
	[ -z "$out" ] || fail "is-leader printed '$out'"
	if [ "$n" = "$leader" ]; then
		[ "$rc" -eq 0 ] || fail "is-leader on the leader $n exited $rc"
	else
		[ "$rc" -eq 1 ] || fail "is-leader on the follower $n exited $rc"
	fi
done
daemon_stop "$leader" STOP
wait_for "$leader to be stopped" 5 is_stopped "$(daemon_pid "$leader")"
rc=0
zkctl "$leader" is-leader || rc=$?
daemon_stop "$leader" CONT
[ "$rc" -eq 1 ] || fail "is-leader on the stopped leader exited $rc"

# status: 0 while running, 3 once stopped
follower=$(awk 'NR == 2 { print $2 }' "$T/list")
zkctl "$follower" status >"$T/status" || fail "status of running $follower exited $?"
grep -q "role: *follower" "$T/status" || fail "status does not show the role: $(cat "$T/status")"
daemon_stop "$follower"
[ "$LAST_EXIT" -eq 0 ] || fail "$follower exited $LAST_EXIT after SIGTERM"
rc=0
zkctl "$follower" status >"$T/status" || rc=$?
[ "$rc" -eq 3 ] || fail "status of stopped $follower exited $rc, not 3"
grep -q "zkelectd is not running" "$T/status" || fail "status says: $(cat "$T/status")"
rc=0
zkctl "$follower" upgrade 2>"$T/upgrade.err" || rc=$?
[ "$rc" -eq 1 ] || fail "upgrade of stopped $follower exited $rc, not 1"
grep -q "zkelectd is not running" "$T/upgrade.err" || fail "upgrade says: $(cat "$T/upgrade.err")"

# leader: 1 when nobody contends (an empty election path, and a missing one)
for n in $NODES; do
	daemon_running "$n" && daemon_stop "$n"
done
rc=0
zkctl db1 leader >"$T/out" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "leader with no contender exited $rc: $(cat "$T/out")"
[ ! -s "$T/out" ] || fail "leader with no contender printed: $(cat "$T/out")"
out=$(zkctl db1 list) || fail "list with no contender exited $?"
[ -z "$out" ] || fail "list with no contender printed: $out"
write_conf nopath "election.path=/zkelectd/no-such-path"
rc=0
zkctl nopath leader 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "leader on a missing election path exited $rc"

# leader and list: 2 when ZooKeeper cannot be reached
zk_stop
for cmd in leader list; do
	rc=0
	zkctl db1 "$cmd" >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || fail "$cmd without ZooKeeper exited $rc, not 2"
done
pass
