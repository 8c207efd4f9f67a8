#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# An operator deletes the whole election path (rule 13): the leader demotes
# (reason deleted); the path is created again (persistent); the nodes queue
# again and one of them leads.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

zk_start
write_conf a
write_conf b
start_queue a b
zkdeleteall "$ELECTION_PATH" || fail "could not delete $ELECTION_PATH"
wait_for "a to demote (deleted)" 20 hook_seen_reason a demote end deleted
wait_for "both to queue again" 20 list_count 2
wait_for "one leader" 20 test_leaders 1
pass
