#!/bin/bash
# run.sh: plain build only
# run.sh: long
# The libFuzzer harnesses (test/fuzz/run.sh) for the configuration parser and
# for znode names, the leader announcement and the records beside the election
# (switchover, pause, breadcrumb, exit note, history), 3 seconds each: no crash, leak,
# sanitizer report or broken promise. The harnesses carry their own sanitizers,
# so one run is enough.
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

FUZZ_SECONDS=3 "$ROOT/test/fuzz/run.sh" || fail "a fuzz harness found a problem (see above)"
pass
