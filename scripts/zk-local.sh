#!/bin/bash
# zk-local.sh: run a private ZooKeeper (one standalone server or an N-member
# ensemble) on free loopback ports in a directory of its own, for tests and the
# demo. docs/zookeeper-local.md has the facts it relies on.
#
#   zk-local.sh start DIR [N]        start N members (default 1: standalone) in DIR,
#                                    wait until each serves, print the connect string
#                                    (also written to DIR/connect)
#   zk-local.sh stop DIR [K]         stop every member (or member K): TERM, KILL after 5 s
#   zk-local.sh start-member DIR K   start member K again, on its old ports and data
#   zk-local.sh cli DIR CMD [K]      send a four-letter command (srvr, mntr, ruok, ...)
#                                    to member K (default: the first that answers)
#   zk-local.sh ports N              print N free loopback ports (for other servers of a test)
#   zk-local.sh cds FILE             write a class-data archive of a member's start to FILE
#
# Files in DIR: zkK.cfg, zkK.pid, zkK.log, dataK/ for each member K, connect.
# Environment: ZK_START_TIMEOUT (seconds, default 20), JAVA (default java),
# ZK_CDS (a class-data archive from "cds"; default build/zookeeper.jsa of this
# tree, used when it exists: a member then starts on about a third less CPU, as
# the JVM maps the classes it loaded last time instead of parsing and verifying
# them again; a stale one, say after a JDK update, is ignored by the JVM).
# PYTHON (default /usr/bin/python3: Debian's, not a version manager's slow
# shim; test/lib.sh says why). ZK_NETNS="NS1 NS2 ..." and ZK_ADDRS="ADDR1 ADDR2
# ..." (start only; kept in DIR/netns for the other commands): member K runs in
# network namespace NSK and listens on ADDRK instead of 127.0.0.1
# (test/netns.sh makes such "hosts").
# Several instances may run at once, each with its own DIR.
set -eu

readonly JARDIR=/usr/share/java
readonly JARS="zookeeper zookeeper-jute slf4j-api slf4j-simple netty-handler
netty-transport netty-common netty-buffer netty-codec netty-resolver
netty-transport-native-epoll netty-transport-native-unix-common"
START_TIMEOUT=${ZK_START_TIMEOUT:-20}
JAVA=${JAVA:-java}
PYTHON=${PYTHON:-/usr/bin/python3}
ZK_CDS=${ZK_CDS-$(dirname "${BASH_SOURCE[0]}")/../build/zookeeper.jsa}
CDS_DUMP=""	# set by "cds": the archive the member writes when it exits

# nap SECS: sleep without a fork or an exec (read times out on a pipe nobody
# writes to): on our 2-core VMs a fork and exec costs about 6 ms of CPU, and
# the loops below poll every 50 ms while a member starts or stops.
exec {NAP_FD}<> <(:)
nap() {
	read -r -t "$1" -u "$NAP_FD" _ || :
}

# Print a message on stderr and exit 1.
die() {
	echo "zk-local.sh: $*" >&2
	exit 1
}

# Print the usage on stderr and exit 2.
usage() {
	sed -n '/^#   zk-local.sh/,/^#  *to member K/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

# The Java classpath built from the jars docs/zookeeper-local.md names.
classpath() {
	local cp="" j
	for j in $JARS; do
		[ -r "$JARDIR/$j.jar" ] || die "missing $JARDIR/$j.jar (apt-get install zookeeper)"
		cp="${cp:+$cp:}$JARDIR/$j.jar"
	done
	printf '%s' "$cp"
}

# Print COUNT distinct free TCP ports on 127.0.0.1, outside the ephemeral range
# (so that no client connection takes one between this check and the bind).
free_ports() {
	"$PYTHON" - "$1" <<'EOF'
import random, socket, sys
want = int(sys.argv[1])
held, ports = [], []
while len(ports) < want:
    p = random.randint(20000, 32000)
    if p in ports:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close()
        continue
    held.append(s)
    ports.append(p)
print(" ".join(map(str, ports)))
EOF
}

# The number of members configured in DIR.
members() {
	local n=0
	while [ -e "$1/zk$((n + 1)).cfg" ]; do
		n=$((n + 1))
	done
	echo "$n"
}

# Member K's network namespace in DIR ("" for the root's).
member_ns() {
	[ -e "$1/netns" ] || return 0
	awk -v k="$2" '$1 == k { print $2 }' "$1/netns"
}

# Member K's address in DIR (127.0.0.1 unless started with ZK_ADDRS).
member_addr() {
	local a=""
	[ ! -e "$1/netns" ] || a=$(awk -v k="$2" '$1 == k { print $3 }' "$1/netns")
	printf '%s\n' "${a:-127.0.0.1}"
}

# Run CMD in member K's network namespace (as is when it has none).
in_member() {
	local ns
	ns=$(member_ns "$1" "$2")
	shift 2
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

# Write DIR/netns from ZK_NETNS and ZK_ADDRS for N members (nothing without them).
write_netns() {
	local dir=$1 n=$2 k
	local -a nss addrs
	[ -n "${ZK_NETNS:-}" ] || return 0
	read -r -a nss <<<"$ZK_NETNS"
	read -r -a addrs <<<"${ZK_ADDRS:-}"
	if [ "${#nss[@]}" -ne "$n" ] || [ "${#addrs[@]}" -ne "$n" ]; then
		die "ZK_NETNS and ZK_ADDRS must name $n namespaces and addresses"
	fi
	for ((k = 1; k <= n; k++)); do
		echo "$k ${nss[k - 1]} ${addrs[k - 1]}"
	done >"$dir/netns"
}

# The value of KEY in member K's config file in DIR.
cfg_get() {
	sed -n "s/^$3=//p" "$1/zk$2.cfg"
}

# Write member K's config in DIR for an ensemble of N: client port, then the
# peer and election ports of every member (PORTS holds 3 per member).
write_cfg() {
	local dir=$1 k=$2 n=$3 ports i
	read -r -a ports <<<"$4"
	mkdir -p "$dir/data$k"
	{
		echo "tickTime=200"
		echo "initLimit=10"
		echo "syncLimit=5"
		echo "minSessionTimeout=400"
		echo "maxSessionTimeout=60000"
		echo "dataDir=$dir/data$k"
		echo "clientPort=${ports[(k - 1) * 3]}"
		echo "clientPortAddress=$(member_addr "$dir" "$k")"
		echo "admin.enableServer=false"
		echo "4lw.commands.whitelist=*"
		if [ "$n" -gt 1 ]; then
			for ((i = 1; i <= n; i++)); do
				echo "server.$i=$(member_addr "$dir" "$i"):${ports[(i - 1) * 3 + 1]}:${ports[(i - 1) * 3 + 2]}"
			done
		fi
	} >"$dir/zk$k.cfg"
	if [ "$n" -gt 1 ]; then
		echo "$k" >"$dir/data$k/myid"
	fi
}

# Start member K of DIR in the background (java directly, a child of this shell).
launch() {
	local dir=$1 k=$2 main=org.apache.zookeeper.server.ZooKeeperServerMain cp ns
	local -a pre=() cds=()
	cp=$(classpath) || exit 1
	if [ -n "$CDS_DUMP" ]; then
		cds=(-XX:ArchiveClassesAtExit="$CDS_DUMP")
	elif [ -n "$ZK_CDS" ] && [ -r "$ZK_CDS" ]; then
		cds=(-XX:SharedArchiveFile="$ZK_CDS")
	fi
	ns=$(member_ns "$dir" "$k")
	# ip netns exec execs java: $! stays the member's own PID
	[ -z "$ns" ] || pre=(ip netns exec "$ns")
	if [ "$(members "$dir")" -gt 1 ]; then
		main=org.apache.zookeeper.server.quorum.QuorumPeerMain
	fi
	"${pre[@]}" "$JAVA" -Xmx128m -XX:+UseSerialGC -Xshare:auto -XX:TieredStopAtLevel=1 \
		-XX:-UsePerfData "${cds[@]}" -Djava.net.preferIPv4Stack=true \
		-Dzookeeper.admin.enableServer=false \
		-Dorg.slf4j.simpleLogger.showDateTime=true \
		-cp "$cp" "$main" "$dir/zk$k.cfg" \
		</dev/null >>"$dir/zk$k.log" 2>&1 &
	echo $! >"$dir/zk$k.pid"
}

# True when PID is a live (not zombie) process started for member config CFG (no
# fork): its command line names CFG, or it is a child of this shell that has not
# executed java yet (launch has just forked it).
ours_alive() {
	local pid=$1 cfg=$2 st="" state ppid arg
	[ -n "$pid" ] || return 1
	read -r st 2>/dev/null <"/proc/$pid/stat" || return 1
	read -r state ppid _ <<<"${st##*) }"
	[[ $state != Z* ]] || return 1
	[ "$ppid" != "$$" ] || return 0
	while IFS= read -r -d '' arg; do
		[ "$arg" != "$cfg" ] || return 0
	done 2>/dev/null <"/proc/$pid/cmdline"
	return 1
}

# The PID of member K of DIR if it runs, else nothing (status 1).
member_pid() {
	local pid=""
	read -r pid 2>/dev/null <"$1/zk$2.pid" || return 1
	ours_alive "$pid" "$1/zk$2.cfg" || return 1
	echo "$pid"
}

# Send the four-letter word CMD to member K of DIR and print the answer.
fourlw() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	in_member "$1" "$2" timeout 2 bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		printf "%s" "$3" >&3
		cat <&3' fourlw "$(member_addr "$1" "$2")" "$(cfg_get "$1" "$2" clientPort)" "$3" 2>/dev/null
}

# True when member K of DIR serves requests (srvr shows a Mode), and the server
# on its port is this member (conf names its data directory): another test's
# server may hold a port both picked as free, and ours then exits (bind_failed).
serving() {
	local dir=$1 k=$2 key val port=""
	if [ -e "$dir/netns" ]; then
		fourlw "$dir" "$k" srvr | grep -q '^Mode:'
		return
	fi
	# in this shell, polled every 50 ms while members start: no fork
	while IFS='=' read -r key val; do
		[ "$key" != clientPort ] || port=$val
	done <"$dir/zk$k.cfg"
	answers "$port" srvr 'Mode:*' && answers "$port" conf "dataDir=$dir/data$k/*"
}

# answers PORT WORD PATTERN: true when the four-letter WORD sent to
# 127.0.0.1:PORT is answered with a line that matches the glob PATTERN.
answers() {
	local fd line=""
	{ exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	printf '%s' "$2" >&"$fd"
	# shellcheck disable=SC2053 # $3 is a glob pattern
	while IFS= read -r -t 2 -u "$fd" line; do
		[[ $line != $3 ]] || break
	done
	exec {fd}>&-
	# shellcheck disable=SC2053
	[[ $line == $3 ]]
}

# True when member K's log shows it could not bind a port.
bind_failed() {
	grep -q 'Address already in use\|BindException' "$1/zk$2.log" 2>/dev/null
}

# Wait until every member in the list serves; 0 on success, 1 on a bind
# failure (ports taken: the caller may retry), 2 when a member died or the
# deadline passed (messages on stderr).
wait_serving() {
	local dir=$1 k deadline=$((SECONDS + START_TIMEOUT)) pending
	shift
	pending=" $* "
	while :; do
		for k in $pending; do
			if serving "$dir" "$k"; then
				pending=${pending/ $k / }
			elif ! member_pid "$dir" "$k" >/dev/null; then
				bind_failed "$dir" "$k" && return 1
				echo "zk-local.sh: member $k exited; see $dir/zk$k.log:" >&2
				tail -n 20 "$dir/zk$k.log" >&2
				return 2
			fi
		done
		[ -n "${pending// /}" ] || return 0
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "zk-local.sh: member(s)$pending not serving after ${START_TIMEOUT}s; see $dir/zk*.log" >&2
			return 2
		fi
		nap 0.05
	done
}

# Stop member K of DIR: TERM, KILL after 5 s, and wait until it is gone.
stop_member() {
	local dir=$1 k=$2 pid i
	pid=$(member_pid "$dir" "$k") || {
		rm -f "$dir/zk$k.pid"
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		ours_alive "$pid" "$dir/zk$k.cfg" || break
		nap 0.05
	done
	if ours_alive "$pid" "$dir/zk$k.cfg"; then
		kill -KILL "$pid" 2>/dev/null || true
		while ours_alive "$pid" "$dir/zk$k.cfg"; do
			nap 0.05
		done
	fi
	rm -f "$dir/zk$k.pid"
}

# The connect string of DIR: 127.0.0.1:PORT for each member.
connect_string() {
	local dir=$1 k s=""
	for ((k = 1; k <= $(members "$dir"); k++)); do
		s="${s:+$s,}$(member_addr "$dir" "$k"):$(cfg_get "$dir" "$k" clientPort)"
	done
	printf '%s\n' "$s"
}

# zk-local.sh start DIR [N]
cmd_start() {
	local dir=$1 n=${2:-1} k attempt ports rc t0=$SECONDS
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "bad member count: $n"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[ "$(members "$dir")" -eq 0 ] || die "$dir already holds a ZooKeeper (stop it, or use start-member)"
	write_netns "$dir" "$n"
	for attempt in 1 2 3; do
		ports=$(free_ports $((3 * n)))
		for ((k = 1; k <= n; k++)); do
			write_cfg "$dir" "$k" "$n" "$ports"
		done
		for ((k = 1; k <= n; k++)); do
			launch "$dir" "$k"
		done
		rc=0
		wait_serving "$dir" $(seq 1 "$n") || rc=$?
		[ "$rc" -eq 0 ] && break
		for ((k = 1; k <= n; k++)); do
			stop_member "$dir" "$k"
		done
		if [ "$rc" -ne 1 ] || [ "$attempt" -eq 3 ]; then
			die "could not start ZooKeeper in $dir"
		fi
		echo "zk-local.sh: a port was taken, trying other ports" >&2
		rm -f "$dir"/zk*.cfg
	done
	connect_string "$dir" >"$dir/connect"
	echo "zk-local.sh: $n member(s) serving in $((SECONDS - t0))s" >"$dir/started"
	cat "$dir/connect"
}

# zk-local.sh stop DIR [K]
cmd_stop() {
	local dir=$1 k
	[ -d "$dir" ] || return 0
	if [ $# -ge 2 ]; then
		[ -e "$dir/zk$2.cfg" ] || die "no member $2 in $dir"
		stop_member "$dir" "$2"
		return 0
	fi
	for ((k = 1; k <= $(members "$dir"); k++)); do
		stop_member "$dir" "$k"
	done
}

# zk-local.sh start-member DIR K: wait until it serves when a quorum can exist.
cmd_start_member() {
	local dir=$1 k=$2 n i live=0 rc=0
	[ -e "$dir/zk$k.cfg" ] || die "no member $k in $dir"
	member_pid "$dir" "$k" >/dev/null && die "member $k already runs"
	n=$(members "$dir")
	launch "$dir" "$k"
	for ((i = 1; i <= n; i++)); do
		member_pid "$dir" "$i" >/dev/null && live=$((live + 1))
	done
	if [ "$live" -gt $((n / 2)) ]; then
		wait_serving "$dir" "$k" || rc=$?
		[ "$rc" -eq 0 ] || die "member $k did not start"
	fi
}

# zk-local.sh cli DIR CMD [K]
cmd_cli() {
	local dir=$1 cmd=$2 k out
	if [ $# -ge 3 ]; then
		fourlw "$dir" "$3" "$cmd" || die "member $3 does not answer"
		return 0
	fi
	for ((k = 1; k <= $(members "$dir"); k++)); do
		if out=$(fourlw "$dir" "$k" "$cmd") && [ -n "$out" ]; then
			printf '%s\n' "$out"
			return 0
		fi
	done
	die "no member in $dir answers"
}

# zk-local.sh cds FILE: start a standalone member that archives the classes it
# loaded (start, a client's four-letter word) when it exits, stop it, keep FILE.
cmd_cds() {
	local file=$1 dir
	dir=$(mktemp -d "${TMPDIR:-/tmp}/zk-cds.XXXXXX")
	CDS_DUMP=$dir/zookeeper.jsa
	ZK_CDS=""
	cmd_start "$dir" >/dev/null || { rm -rf "$dir"; die "could not start a member for $file"; }
	fourlw "$dir" 1 srvr >/dev/null || true
	stop_member "$dir" 1
	if [ ! -s "$CDS_DUMP" ]; then
		tail -n 5 "$dir/zk1.log" >&2
		rm -rf "$dir"
		die "the JVM wrote no class-data archive (see above)"
	fi
	mkdir -p "$(dirname "$file")"
	mv "$CDS_DUMP" "$file.tmp.$$" && mv "$file.tmp.$$" "$file"
	rm -rf "$dir"
}

# Dispatch the command line.
main() {
	[ $# -ge 2 ] || usage
	local cmd=$1
	[ "$cmd" = ports ] && { free_ports "$2" | tr '\n' ' ' | sed 's/ $/\n/'; return; }
	[ "$cmd" = cds ] && { [ $# -eq 2 ] || usage; cmd_cds "$2"; return; }
	shift
	# DIR as start wrote it into each member's command line (an absolute path):
	# the liveness check compares the two
	if [ -d "$1" ]; then
		set -- "$(cd "$1" && pwd)" "${@:2}"
	fi
	case $cmd in
	start) [ $# -le 2 ] || usage; cmd_start "$@" ;;
	stop) [ $# -le 2 ] || usage; cmd_stop "$@" ;;
	start-member) [ $# -eq 2 ] || usage; cmd_start_member "$@" ;;
	cli) [ $# -ge 2 ] || usage; [ $# -le 3 ] || usage; cmd_cli "$@" ;;
	*) usage ;;
	esac
}

main "$@"
