#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# [zookeeper] auth: two nodes with the same digest credentials elect as usual
# and their znodes carry creator-all + world-read ACLs, so zkelectctl list
# works without credentials, while a client without them can delete neither a
# contender's znode nor the election path; a node with other credentials
# cannot join: it says why, loudly, and never leads (rule 18: never a silent
# stall). A password in a file others can read gets a warning.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's log says the election path refused it.
refused() {
	grep -q "NOAUTH\|not authenticated\|refuses us" "$T/$1.log"
}

zk_start
write_conf a "zookeeper.auth=digest:alice:secret1"
write_conf b "zookeeper.auth=digest:alice:secret1"
write_conf x "zookeeper.auth=digest:mallory:guess"
write_conf anon
chmod 600 "$T/a.conf" "$T/b.conf" "$T/x.conf"
daemon_start a
wait_for "a to lead" 20 role_is a leader
daemon_start b
wait_for "b to follow" 20 role_is b follower
zkctl anon list >"$T/list" || fail "zkelectctl list without credentials failed"
[ "$(wc -l <"$T/list")" -eq 2 ] || fail "list: $(cat "$T/list")"
zkcli getAcl "$(state_of a ZNODE)"
grep -q "world,'anyone" "$T/zkcli.log" || fail "no world ACL on a's znode: $(tail "$T/zkcli.log")"
grep -q "digest,'alice:" "$T/zkcli.log" || fail "no digest ACL on a's znode"
# without credentials nobody can delete a contender's znode or the election path
zkdelete "$(state_of b ZNODE)" && fail "an unauthenticated client deleted b's znode"
grep -q "not authenticated\|NOAUTH\|no permission\|ZNOAUTH\|invalid ACL" "$T/zkcli.log" ||
	fail "the refused delete did not say why: $(tail -n 2 "$T/zkcli.log")"
zkdeleteall "$ELECTION_PATH" && fail "an unauthenticated client deleted the election path"
[ "$(state_of b ROLE)" = follower ] || fail "b is $(state_of b ROLE)"
# a password in a file others can read gets a warning (from -t too)
chmod 644 "$T/a.conf"
"$ZKELECTD" -t -c "$T/a.conf" >"$T/t.out" 2>&1 || fail "-t failed: $(cat "$T/t.out")"
grep -qi "readable" "$T/t.out" || fail "no warning about a readable password: $(cat "$T/t.out")"
grep -q "secret1" "$T/t.out" && fail "-t printed the password"
daemon_start x
wait_for "x to report the refusal" 20 refused x
[ "$(state_of x ROLE)" = starting ] || fail "x is $(state_of x ROLE)"
grep -q "secret1\|guess" "$T"/a.log "$T"/x.log "$T"/*/zkelectd.state && fail "a password was logged"
[ "$(leader_count)" -eq 1 ] || fail "$(leader_count) leaders"
pass
