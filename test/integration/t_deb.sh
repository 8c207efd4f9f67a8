#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for and at_cleanup
# run.sh: plain build only (it builds its own package from the tree; one run is enough)
# The Debian package (debian/, make deb; docs in debian/README.Debian). make deb
# builds zkelectd_VERSION_ARCH.deb and its -dbgsym; the package holds what it
# must, with /etc/zkelectd/zkelectd.conf as a conffile, and lintian reports no
# error and no warning. dpkg -i installs it; zkelectd -t refuses the shipped
# example and the unit is not enabled. Filled in for a private ZooKeeper, the
# daemon is started as the unit's ExecStartPre and ExecStart lines would, and
# leads, with a second node (the tree's build) following. dpkg -i of the same
# package with a higher version upgrades it in place: the same PID and session
# lead with the same epoch, no hook runs on either node, the follower never
# promotes. dpkg -r stops it gracefully (its demote ends before the follower's
# promote starts); dpkg --purge removes the configuration and /run/zkelectd;
# every path named zkelectd is then as it was before the test.
#
# It changes the machine (the dpkg database, /usr, /etc, /run/zkelectd, the
# units' enable state) and undoes all of it, also on failure; only dpkg's own
# log keeps a trace. It is skipped where a zkelectd package or any file named
# zkelectd is already in /etc, /run, /usr or systemd's state, or dpkg is locked.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

ARCH=""
DEB=""
DEB2=""
VER=""
INSTALLED=0		# set before the first dpkg -i: cleanup purges from then on
PENDING_BEFORE=""	# the packages with triggers pending before the test
MADE_RUN=0		# set when the test created /run/zkelectd
CONF=/etc/zkelectd/zkelectd.conf
UNIT=/usr/lib/systemd/system/zkelectd.service
DSH_STATE=/var/lib/systemd/deb-systemd-helper-enabled/zkelectd.service.dsh-also
# Where anything of the package can be; compared before and after.
WATCHED=(/etc /run /usr/sbin /usr/bin /usr/lib/systemd /usr/share/doc /usr/share/man
	/usr/share/zkelectd /var/lib/systemd /var/lib/dpkg/info)

# Every path named like zkelectd where the package or its scripts write.
zkelectd_paths() {
	find "${WATCHED[@]}" -xdev -name '*zkelectd*' 2>/dev/null | sort
}

# What the test must leave as it found: those paths, the package in dpkg, pending triggers.
machine_state() {
	zkelectd_paths
	dpkg-query -W -f='${db:Status-Abbrev}\n' zkelectd 2>/dev/null || true
	echo "triggers pending: $(triggers_pending | tr '\n' ' ')"
}

# The package's state in dpkg's database ("" when dpkg does not know it).
pkg_status() {
	dpkg-query -W -f='${db:Status-Abbrev}' zkelectd 2>/dev/null | tr -d ' ' || true
}

# True when dpkg's database lock can be taken now (the fcntl lock dpkg uses).
dpkg_unlocked() {
	"$PYTHON" - <<'EOF' 2>/dev/null
import fcntl
for name in ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock"):
    with open(name, "a") as f:
        fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
EOF
}

# Skip unless this machine can take the package and give it back unchanged.
preconditions() {
	[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i)"
	local tool
	for tool in dpkg-buildpackage dpkg-deb lintian python3; do
		command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh)"
	done
	[ -z "$(pkg_status)" ] || [ "$(pkg_status)" = un ] ||
		skip "a zkelectd package is on this machine ($(pkg_status)): not touching it"
	local found
	found=$(zkelectd_paths | head -n 3 | tr '\n' ' ')
	[ -z "$found" ] || skip "zkelectd is already here ($found): the package would take it over"
	dpkg_unlocked || skip "dpkg's database is locked (apt or dpkg at work)"
	[ -x "$(dirname "$ZKELECTD")/hookrec" ] || fail "no $(dirname "$ZKELECTD")/hookrec (make unit)"
}

# The packages whose triggers are pending (man-db's, after a dpkg --no-triggers).
triggers_pending() {
	dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "it" { print $2 }'
}

# Run the triggers our dpkg --no-triggers runs left pending (man-db's mandb):
# once, at the end, instead of after every dpkg run (3 s each).
settle_triggers() {
	local p
	local -a new=()
	for p in $(triggers_pending); do
		[[ " $PENDING_BEFORE " == *" $p "* ]] || new+=("$p")
	done
	[ "${#new[@]}" -eq 0 ] || dpkg --triggers-only "${new[@]}" >>"$T/triggers.log" 2>&1 ||
		echo "t_deb: dpkg --triggers-only ${new[*]} failed: $(cat "$T/triggers.log")" >&2
}

# At cleanup (daemons and ZooKeeper already stopped): purge what the test installed.
undo_install() {
	# (--force-remove-reinstreq: a dpkg run interrupted half-way leaves it half-installed)
	if [ "$INSTALLED" = 1 ] && [ -n "$(pkg_status)" ] && [ "$(pkg_status)" != un ]; then
		dpkg --no-triggers --purge zkelectd >>"$T/cleanup.log" 2>&1 ||
			dpkg --no-triggers --force-remove-reinstreq --purge zkelectd >>"$T/cleanup.log" 2>&1 ||
			echo "t_deb: dpkg --purge zkelectd failed at cleanup: $(tail -n 3 "$T/cleanup.log")" >&2
	fi
	[ "$INSTALLED" = 1 ] && settle_triggers
	[ "$MADE_RUN" = 1 ] && rm -rf /run/zkelectd
	return 0
}

# make deb into $T/deb without the unit tests (make check runs them), 2 jobs.
build_package() {
	VER=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
	ARCH=$(dpkg --print-architecture)
	(exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" deb DEB_DIR="$T/deb" \
		DEB_BUILD_OPTIONS="nocheck parallel=2") >"$T/build.log" 2>&1 ||
		fail "make deb failed: $(tail -n 20 "$T/build.log")"
	DEB=$T/deb/zkelectd_${VER}_$ARCH.deb
	[ -f "$DEB" ] || fail "make deb made no $DEB: $(ls "$T/deb")"
	[ -f "$T/deb/zkelectd-dbgsym_${VER}_$ARCH.deb" ] || fail "make deb made no -dbgsym package"
	local make_version
	make_version=$(sed -n 's/^VERSION ?= //p' "$ROOT/Makefile")
	[ "${VER%-*}" = "$make_version" ] || fail "the package is $VER, the Makefile's VERSION $make_version"
}

# Fail unless the package holds PATH (as dpkg-deb -c lists it).
holds() {
	grep -qx "$1" "$T/contents" || fail "the package does not hold /$1"
}

# The package's files, conffile, units and modes.
check_contents() {
	local f hook
	dpkg-deb -c "$DEB" | awk '{ print $1, $6 }' | sed 's| \./| |' >"$T/contents.modes"
	awk '{ print $2 }' "$T/contents.modes" >"$T/contents"
	for f in usr/sbin/zkelectd usr/bin/zkelectctl etc/zkelectd/zkelectd.conf \
	    usr/lib/systemd/system/zkelectd.service usr/lib/systemd/system/zkelectd@.service \
	    usr/share/zkelectd/hardening-strict.conf usr/share/man/man1/zkelectctl.1.gz \
	    usr/share/man/man5/zkelectd.conf.5.gz usr/share/man/man8/zkelectd.8.gz \
	    usr/share/doc/zkelectd/README.md.gz usr/share/doc/zkelectd/BENCHMARKS.md.gz \
	    usr/share/doc/zkelectd/README.Debian.gz usr/share/doc/zkelectd/copyright; do
		holds "$f"
	done
	while IFS= read -r hook; do
		holds "usr/share/zkelectd/hooks/$hook"
	done < <(cd "$ROOT/scripts/hooks" && find . -type f | sed 's|^\./||')
	grep -q '^-rwxr-xr-x usr/sbin/zkelectd$' "$T/contents.modes" || fail "/usr/sbin/zkelectd is not 0755"
	grep -v -e '^etc/' -e '^usr/' -e '^$' "$T/contents" | grep . &&
		fail "the package holds files outside /etc and /usr"
	grep -q '^lib/' "$T/contents" && fail "units under /lib, not /usr/lib"
	[ "$(dpkg-deb -I "$DEB" conffiles)" = /etc/zkelectd/zkelectd.conf ] ||
		fail "conffiles: $(dpkg-deb -I "$DEB" conffiles)"
	dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./etc/zkelectd/zkelectd.conf | cmp -s - "$ROOT/conf/zkelectd.conf" ||
		fail "the shipped zkelectd.conf is not conf/zkelectd.conf"
	dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/lib/systemd/system/zkelectd.service |
		grep -qx 'ExecStart=/usr/sbin/zkelectd -c /etc/zkelectd/zkelectd.conf' ||
		fail "the unit does not start /usr/sbin/zkelectd -c $CONF"
}

# lintian on the .deb: no error, no warning (overridden tags carry a reason in debian/).
check_lintian() {
	# its scratch files (mldbm-elf-*) in $T, not left behind in /tmp
	mkdir -p "$T/lintian-tmp"
	TMPDIR=$T/lintian-tmp lintian --fail-on error,warning "$DEB" >"$T/lintian.log" 2>&1 ||
		fail "lintian: $(grep -v '^running with root' "$T/lintian.log")"
	grep -E '^(E|W): ' "$T/lintian.log" && fail "lintian reported the above"
	return 0
}

# The same package with version $VER+t1, repacked with dpkg-deb (a new /usr/sbin/zkelectd file).
repack_higher() {
	local dir=$T/repack
	dpkg-deb -R "$DEB" "$dir"
	sed -i "s/^Version: .*/Version: $VER+t1/" "$dir/DEBIAN/control"
	DEB2=$T/deb/zkelectd_${VER}+t1_$ARCH.deb
	dpkg-deb -Zgzip -z1 -b "$dir" "$DEB2" >/dev/null || fail "dpkg-deb -b failed"
	dpkg --compare-versions "$VER+t1" gt "$VER" || fail "$VER+t1 is not higher than $VER"
}

# dpkg ARGS... with its output in $T/LOG (the first word), triggers left for settle_triggers.
run_dpkg() {
	local log=$T/$1
	shift
	INSTALLED=1
	dpkg --no-triggers "$@" >"$log" 2>&1 || fail "dpkg $* failed: $(cat "$log")"
}

# The shipped example: installed, refused by -t, the unit neither enabled nor running.
check_fresh_install() {
	[ "$(pkg_status)" = ii ] || fail "zkelectd is $(pkg_status) after dpkg -i"
	[ -x /usr/sbin/zkelectd ] || fail "no /usr/sbin/zkelectd"
	cmp -s "$CONF" "$ROOT/conf/zkelectd.conf" || fail "$CONF is not the shipped example"
	local rc=0
	/usr/sbin/zkelectd -t -c "$CONF" >"$T/t-example.out" 2>&1 || rc=$?
	[ "$rc" = 78 ] || fail "zkelectd -t on the shipped example exited $rc: $(cat "$T/t-example.out")"
	enabled && fail "the unit was enabled on the shipped example"
	[ -e "$DSH_STATE" ] || fail "postinst did not record the unit's state (no $DSH_STATE)"
	grep -q 'neither enabled nor started' "$T/install.log" || fail "postinst did not say why it did not enable the unit"
	[ ! -e /run/zkelectd ] || fail "/run/zkelectd exists: something started"
}

# True when a zkelectd unit is enabled (a link in a .wants directory).
enabled() {
	compgen -G '/etc/systemd/system/*.wants/zkelectd*' >/dev/null
}

# Fill in $CONF: our ZooKeeper, path, id pkg, every hook the recording one.
fill_in_conf() {
	write_hook
	sed -i -e "s|^hosts = .*|hosts = $ZK_HOSTS|" -e "s|^path = .*|path = $ELECTION_PATH|" \
		-e "s|^;id = .*|id = pkg|" -e "s|^;session_timeout = .*|session_timeout = 4s|" \
		-e "s|^promote = .*|promote = $T/hook.sh|" -e "s|^demote = .*|demote = $T/hook.sh|" \
		-e "s|^;follow = .*|follow = $T/hook.sh|" "$CONF"
	/usr/sbin/zkelectd -t -c "$CONF" >"$T/t-filled.out" 2>&1 ||
		fail "zkelectd -t refuses the filled-in file: $(cat "$T/t-filled.out")"
	cp "$CONF" "$T/filled.conf"
}

# Start the daemon as zkelectd.service would: its RuntimeDirectory and UMask,
# ExecStartPre, ExecStart. It is "pkg" for lib.sh ($T/pkg -> /run/zkelectd).
start_as_unit() {
	local pre start
	local -a cmd
	pre=$(sed -n 's/^ExecStartPre=//p' "$UNIT")
	start=$(sed -n 's/^ExecStart=//p' "$UNIT")
	if [ -z "$pre" ] || [ -z "$start" ]; then
		fail "no ExecStartPre or ExecStart in $UNIT"
	fi
	MADE_RUN=1
	mkdir -m 0755 /run/zkelectd
	ln -s /run/zkelectd "$T/pkg"
	read -r -a cmd <<<"$pre"
	"${cmd[@]}" >>"$T/pkg.log" 2>&1 || fail "ExecStartPre ($pre) failed"
	read -r -a cmd <<<"$start"
	(umask 0022 && exec "${cmd[@]}") </dev/null >>"$T/pkg.log" 2>&1 &
	DAEMON_PIDS[pkg]=$!
}

# True when pkg's process runs the file now at /usr/sbin/zkelectd (not a deleted one).
runs_current() {
	[ "$(readlink "/proc/$(daemon_pid pkg)/exe")" = /usr/sbin/zkelectd ]
}

# The upgrade: same PID, session and epoch, leading, a new image, no hook anywhere.
check_upgrade() {
	local pid=$1 session=$2 epoch=$3 image=$4 hooks=$5
	grep -q "zkelectd upgraded in place (pid $pid)" "$T/upgrade.log" ||
		fail "postinst did not upgrade pid $pid in place: $(cat "$T/upgrade.log")"
	[ "$(pkg_status)" = ii ] || fail "zkelectd is $(pkg_status) after the upgrade"
	[ "$(dpkg-query -W -f='${Version}' zkelectd)" = "$VER+t1" ] || fail "zkelectd $VER+t1 is not installed"
	daemon_running pkg || fail "the daemon is gone"
	runs_current || fail "pid $pid does not run the new /usr/sbin/zkelectd"
	[ "$(state_of pkg PID)" = "$pid" ] || fail "the state file names pid $(state_of pkg PID)"
	[ "$(state_of pkg IMAGE_STARTED_MS)" != "$image" ] || fail "no new image started"
	[ "$(state_of pkg ROLE)" = leader ] || fail "pkg is $(state_of pkg ROLE) after the upgrade"
	[ "$(state_of pkg SESSION_ID)" = "$session" ] || fail "session $(state_of pkg SESSION_ID), not $session"
	[ "$(state_of pkg EPOCH)" = "$epoch" ] || fail "epoch $(state_of pkg EPOCH), not $epoch"
	[ "$(state_of b ROLE)" = follower ] || fail "b is $(state_of b ROLE)"
	enabled && fail "the upgrade enabled the unit"
	[ "$(hook_lines | wc -l)" -eq "$hooks" ] || fail "hooks ran: $(hook_lines | tail -n +$((hooks + 1)))"
}

# dpkg -r: pkg stopped by prerm with exit 0, its demote (shutdown) before b's promote.
check_remove() {
	local demote_end promote_start
	reap "$(daemon_pid pkg)" 10
	[ "$REAPED" = 0 ] || fail "the daemon exited $REAPED on removal"
	grep -q "zkelectd: stopping pid" "$T/remove.log" || fail "prerm did not stop the daemon: $(cat "$T/remove.log")"
	[ "$(pkg_status)" = rc ] || fail "zkelectd is $(pkg_status) after dpkg -r"
	[ -f "$CONF" ] || fail "dpkg -r removed the configuration"
	[ ! -e /usr/sbin/zkelectd ] || fail "/usr/sbin/zkelectd is still there"
	wait_for "b to lead" 20 role_is b leader
	wait_for "b's promote" 10 hook_seen b promote start
	demote_end=$(hook_awk pkg end 'event == "demote" && reason == "shutdown" { print ns }')
	promote_start=$(hook_awk b start 'event == "promote" { print ns }')
	[ -n "$demote_end" ] || fail "pkg ran no demote (shutdown) when removed"
	[ "$demote_end" -le "$promote_start" ] || fail "b promoted before pkg's demote ended"
}

preconditions
before=$(machine_state)
PENDING_BEFORE=$(triggers_pending | tr '\n' ' ')
at_cleanup undo_install

build_package
check_contents
check_lintian
repack_higher

run_dpkg install.log -i "$DEB"
check_fresh_install

zk_start
fill_in_conf
start_as_unit
wait_for "pkg to lead" 20 role_is pkg leader
wait_for "pkg's promote to end" 10 hook_seen pkg promote end
write_conf b "zookeeper.session_timeout=4s"
daemon_start b
wait_for "b to follow" 20 hook_seen b follow end
wait_for "b's follow recorded" 10 test "$(state_of b LAST_HOOK_STATUS)" != running

pid=$(daemon_pid pkg)
session=$(state_of pkg SESSION_ID)
epoch=$(state_of pkg EPOCH)
image=$(state_of pkg IMAGE_STARTED_MS)
hooks=$(hook_lines | wc -l)
run_dpkg upgrade.log -i "$DEB2"
check_upgrade "$pid" "$session" "$epoch" "$image" "$hooks"

run_dpkg remove.log -r zkelectd
check_remove

run_dpkg purge.log --purge zkelectd
[ ! -e /etc/zkelectd ] || fail "purge left /etc/zkelectd"
[ ! -e /run/zkelectd ] || fail "purge left /run/zkelectd"

# A first install over a file configuration management put there, which -t
# accepts: the unit is enabled (not started: no systemd here); purge forgets
# it. Not where systemd runs: the postinst would start the real service.
if [ -d /run/systemd/system ]; then
	echo "NOTE: systemd runs here: the first install over a good file is not tested"
else
	mkdir -m 0755 /etc/zkelectd
	cp "$T/filled.conf" "$CONF"
	run_dpkg preseeded.log --force-confold -i "$DEB"
	enabled || fail "a first install with a good configuration did not enable the unit"
	grep -q 'neither enabled' "$T/preseeded.log" && fail "postinst refused the filled-in file"
	run_dpkg purge2.log --purge zkelectd
	enabled && fail "purge left the unit enabled"
	[ ! -e /etc/zkelectd ] || fail "purge left /etc/zkelectd"
fi

settle_triggers
after=$(machine_state)
[ "$before" = "$after" ] || fail "the machine is not as it was:
$(diff <(echo "$before") <(echo "$after"))"
pass
