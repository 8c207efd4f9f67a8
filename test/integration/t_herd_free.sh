#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# Rule 20: on a handover only the successor lists the children; every other
# follower learns the new leader from its announcement (one notification, one
# small read) and runs follow with it.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

zk_start
write_conf a
daemon_start a
wait_for "a to lead" 20 role_is a leader
for n in b c d e; do
	write_conf "$n"
	daemon_start "$n"
	wait_for "$n to follow" 20 role_is "$n" follower
done
for n in b c d e; do
	echo "--- mark" >>"$T/$n.log"
done
daemon_stop a
wait_for "b to lead" 20 role_is b leader
epoch=$(state_of b EPOCH)
for n in c d e; do
	wait_for "$n to follow b" 20 follow_seen "$n" "$epoch"
done
listings() {
	sed -n '/^--- mark/,$p' "$T/$1.log" | grep -c "election: listing" || true
}
[ "$(listings b)" -ge 1 ] || fail "the successor b did not list"
for n in c d e; do
	[ "$(listings "$n")" -eq 0 ] || fail "$n listed the children on a handover that was not its own"
done
pass
