#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# Hook safety when the daemon runs as root, in the manner of keepalived's
# script security: a hook that others could change (writable by group or
# others, owned by another user, in a directory others may write without the
# sticky bit) is refused by -t and at start (exit 78). Hooks get a minimal
# environment (no LD_LIBRARY_PATH, IFS, NOTIFY_SOCKET from ours), no
# descriptor above stderr, their own process group, and die with the daemon
# (parent-death signal). [hooks] user runs them as that user.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" -eq 0 ] || fail "this test needs root (the checks apply to a daemon running as root)"

# refused NAME REGEX: zkelectd -t on NAME.conf exits 78 with a message matching REGEX.
refused() {
	local rc=0
	"$ZKELECTD" -t -c "$T/$1.conf" >"$T/$1.out" 2>&1 || rc=$?
	[ "$rc" -eq 78 ] || fail "$1: -t exited $rc, expected 78: $(cat "$T/$1.out")"
	grep -qE "$2" "$T/$1.out" || fail "$1: no '$2' in: $(cat "$T/$1.out")"
}

# A hook script at PATH that records its environment, descriptors and ids in $T/out/
# (ids last, and whole: the test reads it as soon as it exists).
make_hook() {
	cat >"$1" <<HOOK
#!/bin/sh
ev=\$ZKELECT_EVENT
env >"$T/out/env.\$ev"
ls /proc/self/fd >"$T/out/fd.\$ev"
echo "\$(id -u) \$(id -g) \$(ps -o pgid= -p \$\$ | tr -d ' ') \$\$" >"$T/out/ids.\$ev.new"
mv "$T/out/ids.\$ev.new" "$T/out/ids.\$ev"	# whole: the test waits for this file
[ -e "$T/out/SLEEP_\$ev" ] && sleep 300
exit 0
HOOK
	chmod 755 "$1"
}

# True when file F exists.
exists() {
	[ -e "$1" ]
}

chmod 711 "$T"	# so that the hook user can reach its hooks below
mkdir -m 1777 "$T/out"
mkdir -m 755 "$T/hooks"
make_hook "$T/hooks/ok"
zk_start

for case in group others owner; do
	cp -p "$T/hooks/ok" "$T/hooks/$case"
done
chgrp nogroup "$T/hooks/group" && chmod 775 "$T/hooks/group"
chmod 757 "$T/hooks/others"
chown nobody "$T/hooks/owner"
mkdir -m 777 "$T/open" && cp -p "$T/hooks/ok" "$T/open/hook"
mkdir -m 1777 "$T/sticky" && cp -p "$T/hooks/ok" "$T/sticky/hook"
write_conf group "hooks.promote=$T/hooks/group"
refused group "promote: $T/hooks/group is writable by its group"
write_conf others "hooks.demote=$T/hooks/others"
refused others "demote: $T/hooks/others is writable by others"
write_conf owner "hooks.follow=$T/hooks/owner"
refused owner "follow: $T/hooks/owner belongs to uid [0-9]+, not root"
write_conf opendir "hooks.promote=$T/open/hook"
refused opendir "promote: $T/open/hook lies in $T/open, which others may write to"
write_conf healthcmd "health.command=$T/hooks/others"
refused healthcmd "command: $T/hooks/others is writable by others"
write_conf sticky "hooks.promote=$T/sticky/hook"
"$ZKELECTD" -t -c "$T/sticky.conf" >/dev/null 2>&1 || fail "a hook in a sticky directory was refused"
# at start too, not only with -t
rc=0
"$ZKELECTD" -c "$T/others.conf" >"$T/others.start" 2>&1 || rc=$?
[ "$rc" -eq 78 ] || fail "starting with a hook writable by others exited $rc"

# what a hook gets
write_conf a "hooks.promote=$T/hooks/ok" "hooks.demote=$T/hooks/ok"
touch "$T/out/SLEEP_promote"
LD_LIBRARY_PATH=/nonexistent IFS=: NOTIFY_SOCKET=/nonexistent/notify daemon_start a
wait_for "a's promote hook to run" 20 exists "$T/out/ids.promote"
for v in LD_LIBRARY_PATH IFS NOTIFY_SOCKET LD_PRELOAD; do
	grep -q "^$v=" "$T/out/env.promote" && fail "the hook got $v"
done
grep -q "^ZKELECT_EVENT=promote$" "$T/out/env.promote" || fail "no ZKELECT_EVENT"
[ "$(sort -n "$T/out/fd.promote" | head -n 3 | tr '\n' ' ')" = "0 1 2 " ] || fail "fds: $(cat "$T/out/fd.promote")"
[ "$(grep -cvE '^[012]$' "$T/out/fd.promote")" -le 1 ] ||
	fail "the hook inherited descriptors: $(cat "$T/out/fd.promote")"
read -r _ _ pgid pid <"$T/out/ids.promote"
[ "$pgid" = "$pid" ] || fail "the hook is not its own process group leader ($pgid vs $pid)"
# the daemon dies while its promote hook sleeps: the hook dies with it
daemon_stop a KILL
wait_for "the orphaned hook to die (parent-death signal)" 10 not_alive "$pid"

# [hooks] user: hooks run as that user, with its home
rm -f "$T/out/"*
write_conf b "hooks.promote=$T/hooks/ok" "hooks.demote=$T/hooks/ok" "hooks.user=nobody"
daemon_start b
wait_for "b's promote hook to run" 20 exists "$T/out/ids.promote"
read -r uid gid _ <"$T/out/ids.promote"
[ "$uid" = "$(id -u nobody)" ] || fail "the hook ran as uid $uid"
[ "$gid" = "$(id -g nobody)" ] || fail "the hook ran as gid $gid"
grep -q "^HOME=$(getent passwd nobody | cut -d: -f6)$" "$T/out/env.promote" ||
	fail "HOME: $(grep ^HOME= "$T/out/env.promote")"
pass
