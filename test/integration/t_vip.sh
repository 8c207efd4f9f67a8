#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for and poll
# run.sh: plain build only (no daemon, no ZooKeeper: the hook is a shell script)
# The floating IP hook, scripts/hooks/vip/vip, driven as zkelectd drives it (its
# environment, the event as the last argument) on three "hosts" h1 h2 h3 and a
# client, network namespaces on one bridge (test/netns.sh), for IPv4 and IPv6
# at once (each run on an address of its own, so that the runs do not meet):
#   - the start-up demote on every host: nothing to remove, success;
#   - handovers h1 -> h2 -> h3 (demote the old holder, then promote the new
#     one): the client's neighbour entry, REACHABLE on the old holder's MAC
#     before, points at the new holder's MAC within a bound measured and
#     printed: the announcement changed it, not a fresh resolution. Each
#     demote stops the old holder's pending second burst (its process group is
#     gone when the demote returns) and nothing announces the old holder later.
#     A promote read to the end of its output ($(...)) still leaves its second
#     burst pending: the background part does not hold the hook's output open;
#   - while h2 holds the address, h3's promote refuses (exit 1) and h3 does not
#     get the address; a promote again on h2 adds nothing and probes nothing; a
#     demote on a host without it succeeds;
#   - follow removes the address; in the end no host holds it;
#   - beside it, on another address: h3 -> h1 with the first burst lost (the
#     client drops ARP, or neighbour advertisements, from the address until the
#     promote has ended): the second burst updates it.
# Then the PostgreSQL + VIP wrapper of the hook's README, with stand-ins for
# the PostgreSQL hooks (order of the steps, a failed database promote), and
# settings that are missing or wrong (each refused, saying which and where).
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/netns.sh
. "$ROOT/test/netns.sh"

HOOK=$ROOT/scripts/hooks/vip/vip
VIP4=10.77.0.100
VIP6=fd77::100
# VIP_SECOND_BURST_DELAY: the default (3 s) in the main scenario, where each
# demote must find the old holder's second burst still pending; 1 s where the
# first burst is lost, to be quick
BOUND_MS=10000		# a ceiling for a busy machine: what a handover took is printed
ZK_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

netns_check
command -v arping >/dev/null || skip "no arping (Debian package iputils-arping)"
case $(arping -V 2>&1) in *iputils*) ;; *) skip "arping is not iputils' (Debian package iputils-arping)" ;; esac
{ command -v setsid && command -v flock; } >/dev/null || skip "no setsid or flock (util-linux)"
FAMILIES="4 6"
if ! command -v na6 >/dev/null; then
	echo "t_vip: no na6 (Debian package ipv6toolkit): the IPv6 part does not run" >&2
	FAMILIES=4
fi

# Stop the scenarios still running (a failed test), then, by its process
# group, every second burst the hook left running: the groups named in this
# test's pid files that still hold their lock.
vip_cleanup() {
	local f pg
	for pg in "${SCENARIO[@]}"; do
		kill "$pg" 2>/dev/null && wait "$pg" 2>/dev/null
	done
	for f in "$T"/run/*/*.burst; do
		[ -e "$f" ] || continue
		flock -n "$f" true 2>/dev/null && continue
		read -r pg <"$f" || continue
		[[ $pg =~ ^[0-9]+$ ]] && [ "$pg" -gt 1 ] && kill -s KILL -- "-$pg" 2>/dev/null
	done
	return 0
}
declare -A SCENARIO=()
at_cleanup vip_cleanup

netns_switch
netns_host h1 10.77.0.11/24 fd77::11/64
netns_host h2 10.77.0.12/24 fd77::12/64
netns_host h3 10.77.0.13/24 fd77::13/64
netns_host client 10.77.0.20/24 fd77::20/64
CLIENT_NS=$(netns_ns client)
declare -A MAC=()
for h in h1 h2 h3; do
	MAC[$h]=$(netns_mac "$h")
done

# Write env file FILE for ADDRESS (as an operator would: mode 644, root's),
# with VIP_SECOND_BURST_DELAY=DELAY (default: not set).
write_env() {
	cat >"$1" <<-EOF
		# the floating address of this test
		VIP_ADDRESS=$2
		VIP_INTERFACE=eth0
		VIP_RUNDIR=$T/run/\$ZKELECT_ID
		VIP_DAD_COUNT=1
		VIP_DAD_TIMEOUT=1
	EOF
	[ -z "${3:-}" ] || echo "VIP_SECOND_BURST_DELAY=$3" >>"$1"
	chmod 644 "$1"
}

# vip_run HOST ENV EVENT REASON [LEADER] [EPOCH]: run the hook on HOST as
# zkelectd does (only PATH, HOME, LANG and ZKELECT_*; the event last).
vip_run() {
	local role=follower
	[ "$3" != promote ] || role=leader
	netns_run "$1" env -i PATH="$ZK_PATH" HOME=/ LANG=C.UTF-8 ZKELECT_EVENT="$3" \
		ZKELECT_ROLE="$role" ZKELECT_REASON="$4" ZKELECT_ID="$1" ZKELECT_LEADER_ID="${5:-}" \
		ZKELECT_EPOCH="${6:-}" ZKELECT_ELECTION_PATH=/zkelectd/vip-test "$HOOK" "$2" "$3" </dev/null
}

# Print one line prefixed with the family (the two families run at once).
say() {
	echo "t_vip: IPv$FAM: $*"
}

# Print "MAC STATE" of the client's neighbour entry for the address (empty: none).
client_neigh() {
	ip -n "$CLIENT_NS" "-$FAM" neigh show "$VIP" dev eth0 |
		awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") { print $(i + 1), $NF; exit } }'
}

# True when the client's entry is REACHABLE on host HOST's MAC.
client_reachable() {
	[ "$(client_neigh)" = "${MAC[$1]} REACHABLE" ]
}

# True when the client's entry points at host HOST's MAC (any state).
client_points() {
	local n
	n=$(client_neigh)
	[ "${n% *}" = "${MAC[$1]}" ]
}

# Print the hosts that hold the address (tentative ones too), space-separated.
holders() {
	local h out=""
	for h in h1 h2 h3; do
		[ -z "$(ip -n "$(netns_ns "$h")" -o "-$FAM" addr show dev eth0 to "$VIP/$MAX")" ] || out+="$h "
	done
	echo "${out% }"
}

# Fail unless exactly host HOST holds the address ("" for nobody).
only_holder() {
	local got
	got=$(holders)
	[ "$got" = "$1" ] || fail "IPv$FAM: expected the address on '${1:-no host}', it is on '$got'"
}

# The client forgets the address, sends it a datagram and waits until its
# entry is REACHABLE on HOST's MAC: a fresh resolution that HOST answered.
client_learns() {
	ip -n "$CLIENT_NS" "-$FAM" neigh del "$VIP" dev eth0 2>/dev/null || true
	netns_run client bash -c "echo x >/dev/udp/$VIP/9" 2>/dev/null || true
	wait_for "IPv$FAM: the client's entry REACHABLE on $1 (${MAC[$1]}); it has: $(client_neigh)" 5 client_reachable "$1"
}

# promote HOST: the promote succeeds; remember its second burst's process group.
promote() {
	local out
	EPOCH=$((EPOCH + 1))
	out=$(vip_run "$1" "$ENV" promote elected "$1" "$EPOCH" 2>&1) || fail "IPv$FAM: promote on $1 failed: $out"
	note_promote "$1" "$out"
}

# Check a successful promote's output OUT on HOST and remember its process group.
note_promote() {
	[[ $2 =~ a\ second\ burst\ in\ [0-9.]+s\ \(process\ group\ ([0-9]+)\) ]] ||
		fail "IPv$FAM: promote on $1 named no second burst: $2"
	PG[$1]=${BASH_REMATCH[1]}
	say "$1: $2"
}

# Drop, in the client's own netfilter, what announces the address (ARP from
# it, or neighbour advertisements from it): "on" or "off".
client_deaf() {
	local t
	if [ "$FAM" = 4 ]; then t="table arp vip_lost"; else t="table ip6 vip_lost"; fi
	if [ "$1" = on ]; then
		if [ "$FAM" = 4 ]; then
			printf '%s\n' "add $t" "add chain arp vip_lost in { type filter hook input priority 0; }" \
				"add rule arp vip_lost in arp saddr ip $VIP drop"
		else
			printf '%s\n' "add $t" "add chain ip6 vip_lost in { type filter hook input priority 0; }" \
				"add rule ip6 vip_lost in ip6 saddr $VIP icmpv6 type nd-neighbor-advert drop"
		fi | netns_run client nft -f - || fail "cannot make the client deaf"
	else
		netns_run client nft delete "$t" || fail "cannot undo the client's drop rule"
	fi
}

# handover OLD NEW [lost]: the client's entry is REACHABLE on OLD; OLD demotes
# (its pending second burst stopped, its group gone), NEW promotes. Measure from
# the start of NEW's promote until the client's entry points at NEW. With
# "lost", the client hears nothing until the promote has ended: the second
# burst must update it, measured from the end of the promote.
handover() {
	local old=$1 new=$2 lost=${3:-} out t0 t1 t2 pid rc=0
	client_learns "$old"
	[ -z "$lost" ] || client_deaf on
	t0=$(now_us)
	out=$(vip_run "$old" "$ENV" demote resigned "$old" "$EPOCH" 2>&1) || fail "IPv$FAM: demote on $old failed: $out"
	say "$old: $out"
	# in the main scenario the old holder's second burst (3 s) is still pending
	[ -n "$lost" ] || [[ $out == *"stopped the pending second burst (process group ${PG[$old]})"* ]] ||
		fail "IPv$FAM: the demote on $old did not stop its pending second burst: $out"
	! group_lives "${PG[$old]}" || fail "IPv$FAM: $old's second burst (group ${PG[$old]}) outlived the demote"
	[ ! -e "$T/run/$old/vip-eth0-$KEY.burst" ] || fail "IPv$FAM: $old's pid file outlived the demote"
	only_holder ""
	client_reachable "$old" || fail "IPv$FAM: the client's entry changed during the demote: $(client_neigh)"
	EPOCH=$((EPOCH + 1))
	t1=$(now_us)
	vip_run "$new" "$ENV" promote elected "$new" "$EPOCH" >"$T/promote.$FAM" 2>&1 &
	pid=$!
	if [ -z "$lost" ]; then
		poll $((BOUND_MS / 1000)) client_points_fast "$new" ||
			fail "IPv$FAM: the client's entry still says $(client_neigh) ${BOUND_MS} ms into $new's promote"
		t2=$(now_us)
		wait "$pid" || rc=$?
		[ "$rc" = 0 ] || fail "IPv$FAM: promote on $new failed: $(cat "$T/promote.$FAM")"
		note_promote "$new" "$(cat "$T/promote.$FAM")"
		say "handover $old -> $new: the client's entry points at $new ($(client_neigh))" \
			"$(((t2 - t1) / 1000)) ms after the promote started ($(((t2 - t0) / 1000)) ms after the demote started)"
	else
		wait "$pid" || rc=$?
		t1=$(now_us)
		[ "$rc" = 0 ] || fail "IPv$FAM: promote on $new failed: $(cat "$T/promote.$FAM")"
		note_promote "$new" "$(cat "$T/promote.$FAM")"
		client_points "$old" || fail "IPv$FAM: the client heard the first burst although deaf: $(client_neigh)"
		client_deaf off
		poll $((1 + BOUND_MS / 1000)) client_points_fast "$new" ||
			fail "IPv$FAM: the second burst did not reach the client: $(client_neigh), $(cat "$T/run/$new/vip-eth0-$KEY.log")"
		t2=$(now_us)
		wait_for "IPv$FAM: the second burst's report" 5 grep -q "second burst for $VIP" "$T/run/$new/vip-eth0-$KEY.log"
		say "handover $old -> $new, first burst lost: the second burst set the client's entry on $new" \
			"$(((t2 - t1) / 1000)) ms after the promote ended (VIP_SECOND_BURST_DELAY=1)"
	fi
	only_holder "$new"
	DEMOTED_AT=$t0
}

# True while process group PG has a live member (a zombie, which init has yet
# to reap, sends nothing).
group_lives() {
	ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# Like client_points, polled faster than poll's 50 ms: poll every 5 ms for 50 ms.
client_points_fast() {
	local _
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		client_points "$1" && return 0
		nap 0.005
	done
	return 1
}

# Set the globals of one scenario: address family FAM (4 or 6), the address
# VIP (VIP4 or VIP6 with its last part replaced by LAST), its env file with
# VIP_SECOND_BURST_DELAY=DELAY (default: not set, 3 s).
scenario_setup() {
	FAM=$1 EPOCH=0
	declare -gA PG=()
	if [ "$FAM" = 4 ]; then VIP=${VIP4%.*}.$2 MAX=32; else VIP=${VIP6%:*}:$2 MAX=128; fi
	ENV=$T/vip-$VIP.env
	KEY=${VIP//:/_}	# in the names of the hook's files
	if [ "$FAM" = 4 ]; then write_env "$ENV" "$VIP/24" "${3:-}"; else write_env "$ENV" "$VIP/64" "${3:-}"; fi
}

# The main scenario for address family FAM, in a subshell of its own.
scenario() {
	local out h
	scenario_setup "$1" 100
	for h in h1 h2 h3; do
		out=$(vip_run "$h" "$ENV" demote startup "" 2>&1) || fail "IPv$FAM: start-up demote on $h failed: $out"
		[[ $out == *"nothing to remove"* ]] || fail "IPv$FAM: start-up demote on $h: $out"
	done
	promote h1
	only_holder h1
	handover h1 h2

	# h2 holds it: h3's promote refuses and does not get it
	out=$(vip_run h3 "$ENV" promote elected h3 $((EPOCH + 1)) 2>&1) && fail "IPv$FAM: h3 promoted while h2 holds the address: $out"
	[[ $out == *REFUSED* ]] || fail "IPv$FAM: h3's promote failed, but not as a refusal: $out"
	say "h3 while h2 holds it: $out"
	only_holder h2
	client_points h2 || fail "IPv$FAM: h3's refused promote changed the client's entry: $(client_neigh)"

	# again on h2: nothing twice; a demote on h3, which does not hold it: success
	out=$(vip_run h2 "$ENV" promote elected h2 "$EPOCH" 2>&1) || fail "IPv$FAM: promote again on h2 failed: $out"
	[[ $out == *"already held"*"no probe, no second add"* ]] || fail "IPv$FAM: promote again on h2: $out"
	note_promote h2 "$out"
	[ "$(ip -n "$(netns_ns h2)" -o "-$FAM" addr show dev eth0 to "$VIP/$MAX" | wc -l)" = 1 ] ||
		fail "IPv$FAM: h2 holds the address twice"
	out=$(vip_run h3 "$ENV" demote health-failed h2 "$EPOCH" 2>&1) || fail "IPv$FAM: demote on h3 failed: $out"
	[[ $out == *"nothing to remove"* ]] || fail "IPv$FAM: demote on h3: $out"

	# h1's stopped second burst was due by now (3 s, + its burst): it never came
	while [ "${EPOCHREALTIME/./}" -lt $((DEMOTED_AT + 4000000)) ]; do nap 0.1; done
	client_points h2 || fail "IPv$FAM: after h1's demote something announced h1: $(client_neigh)"

	handover h2 h3
	follow_removes h3
	say "done"
}

# follow HOST removes the address (the last holder): again, nothing to remove.
follow_removes() {
	local out
	out=$(vip_run "$1" "$ENV" follow leader-changed h2 "$EPOCH" 2>&1) || fail "IPv$FAM: follow on $1 failed: $out"
	[[ $out == *"removed $VIP/"* ]] || fail "IPv$FAM: follow on $1: $out"
	out=$(vip_run "$1" "$ENV" follow leader-changed h2 "$EPOCH" 2>&1) || fail "IPv$FAM: follow again on $1 failed: $out"
	[[ $out == *"nothing to remove"* ]] || fail "IPv$FAM: follow again on $1: $out"
	only_holder ""
}

# The lost first burst for address family FAM, on an address of its own (so it
# runs beside the main scenario): h3 holds it, hands over to h1, the client
# drops the first burst.
scenario_lost() {
	scenario_setup "$1" 102 1
	promote h3
	handover h3 h1 lost
	follow_removes h1
	say "lost first burst: done"
}

for fam in $FAMILIES; do
	scenario "$fam" &
	SCENARIO[$fam]=$!
	scenario_lost "$fam" &
	SCENARIO[lost$fam]=$!
done

# --- Meanwhile: bad settings (the hook stops before the network) ---

# bad NAME EXPECTED LINES...: an env file NAME with LINES; promote must fail
# with EXPECTED in its message.
bad() {
	local f=$T/bad-$1.env want=$2 out
	shift 2
	printf '%s\n' "$@" >"$f"
	chmod 644 "$f"
	out=$(vip_run h3 "$f" promote elected h3 1 2>&1) && fail "promote with $f succeeded: $out"
	[[ $out == *"$want"* ]] || fail "promote with bad settings $f: want '$want', got: $out"
}
bad noaddr "VIP_ADDRESS is not set (read: $T/bad-noaddr.env)" VIP_INTERFACE=eth0
bad noif "VIP_INTERFACE is not set" VIP_ADDRESS=10.77.0.100/24
bad count "$T/bad-count.env:3: VIP_BURST_COUNT='many' is not a whole number" \
	VIP_ADDRESS=10.77.0.100/24 VIP_INTERFACE=eth0 VIP_BURST_COUNT=many
bad addr "$T/bad-addr.env:1: VIP_ADDRESS='10.77.0.300/24' is not an IPv4 address" \
	VIP_ADDRESS=10.77.0.300/24 VIP_INTERFACE=eth0
bad plen "VIP_ADDRESS='10.77.0.100' has no prefix length" VIP_ADDRESS=10.77.0.100 VIP_INTERFACE=eth0
bad addr6 "VIP_ADDRESS='fd77::1::2/64' is not an IPv6 address" VIP_ADDRESS=fd77::1::2/64 VIP_INTERFACE=eth0
bad delay "VIP_SECOND_BURST_DELAY='3s' is not a number of seconds" \
	VIP_ADDRESS=10.77.0.100/24 VIP_INTERFACE=eth0 VIP_SECOND_BURST_DELAY=3s
bad rundir "VIP_RUNDIR='/tmp' is writable by group or others" \
	VIP_ADDRESS=10.77.0.100/24 VIP_INTERFACE=eth0 VIP_RUNDIR=/tmp
bad nosuchif "VIP_INTERFACE nosuch0 does not exist" VIP_ADDRESS=10.77.0.100/24 VIP_INTERFACE=nosuch0
out=$(vip_run h3 "$T/bad-nosuchif.env" demote startup "" 2>&1) || fail "demote with a missing interface failed: $out"
[[ $out == *"cannot be on it"* ]] || fail "demote with a missing interface: $out"
chmod 664 "$T/bad-count.env"
out=$(vip_run h3 "$T/bad-count.env" demote startup "" 2>&1) && fail "a group-writable env file was read: $out"
[[ $out == *"writable by group or others"* ]] || fail "group-writable env file: $out"
write_env "$T/noevent.env" "$VIP4/24"
out=$(vip_run h3 "$T/noevent.env" "" startup "" 2>&1) && fail "the hook ran without an event: $out"
[[ $out == *"no event"* ]] || fail "no event: $out"
echo "t_vip: bad settings refused, each saying which and where"

# --- The PostgreSQL + VIP wrapper of the README, with stand-ins for PostgreSQL ---

# Write $T/hooks: postgresql/{promote,demote,follow} stand-ins that log "pg EVENT"
# to $T/order.log (and exit with $T/PG_EXIT if it exists), and vip/vip, which
# logs "vip EVENT" and runs the real hook.
mkdir -p "$T/hooks/postgresql" "$T/hooks/vip"
for ev in promote demote follow; do
	cat >"$T/hooks/postgresql/$ev" <<-EOF
		#!/bin/sh
		echo "pg \$2" >>"$T/order.log"
		[ ! -e "$T/PG_EXIT" ] || exit "\$(cat "$T/PG_EXIT")"
	EOF
done
cat >"$T/hooks/vip/vip" <<-EOF
	#!/bin/sh
	for ev; do :; done
	echo "vip \$ev" >>"$T/order.log"
	exec "$HOOK" "\$@"
EOF
chmod 755 "$T"/hooks/postgresql/* "$T/hooks/vip/vip"
awk '/^```sh$/ { getline; if ($0 ~ /^#!\/bin\/sh/) { take = 1 } } take && /^```$/ { exit } take' \
	"$ROOT/scripts/hooks/vip/README.md" >"$T/pg-vip"
grep -q '^HOOKS=' "$T/pg-vip" || fail "no wrapper (a sh block setting HOOKS=) in scripts/hooks/vip/README.md"
sed -i -e "s|^HOOKS=.*|HOOKS=$T/hooks|" -e "s|^PG_ENV=.*|PG_ENV=$T/pg.env|" \
	-e "s|^VIP_ENV=.*|VIP_ENV=$T/wrap.env|" "$T/pg-vip"
chmod 755 "$T/pg-vip"
: >"$T/pg.env"
write_env "$T/wrap.env" 10.77.0.101/24 0	# and no second burst

# wrap HOST EVENT: run the wrapper on HOST as zkelectd would (event last).
wrap() {
	netns_run "$1" env -i PATH="$ZK_PATH" ZKELECT_EVENT="$2" ZKELECT_ID="$1" ZKELECT_EPOCH=9 "$T/pg-vip" "$2" </dev/null
}
has_101() {
	[ -n "$(ip -n "$(netns_ns "$1")" -o -4 addr show dev eth0 to 10.77.0.101/32)" ]
}
out=$(wrap h1 promote 2>&1) || fail "the wrapper's promote failed: $out"
has_101 h1 || fail "the wrapper's promote did not add the address"
[[ $out == *"(no second burst: VIP_SECOND_BURST_DELAY=0)"* ]] || fail "VIP_SECOND_BURST_DELAY=0: $out"
[ ! -e "$T/run/h1/vip-eth0-10.77.0.101.burst" ] || fail "VIP_SECOND_BURST_DELAY=0 left a pid file"
out=$(wrap h1 demote 2>&1) || fail "the wrapper's demote failed: $out"
! has_101 h1 || fail "the wrapper's demote left the address"
out=$(wrap h1 follow 2>&1) || fail "the wrapper's follow failed: $out"
echo 1 >"$T/PG_EXIT"
out=$(wrap h1 promote 2>&1) && fail "the wrapper's promote succeeded with a failed database promote: $out"
! has_101 h1 || fail "the address was added although the database promote failed"
out=$(wrap h1 demote 2>&1) && fail "the wrapper's demote succeeded with a failed database demote: $out"
steps=$(tr '\n' ',' <"$T/order.log")
[ "$steps" = "pg promote,vip promote,vip demote,pg demote,vip follow,pg follow,pg promote,vip demote,pg demote," ] ||
	fail "the wrapper's order: $steps"
echo "t_vip: the README's wrapper: promote database then address, demote and follow address then database"

failed=""
for fam in "${!SCENARIO[@]}"; do
	wait "${SCENARIO[$fam]}" || failed+=" $fam"
	unset "SCENARIO[$fam]"
done
[ -z "$failed" ] || fail "the scenario failed for$failed (above)"
pass
