#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (the same code runs under ASan in t_switchover and t_pause)
# zkelectctl switchover refuses, before writing anything, what cannot be done
# (rule 25): a target with an unknown id, the observer, the leader itself, an
# --epoch that is no longer the leader's, and a second request while another
# is under way. Each exits 1 with a message that names the problem; no hook
# runs, the leader and its epoch stay, and (refused by zkelectctl itself) no
# request znode is written; the one under way is left as it was.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

REQUEST=$ELECTION_PATH/switchover

# The request znode's data, version and zxids as zkCli prints them; status 1 when there is none.
request_stat() {
	local out
	out=$(/usr/share/zookeeper/bin/zkCli.sh -server "$ZK_HOSTS" get -s "$REQUEST" \
		2>>"$T/zkcli.log") || return 1
	printf '%s\n' "$out" | grep -E '^(zkelectd-switchover|[a-z_]+=|[cm]Zxid|dataVersion)'
}

# The leader as zkelectctl leader says it: LEADER_ID and EPOCH lines.
leader_now() {
	"$ZKELECTCTL" -c "$T/a.conf" leader 2>/dev/null | grep -E '^(LEADER_ID|EPOCH)='
}

# refused WHAT REGEX ARGS...: zkelectctl switchover ARGS exits 1, says REGEX, and
# changes nothing: no hook ran, the same leader with the same epoch.
refused() {
	local what=$1 regex=$2 rc=0
	shift 2
	zkctl a switchover --wait 10s "$@" >"$T/out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "$what: switchover $* exited $rc: $(cat "$T/out")"
	grep -qE "$regex" "$T/out" || fail "$what: no \"$regex\" in: $(cat "$T/out")"
	[ "$(wc -l <"$T/out")" -eq 1 ] || fail "$what: more than one line: $(cat "$T/out")"
	cmp -s "$T/hooks.log" "$T/hooks.before" ||
		fail "$what: a hook ran: $(diff "$T/hooks.before" "$T/hooks.log")"
	[ "$(leader_now)" = "$leader" ] || fail "$what: the leader changed: $(leader_now)"
	role_is a leader || fail "$what: a is $(state_of a ROLE)"
}

# refused_here WHAT REGEX ARGS...: refused, and by zkelectctl itself: no request written.
refused_here() {
	refused "$@"
	! request_stat >/dev/null || fail "$1: a request was written: $(request_stat)"
}

zk_start
write_conf a
write_conf b
write_conf c
write_conf o "election.mode=observer"
start_queue a b c
daemon_start o
wait_for "o to be an observer" 20 role_is o observer
wait_for "o's follow to end" 10 hook_seen o follow end
wait_for "b's follow to end" 10 hook_seen b follow end
wait_for "c's follow to end" 10 hook_seen c follow end
leader=$(leader_now)
epoch=$(state_of a EPOCH)
[ "$leader" = "$(printf "LEADER_ID='a'\nEPOCH='%s'" "$epoch")" ] ||
	fail "zkelectctl leader says $leader, a's state says epoch $epoch"
cp "$T/hooks.log" "$T/hooks.before"

refused_here "an unknown id" \
	"^zkelectctl: db9 is not in line: no live contender has that id \(in line: a b c\)" \
	--to db9
refused_here "the observer" \
	"^zkelectctl: o is not in line: .*\(in line: a b c\); an observer, a withdrawn or unhealthy node holds no place in line" \
	--to o
refused_here "the leader itself" "^zkelectctl: a already leads \(epoch $epoch\)" --to a
refused_here "a stale epoch" \
	"^zkelectctl: the leader's epoch is now $epoch, not $((epoch - 1)): refused" \
	--to c --epoch "$((epoch - 1))"
refused_here "a stale epoch, default target" \
	"^zkelectctl: the leader's epoch is now $epoch, not $((epoch - 1)): refused" \
	--epoch "$((epoch - 1))"

# Another request under way: the previous switchover's target (a) elected,
# its DONE not marked yet. The daemons leave it to a, which is not promoting.
printf 'zkelectd-switchover 1\nstate=demoting\nto=a\nfrom=x\nepoch=1\nwait_ms=60000\nforce=0\nnew_epoch=0\nby=tester@zkput[1]\nnote=x is next in line: x demotes\n' \
	>"$T/underway"
"$(dirname "$ZKELECTD")/zkput" "$ZK_HOSTS" create "$REQUEST" "@$T/underway" >/dev/null ||
	fail "zkput could not write the request under way"
before=$(request_stat) || fail "the request under way is not there"
refused "one under way" \
	"^zkelectctl: a switchover is already under way: demoting to a, asked by tester@zkput\[1\]$" \
	--to c
refused "one under way, default target" "already under way: demoting to a"
[ "$(request_stat)" = "$before" ] || fail "the request under way changed: $(request_stat)"
zkdelete "$REQUEST" || fail "could not delete the request under way"

# Nothing happened meanwhile either: the daemons had each zkCli's second to act.
cmp -s "$T/hooks.log" "$T/hooks.before" || fail "a hook ran: $(diff "$T/hooks.before" "$T/hooks.log")"
[ "$(leader_now)" = "$leader" ] || fail "the leader changed: $(leader_now)"
for n in b c; do
	role_is "$n" follower || fail "$n is $(state_of "$n" ROLE)"
done
role_is o observer || fail "o is $(state_of o ROLE)"
"$ZKELECTCTL" -c "$T/a.conf" list | cut -f2 | tr '\n' ' ' >"$T/line"
[ "$(cat "$T/line")" = "a b c " ] || fail "the line changed: $(cat "$T/line")"
pass
