#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# The happy path: three candidates elect exactly one leader; the two others
# become followers and run their follow hook naming that leader and its epoch;
# zkelectctl list shows all three in election order, the leader first.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

zk_start
for n in a b c; do
	write_conf "$n" "election.data=host-$n port=5432"
	daemon_start "$n"
done
wait_for "one leader" 20 test_leaders 1
leader=$(leader_name)
epoch=$(state_of "$leader" EPOCH)
[ -n "$epoch" ] || fail "the leader's state has no EPOCH"
for n in a b c; do
	[ "$n" = "$leader" ] && continue
	wait_for "$n to follow $leader" 20 follow_seen "$n" "$epoch"
	[ "$(state_of "$n" ROLE)" = follower ] || fail "$n is $(state_of "$n" ROLE)"
	[ "$(state_of "$n" LEADER_ID)" = "$leader" ] || fail "$n's LEADER_ID is $(state_of "$n" LEADER_ID)"
	[ "$(state_of "$n" LEADER_DATA)" = "host-$leader port=5432" ] ||
		fail "$n's LEADER_DATA is $(state_of "$n" LEADER_DATA)"
	[ "$(state_of "$n" EPOCH)" = "$epoch" ] || fail "$n's EPOCH differs from the leader's"
done
[ "$(hook_awk "" start 'event == "promote"' | wc -l)" -eq 1 ] ||
	fail "expected exactly one promote: $(hook_lines)"
hook_seen "$leader" follow start && fail "the leader ran follow"
zkctl a list >"$T/list" || fail "zkelectctl list failed"
[ "$(wc -l <"$T/list")" -eq 3 ] || fail "list: $(cat "$T/list")"
[ "$(head -n 1 "$T/list" | cut -f2)" = "$leader" ] || fail "list does not start with $leader"
[ "$(head -n 1 "$T/list" | cut -f3)" = "$epoch" ] || fail "list's epoch differs from the state's"
for n in a b c; do
	[ "$(state_of "$n" ZK_STATE)" = connected ] || fail "$n's ZK_STATE: $(state_of "$n" ZK_STATE)"
	[[ $(state_of "$n" SESSION_ID) == 0x* ]] || fail "$n's SESSION_ID: $(state_of "$n" SESSION_ID)"
	[[ $(state_of "$n" ZNODE) == "$ELECTION_PATH"/n_* ]] || fail "$n's ZNODE: $(state_of "$n" ZNODE)"
	[ "$(state_of "$n" PID)" = "$(daemon_pid "$n")" ] || fail "$n's PID"
done
pass
