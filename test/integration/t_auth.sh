#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# [zookeeper] auth: two nodes with the same digest credentials elect as usual
# and their znodes carry creator-all + world-read ACLs, so zkelectctl list
# works without credentials; a node with other credentials cannot join: it
# says why, loudly, and never leads (rule 18: never a silent stall).
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
daemon_start x
wait_for "x to report the refusal" 20 refused x
[ "$(state_of x ROLE)" = starting ] || fail "x is $(state_of x ROLE)"
grep -q "secret1\|guess" "$T"/a.log "$T"/x.log "$T"/*/zkelectd.state && fail "a password was logged"
[ "$(leader_count)" -eq 1 ] || fail "$(leader_count) leaders"
pass
