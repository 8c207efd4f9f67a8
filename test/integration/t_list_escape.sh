#!/bin/bash
# shellcheck disable=SC2317 # functions called through wait_for
# run.sh: sanitizer build only (hostile input: the ASan+UBSan run is the one that matters)
# Terminal control sequences and bytes outside UTF-8 in contenders' data never
# reach the operator's terminal raw: `zkelectctl list` (a foreign contender
# made with zkput, data: ESC [ 31m, BEL, CR, 0xff, the C1 CSI, \, tab, newline)
# and `zkelectctl status` (a daemon whose [election] data holds ESC, BEL, 0xff)
# print them as \xHH, \\, \t, \n, and UTF-8 text unchanged. The status
# endpoint's JSON stays valid UTF-8: the 0xff becomes U+FFFD.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

ZKPUT=$(dirname "$ZKELECTD")/zkput
G=0123456789abcdef # the GUID of the foreign contender

# True when NAME's state file says ROLE.
role_is() {
	[ "$(state_of "$1" ROLE 2>/dev/null)" = "$2" ]
}

# Fail with WHAT unless FILE holds no raw control byte but tab and newline,
# no 0xff and no C1 control.
no_raw_bytes() {
	local n
	n=$(tr -d '\t\n' <"$1" | LC_ALL=C grep -c '[[:cntrl:]]')
	[ "$n" -eq 0 ] || fail "$2: raw control bytes: $(od -c "$1" | head -n 12)"
	! LC_ALL=C grep -q $'\xff' "$1" || fail "$2: a raw 0xff byte: $(od -c "$1" | head -n 12)"
	! LC_ALL=C grep -q $'\xc2\x9b' "$1" || fail "$2: a raw C1 CSI: $(od -c "$1" | head -n 12)"
}

zk_start

# a's data: UTF-8 text with ESC [ 31m, BEL and 0xff inside (none of them a blank
# inih would strip). write_conf's key=value parsing may not take a byte outside
# UTF-8, so the value goes in afterwards.
ADATA=$'caf\xc3\xa9 \e[31mred\a x\xffy'
write_conf a "election.data=@ADATA@" "status.listen=127.0.0.1:$(free_port)"
conf=$(<"$T/a.conf")
printf '%s\n' "${conf/@ADATA@/$ADATA}" >"$T/a.conf"
grep -qF "data = $ADATA" "$T/a.conf" || fail "test setup: a's data is not in a.conf"
daemon_start_listening a
wait_for "a to lead" 20 role_is a leader
port=$(status_port a)

# the foreign contender, behind a in the queue
printf 'x\e[31mred\e[0m bell\a cr\r ff\xff c1\xc2\x9b bs\\ tab\t nl\nend' >"$T/evil.bin"
"$ZKPUT" "$ZK_HOSTS" seq "$ELECTION_PATH/n_${G}_evil-" "@$T/evil.bin" >"$T/put.out" \
	2>>"$T/zkput.log" || fail "zkput: $(cat "$T/zkput.log")"

zkctl a list >"$T/list" || fail "zkelectctl list exited $?"
[ "$(wc -l <"$T/list")" -eq 2 ] || fail "list printed $(wc -l <"$T/list") lines: $(od -c "$T/list")"
no_raw_bytes "$T/list" "zkelectctl list"
IFS=$'\t' read -r p id _ znode data _ < <(sed -n 1p "$T/list")
[ "$p $id" = "1 a" ] || fail "list line 1: $(sed -n 1p "$T/list")"
[ "$znode" = "$(state_of a ZNODE)" ] || fail "list says a's znode is $znode"
want='café \x1b[31mred\x07 x\xffy'
[ "$data" = "$want" ] || fail "list: a's data is '$data', want '$want'"
IFS=$'\t' read -r p id _ znode data _ < <(sed -n 2p "$T/list")
[ "$p $id" = "2 evil" ] || fail "list line 2: $(sed -n 2p "$T/list")"
[ "$znode" = "$(cut -d ' ' -f 1 "$T/put.out")" ] || fail "list says evil's znode is $znode"
want='x\x1b[31mred\x1b[0m bell\x07 cr\x0d ff\xff c1\xc2\x9b bs\\ tab\t nl\nend'
[ "$data" = "$want" ] || fail "list: evil's data is '$data', want '$want'"

# status shows the leader's data from the state file, escaped the same way
zkctl a status >"$T/status" || fail "zkelectctl status exited $?"
no_raw_bytes "$T/status" "zkelectctl status"
want='café \x1b[31mred\x07 x\xffy'
grep -qF "  leader:       a, epoch $(state_of a EPOCH), data $want" "$T/status" ||
	fail "status: $(cat "$T/status")"

# the endpoint's JSON: strict UTF-8, the data as given but 0xff as U+FFFD
"$PYTHON" - "$port" <<'PY' || fail "GET /status: not the JSON expected"
import json, sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:%s/status" % sys.argv[1], timeout=5).read()
got = json.loads(body.decode("utf-8", errors="strict"))["leader_data"]
want = "caf\u00e9 \x1b[31mred\x07 x\ufffdy"
if got != want:
    sys.exit("leader_data %r, want %r" % (got, want))
PY
pass
