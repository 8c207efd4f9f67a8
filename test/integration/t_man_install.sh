#!/bin/bash
# shellcheck disable=SC2317 # mandoc_lint is called through lint_quiet
# run.sh: plain build only (make check's 8 minutes: what it drives runs under ASan in other tests)
# The man pages and make install. The three pages lint clean with groff -ww (and
# mandoc -T lint when installed) and name every option, command, configuration
# key and hook variable the code has. make install DESTDIR=$T/root PREFIX=/usr
# puts the binaries, units (with @SBINDIR@ replaced), example hooks, man pages
# and /etc/zkelectd/zkelectd.conf in place; a second install leaves an edited
# zkelectd.conf alone; systemd-analyze verify (when present) has nothing to say
# about the units; the source tree is not modified. No ZooKeeper is needed.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

MAN="$ROOT/man"
PAGES=(zkelectctl.1 zkelectd.conf.5 zkelectd.8)
DEST=$T/root
UNITS=(zkelectd.service zkelectd@.service)

# Fail when lint command CMD... prints anything (page name in DESC).
lint_quiet() {
	local desc=$1 out
	shift
	out=$("$@" 2>&1) || true
	[ -z "$out" ] || fail "$desc is not lint clean:
$out"
}

# Lint every page with groff -ww (-mandoc takes mdoc and man), and mandoc if present.
lint_pages() {
	local page
	if ! command -v groff >/dev/null 2>&1; then
		echo "SKIP lint: groff is not installed"
		return 0
	fi
	for page in "${PAGES[@]}"; do
		[ -s "$MAN/$page" ] || fail "man/$page is missing or empty"
		lint_quiet "man/$page (groff -ww)" groff -ww -z -mandoc "$MAN/$page"
	done
	command -v mandoc >/dev/null 2>&1 || return 0
	for page in "${PAGES[@]}"; do
		lint_quiet "man/$page (mandoc -T lint)" mandoc_lint "$MAN/$page"
	done
}

# mandoc's warnings and errors about PAGE (not its notes about a stale mandoc.db).
mandoc_lint() {
	mandoc -T lint -W warning "$1" 2>&1 | grep -v 'mandoc\.db'
}

# Fail unless man/PAGE has a line matching the extended regex RE (WHAT for the message).
page_has() {
	grep -qE "$2" "$MAN/$1" || fail "man/$1 does not document $3"
}

# Every option, command, key, section and hook variable of the code is in a page.
check_coverage() {
	local opt cmd key sect var n=0
	for opt in $("$DEST/usr/sbin/zkelectd" -h | sed -n 's/^  -\([A-Za-z]\).*/\1/p'); do
		page_has zkelectd.8 "^\.It Fl $opt( |$)" "zkelectd -$opt"
		n=$((n + 1))
	done
	for opt in $("$DEST/usr/bin/zkelectctl" -h | sed -n 's/^  -\([A-Za-z]\).*/\1/p'); do
		page_has zkelectctl.1 "^\.It Fl $opt( |$)" "zkelectctl -$opt"
		n=$((n + 1))
	done
	for cmd in $("$DEST/usr/bin/zkelectctl" -h | sed -n '/^commands:/,$s/^  \([a-z-]*\) .*/\1/p'); do
		page_has zkelectctl.1 "^\.It Cm $cmd( |$)" "the command $cmd"
		n=$((n + 1))
	done
	while read -r sect; do
		page_has zkelectd.conf.5 "^\.Ss The \[$sect\] section$" "the section [$sect]"
		n=$((n + 1))
	done < <(sed -n 's/^;\{0,1\}\[\([a-z]*\)\]$/\1/p' "$ROOT/conf/zkelectd.conf")
	while read -r key; do
		page_has zkelectd.conf.5 "(^\.It Ic|^\.Ic| Ic| ,) $key( |,|$)" "the key $key"
		n=$((n + 1))
	done < <(sed -n 's/^;\{0,1\}\([a-z_]*\) = .*/\1/p' "$ROOT/conf/zkelectd.conf")
	for var in $(grep -ohE '"ZKELECT_[A-Z_]+=' "$ROOT"/src/*.c | tr -d '"=' | sort -u); do
		page_has zkelectd.8 "^\.It Ev $var$" "the hook variable $var"
		n=$((n + 1))
	done
	[ "$n" -ge 40 ] || fail "test setup: only $n options, commands, keys and variables found"
}

# Checksums of every source file make install reads.
source_sums() {
	(cd "$ROOT" && sha256sum systemd/* man/* conf/* scripts/hooks/example-hook scripts/hooks/postgresql/*)
}

# make install into $DEST (umask 022, as a packager's); output in $T/install-N.log.
install_tree() {
	(umask 022 && exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -C "$ROOT" install DESTDIR="$DEST" PREFIX=/usr) >"$T/install-$1.log" 2>&1 ||
		fail "make install ($1) failed (see install-$1.log)"
}

# Fail unless FILE exists in $DEST as a regular file with octal MODE.
has_file() {
	local f=$DEST/$1
	[ -f "$f" ] || fail "make install did not install /$1"
	[ "$(stat -c %a "$f")" = "$2" ] || fail "/$1 has mode $(stat -c %a "$f"), not $2"
}

# The installed tree: binaries, units, hooks, man pages (not the configuration).
check_tree() {
	local u hook page sect
	has_file usr/sbin/zkelectd 755
	has_file usr/bin/zkelectctl 755
	"$DEST/usr/sbin/zkelectd" -V | grep -q '^zkelectd ' || fail "installed zkelectd -V does not work"
	"$DEST/usr/bin/zkelectctl" -V | grep -q '^zkelectctl ' || fail "installed zkelectctl -V does not work"
	for u in "${UNITS[@]}"; do
		has_file "usr/lib/systemd/system/$u" 644
		sed 's|@SBINDIR@|/usr/sbin|g' "$ROOT/systemd/$u" | cmp -s - "$DEST/usr/lib/systemd/system/$u" ||
			fail "installed $u is not systemd/$u with @SBINDIR@ = /usr/sbin"
		grep -q '@SBINDIR@' "$DEST/usr/lib/systemd/system/$u" && fail "installed $u still has @SBINDIR@"
		grep -q '^ExecStart=/usr/sbin/zkelectd ' "$DEST/usr/lib/systemd/system/$u" ||
			fail "installed $u does not start /usr/sbin/zkelectd"
	done
	has_file usr/share/zkelectd/hooks/example-hook 755
	while IFS= read -r hook; do
		cmp -s "$ROOT/scripts/hooks/$hook" "$DEST/usr/share/zkelectd/hooks/$hook" ||
			fail "scripts/hooks/$hook is not installed as is"
	done < <(cd "$ROOT/scripts/hooks" && find . -type f | sed 's|^\./||')
	for page in "${PAGES[@]}"; do
		sect=${page##*.}
		has_file "usr/share/man/man$sect/$page" 644
		cmp -s "$MAN/$page" "$DEST/usr/share/man/man$sect/$page" || fail "man/$page is not installed as is"
	done
	[ -d "$DEST/etc/zkelectd/hooks" ] || fail "make install did not create /etc/zkelectd/hooks"
}

# The first install's /etc/zkelectd/zkelectd.conf: the shipped example, mode 640.
check_conf() {
	has_file etc/zkelectd/zkelectd.conf 640
	cmp -s "$ROOT/conf/zkelectd.conf" "$DEST/etc/zkelectd/zkelectd.conf" ||
		fail "/etc/zkelectd/zkelectd.conf is not conf/zkelectd.conf"
}

# systemd-analyze verify on copies of the installed units whose commands exist here.
verify_units() {
	local dir=$T/verify bin=/bin/true u out rc=0
	local -a opts=(--man=no) files=()
	if ! command -v systemd-analyze >/dev/null 2>&1; then
		echo "SKIP verify: systemd-analyze is not installed"
		return 0
	fi
	# the installed binary, unless its path needs quoting in a unit file
	[[ $DEST/usr/sbin/zkelectd =~ ^[A-Za-z0-9/._-]+$ ]] && bin=$DEST/usr/sbin/zkelectd
	mkdir -p "$dir"
	for u in "${UNITS[@]}"; do
		sed "s|/usr/sbin/zkelectd|$bin|g" "$DEST/usr/lib/systemd/system/$u" >"$dir/$u"
		files+=("$dir/$u")
	done
	systemd-analyze --help 2>/dev/null | grep -q -- --recursive-errors &&
		opts+=(--recursive-errors=no)
	out=$(systemd-analyze verify "${opts[@]}" "${files[@]}" 2>&1) || rc=$?
	if grep -q 'zkelectd' <<<"$out"; then
		fail "systemd-analyze verify on the units (exit $rc):
$out"
	fi
	[ -z "$out" ] || echo "NOTE: systemd-analyze verify said (not about our units): $out"
}

lint_pages
before=$(source_sums)

install_tree 1
check_tree
check_conf
check_coverage
verify_units

# A second install leaves an edited configuration file alone.
echo "; edited by the operator" >>"$DEST/etc/zkelectd/zkelectd.conf"
cp "$DEST/etc/zkelectd/zkelectd.conf" "$T/edited.conf"
install_tree 2
cmp -s "$T/edited.conf" "$DEST/etc/zkelectd/zkelectd.conf" ||
	fail "a second make install replaced the edited /etc/zkelectd/zkelectd.conf"
check_tree

[ "$before" = "$(source_sums)" ] || fail "make install modified the source tree:
$(diff <(echo "$before") <(source_sums))"
pass
