#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: sanitizer build only (hostile input: the ASan+UBSan run is the one that matters)
# Election data full of shell syntax (quotes, $(...), backticks, backslashes,
# '\'', $, %, a tab, a glob) reaches every consumer byte for byte and is never run:
# the follower's state file sourced by sh, the hooks' ZKELECT_LEADER_DATA, the
# output of `zkelectctl leader` sourced by sh, `zkelectctl list` (escaped), and
# none of the embedded commands creates its file.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# True when NAME's state file says ROLE.
role_is() {
	[ "$(state_of "$1" ROLE 2>/dev/null)" = "$2" ]
}

# Fail with WHAT unless the file FILE holds exactly the bytes of $DATA.
same_bytes() {
	cmp -s "$1" <(printf '%s' "$DATA") ||
		fail "$2: got $(od -c "$1" | head -n 12), want $(printf '%s' "$DATA" | od -c | head -n 12)"
}

# Print the value of KEY after sourcing FILE with sh (no trailing newline).
sourced() {
	sh -c '. "$1" && eval "printf %s \"\${$2}\""' sh "$1" "$2"
}

zk_start
# No " ;" (inih's inline comment) and no blank at either end; everything else goes.
DATA="it's \"q\" \$(touch $T/pwned) \`touch $T/pwned2\` \\back\\\\slash '\\'' \$HOME \$ %s%n * !	tab x"
[[ $DATA == *' ;'* ]] && fail "test setup: the data holds ' ;'"
# Each hook dumps what it was given, then does what the test hook does.
cat >"$T/dump.sh" <<EOF
#!/bin/bash
printf '%s' "\$ZKELECT_LEADER_DATA" >"$T/env.\$ZKELECT_ID.\$ZKELECT_EVENT"
exec "$T/hook.sh" "\$@"
EOF
chmod 755 "$T/dump.sh"
for n in a b; do
	write_conf "$n" "election.data=$DATA" \
		"hooks.promote=$T/dump.sh" "hooks.demote=$T/dump.sh" "hooks.follow=$T/dump.sh"
	[ "$(grep '^data = ' "$T/$n.conf" | wc -c)" -le 199 ] || fail "test setup: data line too long"
done
grep -qF "data = $DATA" "$T/a.conf" || fail "test setup: the data is not in a.conf as given"

daemon_start a
wait_for "a to lead" 20 role_is a leader
daemon_start b
wait_for "b to follow a" 20 role_is b follower
wait_for "b's follow hook to run" 10 test -e "$T/env.b.follow"
wait_for "b's follow hook to end" 10 hook_seen b follow end

# the state files, sourced by sh
sourced "$T/b/zkelectd.state" LEADER_DATA >"$T/state.b" || fail "sh cannot source b's state file"
same_bytes "$T/state.b" "LEADER_DATA in b's state file"
sourced "$T/a/zkelectd.state" LEADER_DATA >"$T/state.a" || fail "sh cannot source a's state file"
same_bytes "$T/state.a" "LEADER_DATA in a's state file"
[ "$(state_of b LEADER_ID)" = a ] || fail "b's state says LEADER_ID=$(state_of b LEADER_ID)"

# the hooks' environment
same_bytes "$T/env.b.follow" "ZKELECT_LEADER_DATA in b's follow hook"
same_bytes "$T/env.a.promote" "ZKELECT_LEADER_DATA in a's promote hook"

# zkelectctl leader, sourced by sh
zkctl b leader >"$T/leader.out" || fail "zkelectctl leader exited $?"
sourced "$T/leader.out" LEADER_DATA >"$T/leader.data" || fail "sh cannot source: $(cat "$T/leader.out")"
same_bytes "$T/leader.data" "LEADER_DATA from zkelectctl leader"
[ "$(sourced "$T/leader.out" LEADER_ID)" = a ] || fail "zkelectctl leader: $(cat "$T/leader.out")"

# zkelectctl list: the data field with \, tab and newline escaped
zkctl b list >"$T/list" || fail "zkelectctl list exited $?"
[ "$(wc -l <"$T/list")" -eq 2 ] || fail "list: $(cat "$T/list")"
want=${DATA//\\/\\\\}
want=${want//$'\t'/\\t}
head -n 1 "$T/list" | cut -f 5 | tr -d '\n' >"$T/list.data"
cmp -s "$T/list.data" <(printf '%s' "$want") ||
	fail "list data field: $(cat "$T/list.data"), want $want"
[ "$(head -n 1 "$T/list" | cut -f 2)" = a ] || fail "list: $(cat "$T/list")"

# a handover: b's promote sees its own data, a's demote ran with it too
daemon_stop a
[ "$LAST_EXIT" -eq 0 ] || fail "a exited $LAST_EXIT after SIGTERM"
wait_for "b to lead" 20 role_is b leader
wait_for "b's promote hook to run" 10 test -e "$T/env.b.promote"
wait_for "b's promote to end" 10 hook_seen b promote end
same_bytes "$T/env.b.promote" "ZKELECT_LEADER_DATA in b's promote hook"
sourced "$T/b/zkelectd.state" LEADER_DATA >"$T/state.b" || fail "sh cannot source b's state file"
same_bytes "$T/state.b" "LEADER_DATA in b's state file as leader"

for f in pwned pwned2; do
	[ ! -e "$T/$f" ] || fail "something ran the data as a command: $T/$f exists"
done
{ [ ! -e "$HOME/pwned" ] && [ ! -e "$ROOT/pwned" ]; } || fail "a pwned file appeared outside \$T"
pass
