#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: plain build only (make check's 8 minutes: test_role drives role_fence.c under ASan)
# Fencing (rule 26, docs/fencing.md) with three real daemons and a fence hook
# that records its environment:
#   1. a graceful handover (SIGTERM): the breadcrumb was cleared, no fence runs;
#   2. a crash (SIGKILL): the successor fences the old leader, with its id,
#      data, epoch and how it left, before its promote;
#   3. a fence that hangs (stopped at fence_timeout), then one that fails, with
#      on_fence_failure = resign: each successor gives up and the next tries,
#      attempt 1, 2, 3; nobody promotes before the fence that succeeds;
#   4. two successors: the first loses its election while fencing (its znode
#      deleted); its fence is stopped, it claims nothing, and exactly one node
#      (the other) fences and promotes;
#   5. on_fence_failure = promote (reloaded): a failed fence, then the promote.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# The fence hook: its ZKELECT_FENCE_* go to $T/fences.log, one line per run;
# $T/FENCE_MODE (hang1: attempt 1 hangs, attempt 2 fails; fail; hold: wait
# for $T/release) says how it ends; then test/hookrec records it.
cat >"$T/fence.sh" <<EOF
#!/bin/sh
echo "\$ZKELECT_ID fence_id=\$ZKELECT_FENCE_ID epoch=\$ZKELECT_FENCE_EPOCH" \
	"data=\$ZKELECT_FENCE_DATA how=\$ZKELECT_FENCE_HOW" \
	"attempt=\$ZKELECT_FENCE_ATTEMPT session=\$ZKELECT_FENCE_SESSION" >>"$T/fences.log"
mode=\$(cat "$T/FENCE_MODE" 2>/dev/null)
case \$mode:\$ZKELECT_FENCE_ATTEMPT in
hang1:1) sleep 60 ;;
hang1:2 | fail:*) "$T/hook.sh" "\$@"; exit 1 ;;
hold:*) while [ ! -e "$T/release" ]; do sleep 0.05; done ;;
esac
exec "$T/hook.sh" "\$@"
EOF
chmod 755 "$T/fence.sh"
: >"$T/fences.log"

conf() {
	local name=$1
	shift
	write_conf "$name" "hooks.fence=$T/fence.sh" "hooks.fence_timeout=1s" \
		"hooks.promote_backoff=500ms" "$@"
}

# The number of fence runs recorded so far.
fences() {
	grep -c . "$T/fences.log"
}

fences_at_least() {
	[ "$(fences)" -ge "$1" ]
}

# START of NAME's promote (hook record "start") and fence, as ns.
first_ns() {
	hook_awk "$1" start -v e="$2" 'event == e' | head -n 1 | cut -d' ' -f1
}

promotes() {
	hook_awk "" start 'event == "promote"' | wc -l
}

promotes_at_least() {
	[ "$(promotes)" -ge "$1" ]
}

zk_start
for n in a b c; do
	conf "$n"
done
start_queue a b c

# 1. graceful: no fence
daemon_stop a
wait_for "b to lead" 20 role_is b leader
[ "$(fences)" -eq 0 ] || fail "a fence ran after a graceful handover: $(cat "$T/fences.log")"
daemon_start a

# 2. a crash: b is fenced by the successor before it promotes
old_epoch=$(state_of b EPOCH)
daemon_stop b KILL
wait_for "a new leader" 20 new_leader_other_than b
new=$(leader_name_other_than b)
line=$(tail -n 1 "$T/fences.log")
[ "$line" = "$new fence_id=b epoch=$old_epoch data=b how=no-demote attempt=1 session=${line##*session=}" ] ||
	fail "fence environment: $line (expected b at epoch $old_epoch)"
[[ ${line##*session=} =~ ^0x[0-9a-f]+$ ]] || fail "no session in: $line"
f=$(first_ns "$new" fence)
p=$(hook_awk "$new" start 'event == "promote"' | tail -n 1 | cut -d' ' -f1)
if [ -z "$f" ] || [ "$f" -ge "$p" ]; then
	fail "the fence did not run before $new's promote"
fi
[ "$(hook_awk "$new" end 'event == "fence"' | wc -l)" -eq 1 ] || fail "one fence expected"
daemon_start b
wait_for "b to follow" 20 role_is b follower

# 3. a hung fence, then a failed one; the third attempt succeeds
echo hang1 >"$T/FENCE_MODE"
n0=$(fences)
p0=$(promotes)
victim=$(leader_name)
daemon_stop "$victim" KILL
wait_for "three fence attempts" 40 fences_at_least $((n0 + 3))
wait_for "a new leader" 20 new_leader_other_than "$victim"
attempts=$(tail -n +$((n0 + 1)) "$T/fences.log" | sed 's/.*attempt=\([0-9]*\).*/\1/' | tr '\n' ' ')
[ "$attempts" = "1 2 3 " ] || fail "fence attempts: $attempts (expected 1 2 3)"
[ "$(promotes)" -eq $((p0 + 1)) ] || fail "expected one promote after three fences: $(hook_lines)"
grep -q "fence: fencing $victim .*attempt 1) failed (timeout" "$T"/*.log ||
	fail "no timeout logged for the hung fence"
grep -q "fence: fencing $victim .*attempt 2) failed (exit 1)" "$T"/*.log ||
	fail "no failure logged for the second fence"
rm -f "$T/FENCE_MODE"
daemon_start "$victim"
wait_for "$victim to follow" 20 role_is "$victim" follower

# 4. two successors: the first loses its election while it fences
echo hold >"$T/FENCE_MODE"
n0=$(fences)
p0=$(promotes)
victim=$(leader_name)
daemon_stop "$victim" KILL
wait_for "a fence to start" 20 fences_at_least $((n0 + 1))
first=$(tail -n 1 "$T/fences.log" | cut -d' ' -f1)
zkdelete "$(state_of "$first" ZNODE)" || fail "cannot delete $first's znode"
wait_for "a second fence" 20 fences_at_least $((n0 + 2))
second=$(tail -n 1 "$T/fences.log" | cut -d' ' -f1)
[ "$second" != "$first" ] || fail "the same node fenced twice: $first"
touch "$T/release"
wait_for "$second to lead" 20 role_is "$second" leader
[ "$(promotes)" -eq $((p0 + 1)) ] || fail "expected exactly one promote: $(hook_lines)"
grep -q "leadership lost while the fence hook runs: stopping it" "$T/$first.log" ||
	fail "$first's fence was not stopped"
rm -f "$T/FENCE_MODE" "$T/release"
daemon_start "$victim"
wait_for "$victim to follow" 20 role_is "$victim" follower

# 5. on_fence_failure = promote: a failed fence, then the promote all the same
echo fail >"$T/FENCE_MODE"
for n in a b c; do
	conf "$n" "hooks.on_fence_failure=promote"
	daemon_running "$n" && kill -s HUP "$(daemon_pid "$n")"
done
for n in a b c; do
	wait_for "$n to reload" 10 grep -q "reload: new settings applied" "$T/$n.log"
done
n0=$(fences)
victim=$(leader_name)
daemon_stop "$victim" KILL
wait_for "a new leader" 20 new_leader_other_than "$victim"
new=$(leader_name_other_than "$victim")
[ "$(fences)" -eq $((n0 + 1)) ] || fail "expected one fence: $(tail -n 3 "$T/fences.log")"
grep -q "promoting anyway (on_fence_failure = promote)" "$T/$new.log" ||
	fail "$new did not say it promotes despite the failed fence"
pass
