#!/bin/bash
# test/hopbench.sh [ROUNDS]: what libzookeeper_mt's threads cost ZooKeeper's part
# of a handover (issue 15, criterion 4). Builds test/hopbench.c twice, against
# libzookeeper_mt (the daemon's library) and against libzookeeper_st (Debian's
# single-threaded build of the same client: its static library is taken from
# the libzookeeper-st-dev package with apt-get download, nothing is installed,
# as the two -dev packages ship the same headers), starts a private ZooKeeper
# and runs both, alternating, ROUNDS rounds each (default 3 x 200). Prints the
# median, p90 and p95 of: delete sent -> the successor's thread sees the
# notification, and -> its listing and ownership check both answered.
set -eu

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${1:-200}
PYTHON=${PYTHON:-/usr/bin/python3}
T=$(mktemp -d "${TMPDIR:-/tmp}/zkelectd-hopbench.XXXXXX")
trap '"$ROOT/scripts/zk-local.sh" stop "$T/zk" >/dev/null 2>&1 || :; rm -rf "$T"' EXIT

(cd "$T" && apt-get download libzookeeper-st-dev >/dev/null) ||
	{ echo "hopbench: apt-get download libzookeeper-st-dev failed" >&2; exit 1; }
dpkg-deb -x "$T"/libzookeeper-st-dev_*.deb "$T/st"
ST_LIB=$(find "$T/st" -name libzookeeper_st.a | head -n 1)
cc -O2 -Wall -Wextra -DTHREADED -o "$T/hop-mt" "$ROOT/test/hopbench.c" -lzookeeper_mt -lpthread
cc -O2 -Wall -Wextra -o "$T/hop-st" "$ROOT/test/hopbench.c" "$ST_LIB" -lm

hosts=$("$ROOT/scripts/zk-local.sh" start "$T/zk" 1)
for pass in 1 2 3; do
	for lib in mt st; do
		"$T/hop-$lib" "$hosts" "/hop-$lib-$pass" "$ROUNDS" >>"$T/$lib.txt"
	done
done
for lib in mt st; do
	"$PYTHON" - "$lib" "$T/$lib.txt" <<'EOF'
import statistics, sys
lib, path = sys.argv[1], sys.argv[2]
rows = [tuple(map(int, l.split())) for l in open(path) if l.strip()]
for k, name in ((0, "delete sent -> notified"), (1, "-> list + exists answered")):
    xs = sorted(r[k] / 1e6 for r in rows)
    print("libzookeeper_%s  %-27s median %.3f ms  p90 %.3f ms  p95 %.3f ms  (%d rounds)" % (
        lib, name, statistics.median(xs), xs[int(.9 * len(xs))], xs[int(.95 * len(xs))],
        len(xs)))
EOF
done
