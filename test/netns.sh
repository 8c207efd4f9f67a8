# shellcheck shell=bash disable=SC2034
# (NETNS_PID and the tables are for the tests that source this file)
# test/netns.sh: a private network of "hosts" for integration tests and chaos,
# sourced after test/lib.sh. Each host is a network namespace whose eth0 is one
# end of a veth pair; the other end is a port of bridge br0, which lives in a
# switch namespace of its own. Nothing is created in the root namespace, so
# nothing on the machine changes and concurrent tests (the plain and the ASan
# run of one test, say) can all use 10.77.0.0/24: every namespace name carries
# a per-run prefix ($NETNS_PREFIX), and the switch-side port names live inside
# that run's switch namespace.
#
# Only networking is namespaced: processes keep the file system, so a daemon's
# files stay in $T as lib.sh has them.
#
# Faults are nftables rules in the switch namespace (table "bridge netns"),
# matched on the bridge ports a frame comes in on and goes out of:
#   - one place holds every cut, so netns_heal is one flush and a test can list
#     what is in force (netns_cuts);
#   - a port rule sees every frame whatever its addresses, so a floating IP that
#     moves from host to host, ARP, neighbour discovery and broadcasts are cut
#     exactly like the hosts' own addresses, with no rule rewritten when an
#     address moves (rules inside the hosts, inet tables, would match addresses
#     and miss ARP unless an arp table repeated them);
#   - the hosts' own netfilter is left to the software under test (a hook may
#     use it), and no connection tracking is involved: a rule drops the next
#     frame of an established TCP connection as surely as a new one.
# A cut is in force when the function returns: nft returns once the kernel
# committed the rule set (atomically, one transaction per call).
#
# Isolate and split drop every frame (chain "full"). A one-way cut (chain
# "oneway") drops IPv4 and IPv6 from FROM to TO but lets ARP and IPv6
# neighbour solicitations and advertisements through: address resolution needs
# both directions (an ARP request from FROM is a broadcast that TO must see,
# TO's ARP request needs FROM's reply), so a cut that also dropped it would
# soon be a cut both ways. A drop in "full" is final whatever "oneway" says.
#
# API (NAME is a host name of the test's choosing: letters, digits, _ and -)
#   netns_check             skip the test (lib.sh skip, exit 77) unless ip netns,
#                           veth, a bridge and nft's bridge family all work here
#   netns_switch            create the switch namespace and br0; registers
#                           netns_cleanup with lib.sh's at_cleanup
#   netns_host NAME IP4 [IP6]  create host NAME: lo up, eth0 (a veth to br0) up with
#                           IP4 (with its prefix, 10.77.0.11/24) and IP6 (fd77::11/64,
#                           added nodad: usable at once)
#   netns_ns NAME           print host NAME's namespace (for ip -n / ip netns exec)
#   netns_run NAME CMD...   run CMD in host NAME's namespace, in the foreground
#   netns_spawn NAME CMD... start CMD in host NAME's namespace in the background;
#                           NETNS_PID is CMD's own PID (for kill and wait; a function
#                           run with & would leave $! on a subshell, not on CMD)
#   netns_mac NAME          print the MAC address of host NAME's eth0
#   netns_ip NAME           print host NAME's IPv4 address without its prefix
#   netns_ip6 NAME          print host NAME's IPv6 address without its prefix (or "")
#   netns_hosts             print every host name, one a line, in creation order
#   netns_isolate NAME      cut host NAME from every other host, both directions
#   netns_cut FROM TO       drop IP from host FROM to host TO (not TO to FROM)
#   netns_split "A B" "C D" cut each host of the first group from each of the
#                           second, both directions
#   netns_heal              remove every cut
#   netns_cuts              print the cuts in force, one "full|oneway FROM TO" a line
#   netns_cleanup           delete every namespace this run created (at_cleanup
#                           calls it; it kills nothing)
#
# ZooKeeper and daemons on hosts (only networking is namespaced: files stay in $T)
#   netns_zk_start N        hosts zk1..zkN (10.77.0.K/24) each running member K of
#                           lib.sh's private ZooKeeper (zk_start through scripts/
#                           zk-local.sh with ZK_NETNS and ZK_ADDRS); ZK_HOSTS then
#                           names 10.77.0.K:PORT, and zk_stop / zk_start_member work
#   netns_zk_host K         print the host name of member K (zkK)
#   netns_daemon NAME IP4 [IP6]  host NAME for the daemon NAME: lib.sh's daemon_start
#                           and zkctl NAME then run in it (DAEMON_NETNS)
#   netns_zk_peer NAME      print the host name of the ZooKeeper member that host
#                           NAME has an established connection with (status 1: none)
#   netns_reset NAME HOST...  in host NAME, reset every TCP connection to the HOSTs
#                           (ss -K) and refuse new ones with a TCP reset, as the fault
#                           proxy's reset mode does; netns_heal lifts it

NETNS_PREFIX=${NETNS_PREFIX:-zke$$r$RANDOM}
NETNS_SW=""                     # the switch namespace, once created
NETNS_PID=""                    # the PID of the last netns_spawn
NETNS_ORDER=()                  # host names in creation order
NETNS_CREATED=()                # every namespace this run created
NETNS_RESETS=()                 # hosts holding a netns_reset table
NETNS_ZK_N=0                    # members started by netns_zk_start
declare -A NETNS_PORT=() NETNS_IP4=() NETNS_IP6=()
declare -A NETNS_HOSTNAME=()    # switch port -> host name (for netns_cuts)

# Run ip in the switch namespace; fail the test with WHAT when it fails.
netns_sw_ip() {
	ip -n "$NETNS_SW" "$@" || fail "netns: ip -n $NETNS_SW $* failed"
}

# Skip the test unless namespaces, veth pairs, a bridge and nft's bridge
# family can all be used: try each once in throw-away namespaces.
netns_check() {
	local a=${NETNS_PREFIX}chk-a b=${NETNS_PREFIX}chk-b why=""
	command -v ip >/dev/null || skip "no ip command (iproute2)"
	command -v nft >/dev/null || skip "no nft command (nftables)"
	if ! ip netns add "$a" 2>/dev/null; then
		skip "cannot create a network namespace (ip netns add: not root, or no CONFIG_NET_NS)"
	fi
	if ! ip netns add "$b" 2>/dev/null; then
		ip netns del "$a" 2>/dev/null
		skip "cannot create a second network namespace"
	fi
	if ! ip -n "$a" link add br0 type bridge 2>/dev/null; then
		why="cannot create a bridge in a namespace (no CONFIG_BRIDGE)"
	elif ! ip -n "$a" link add p0 type veth peer name eth0 netns "$b" 2>/dev/null; then
		why="cannot create a veth pair across namespaces (no CONFIG_VETH)"
	elif ! ip -n "$a" link set p0 master br0 2>/dev/null; then
		why="cannot attach a veth to a bridge"
	elif ! ip netns exec "$a" nft -f - 2>/dev/null <<-'EOF'; then
		table bridge probe {
			chain c { type filter hook forward priority 0; policy accept;
				iifname "p0" oifname "p1" ether type ip drop; }
		}
	EOF
		why="nft cannot use the bridge family (no nf_tables bridge support)"
	fi
	ip netns del "$a" 2>/dev/null
	ip netns del "$b" 2>/dev/null
	[ -z "$why" ] || skip "$why"
}

# Create this run's switch namespace holding br0 (up, no address, no IPv6 of
# its own) and the empty cut tables; register netns_cleanup.
netns_switch() {
	[ -z "$NETNS_SW" ] || fail "netns_switch: called twice"
	NETNS_SW=${NETNS_PREFIX}-sw
	ip netns add "$NETNS_SW" || fail "netns: cannot create namespace $NETNS_SW"
	NETNS_CREATED+=("$NETNS_SW")
	at_cleanup netns_cleanup
	# the switch forwards frames and nothing else: no IPv6 autoconfiguration of its own
	ip netns exec "$NETNS_SW" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
	netns_sw_ip link set lo up
	netns_sw_ip link add br0 type bridge
	netns_sw_ip link set br0 up
	# if br_netfilter is loaded, bridged IP would also cross iptables here: not wanted
	ip netns exec "$NETNS_SW" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
		net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 \
		>/dev/null 2>&1 || true
	ip netns exec "$NETNS_SW" nft -f - <<-'EOF' || fail "netns: cannot load the nft tables"
		table bridge netns {
			chain full { type filter hook forward priority -10; policy accept; }
			chain oneway { type filter hook forward priority 0; policy accept;
				ether type arp accept
				icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
			}
		}
	EOF
}

# Create host NAME with IP4 (and IP6) on eth0, a veth whose peer is a port of br0.
netns_host() {
	local name=$1 ip4=$2 ip6=${3:-} ns port
	[ -n "$NETNS_SW" ] || fail "netns_host: call netns_switch first"
	[[ $name =~ ^[A-Za-z0-9_-]+$ ]] || fail "netns_host: bad host name '$name'"
	[ -z "${NETNS_PORT[$name]:-}" ] || fail "netns_host: host $name exists"
	ns=${NETNS_PREFIX}-$name
	port=p${#NETNS_ORDER[@]}
	ip netns add "$ns" || fail "netns: cannot create namespace $ns"
	NETNS_CREATED+=("$ns")
	NETNS_ORDER+=("$name")
	NETNS_PORT[$name]=$port
	NETNS_HOSTNAME[$port]=$name
	NETNS_IP4[$name]=${ip4%/*}
	NETNS_IP6[$name]=${ip6%/*}
	netns_sw_ip link add "$port" type veth peer name eth0 netns "$ns"
	netns_sw_ip link set "$port" master br0
	netns_sw_ip link set "$port" up
	ip -n "$ns" link set lo up || fail "netns: lo up in $ns"
	ip -n "$ns" addr add "$ip4" dev eth0 || fail "netns: cannot add $ip4 in $ns"
	if [ -n "$ip6" ]; then
		ip -n "$ns" addr add "$ip6" dev eth0 nodad || fail "netns: cannot add $ip6 in $ns"
	fi
	ip -n "$ns" link set eth0 up || fail "netns: eth0 up in $ns"
}

# Print host NAME's namespace.
netns_ns() {
	[ -n "${NETNS_PORT[$1]:-}" ] || fail "netns: no host $1"
	printf '%s\n' "${NETNS_PREFIX}-$1"
}

# Run CMD in host NAME's namespace, in the foreground.
netns_run() {
	local ns
	ns=$(netns_ns "$1") || exit 1
	shift
	ip netns exec "$ns" "$@"
}

# Start CMD in host NAME's namespace in the background; NETNS_PID is its PID
# (ip netns exec enters the namespace and execs CMD in the same process).
netns_spawn() {
	local ns
	ns=$(netns_ns "$1") || exit 1
	shift
	ip netns exec "$ns" "$@" &
	NETNS_PID=$!
}

# Print the MAC address of host NAME's eth0.
netns_mac() {
	local ns
	ns=$(netns_ns "$1") || exit 1
	ip -n "$ns" -o link show dev eth0 | awk '{ for (i = 1; i < NF; i++) if ($i == "link/ether") print $(i + 1) }'
}

# Print host NAME's IPv4 address (no prefix).
netns_ip() {
	[ -n "${NETNS_IP4[$1]:-}" ] || fail "netns: no host $1"
	printf '%s\n' "${NETNS_IP4[$1]}"
}

# Print host NAME's IPv6 address (no prefix; empty when it has none).
netns_ip6() {
	[ -n "${NETNS_IP4[$1]:-}" ] || fail "netns: no host $1"
	printf '%s\n' "${NETNS_IP6[$1]}"
}

# Print every host name, in creation order.
netns_hosts() {
	printf '%s\n' "${NETNS_ORDER[@]}"
}

# The switch port of host NAME (fails the test for an unknown host).
netns_port() {
	[ -n "${NETNS_PORT[$1]:-}" ] || fail "netns: no host $1"
	printf '%s\n' "${NETNS_PORT[$1]}"
}

# Apply nft commands read from stdin in the switch namespace, as one transaction.
netns_nft() {
	ip netns exec "$NETNS_SW" nft -f - || fail "netns: nft rule change failed"
}

# Cut host NAME from every other host, both directions.
netns_isolate() {
	local p
	p=$(netns_port "$1") || exit 1
	printf 'add rule bridge netns full iifname "%s" drop\nadd rule bridge netns full oifname "%s" drop\n' \
		"$p" "$p" | netns_nft
}

# Drop IPv4 and IPv6 from host FROM to host TO; TO to FROM keeps working.
netns_cut() {
	local a b
	a=$(netns_port "$1") || exit 1
	b=$(netns_port "$2") || exit 1
	printf 'add rule bridge netns oneway iifname "%s" oifname "%s" drop\n' "$a" "$b" | netns_nft
}

# Cut every host of group A from every host of group B, both directions.
netns_split() {
	local x y px py rules=""
	for x in $1; do
		px=$(netns_port "$x") || exit 1
		for y in $2; do
			py=$(netns_port "$y") || exit 1
			rules+="add rule bridge netns full iifname \"$px\" oifname \"$py\" drop"$'\n'
			rules+="add rule bridge netns full iifname \"$py\" oifname \"$px\" drop"$'\n'
		done
	done
	[ -z "$rules" ] || printf '%s' "$rules" | netns_nft
}

# Remove every cut (the neighbour-discovery exceptions of "oneway" stay) and
# every netns_reset.
netns_heal() {
	local h
	for h in "${NETNS_RESETS[@]}"; do
		ip netns exec "$(netns_ns "$h")" nft delete table inet netns_reset 2>/dev/null || true
	done
	NETNS_RESETS=()
	netns_nft <<-'EOF'
		flush chain bridge netns full
		flush chain bridge netns oneway
		add rule bridge netns oneway ether type arp accept
		add rule bridge netns oneway icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	EOF
}

# Print the cuts in force: "full FROM TO" (TO or FROM "*" for any host) and
# "oneway FROM TO", host names.
netns_cuts() {
	ip netns exec "$NETNS_SW" nft list table bridge netns 2>/dev/null | awk -v names="$(
		for p in "${!NETNS_HOSTNAME[@]}"; do printf '%s=%s ' "$p" "${NETNS_HOSTNAME[$p]}"; done
	)" '
	BEGIN { n = split(names, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], f, "="); h[f[1]] = f[2] } }
	/chain full/ { c = "full" } /chain oneway/ { c = "oneway" }
	/ drop/ {
		from = "*"; to = "*"
		for (i = 1; i < NF; i++) {
			if ($i == "iifname") { g = $(i + 1); gsub(/"/, "", g); from = h[g] }
			if ($i == "oifname") { g = $(i + 1); gsub(/"/, "", g); to = h[g] }
		}
		print c, from, to
	}'
}

# Delete every namespace this run created (processes in them were stopped by
# whoever started them; deleting a name kills nothing).
netns_cleanup() {
	local ns
	for ns in "${NETNS_CREATED[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	NETNS_CREATED=()
}

# Start lib.sh's ZooKeeper with N members, member K alone on host zkK (10.77.0.K).
netns_zk_start() {
	local n=$1 k nss="" addrs=""
	for ((k = 1; k <= n; k++)); do
		netns_host "zk$k" "10.77.0.$k/24"
		nss+="${nss:+ }$(netns_ns "zk$k")"
		addrs+="${addrs:+ }10.77.0.$k"
	done
	NETNS_ZK_N=$n
	ZK_NETNS=$nss ZK_ADDRS=$addrs zk_start "$n"
}

# The host name of ZooKeeper member K.
netns_zk_host() {
	printf 'zk%s\n' "$1"
}

# Create host NAME for the daemon of the same name (daemon_start and zkctl run in it).
netns_daemon() {
	netns_host "$@"
	DAEMON_NETNS[$1]=$(netns_ns "$1")
}

# The host name of the ZooKeeper member host NAME holds an established TCP
# connection with (the first one found); status 1 when there is none.
netns_zk_peer() {
	local peer k
	for peer in $(ip netns exec "$(netns_ns "$1")" ss -Htn state established |
		awk '{ sub(/:[0-9]+$/, "", $4); print $4 }'); do
		for ((k = 1; k <= NETNS_ZK_N; k++)); do
			if [ "$peer" = "10.77.0.$k" ]; then
				netns_zk_host "$k"
				return 0
			fi
		done
	done
	return 1
}

# In host NAME, reset the TCP connections to each HOST and refuse new ones
# (a TCP reset for every packet NAME sends them), until netns_heal.
netns_reset() {
	local name=$1 ns h addrs=""
	ns=$(netns_ns "$name") || exit 1
	shift
	for h in "$@"; do
		addrs+="${addrs:+, }$(netns_ip "$h")"
	done
	[ -n "$addrs" ] || return 0
	ip netns exec "$ns" nft -f - <<-EOF || fail "netns: cannot load the reset table in $name"
		table inet netns_reset {
			chain out {
				type filter hook output priority 0; policy accept;
				ip daddr { $addrs } meta l4proto tcp reject with tcp reset
			}
		}
	EOF
	NETNS_RESETS+=("$name")
	for h in "$@"; do
		ip netns exec "$ns" ss -Ktn dst "$(netns_ip "$h")" >/dev/null 2>&1 || true
	done
}
