#!/bin/bash
# run.sh: plain build only
# run.sh: long
# The short randomized fault run (test/chaos.sh, about 10 s): faults of every
# kind against a 3-server ensemble and 5 daemons, judged by the invariant
# checker. `make chaos DURATION=1800` is the long run.
DURATION=${CHAOS_DURATION:-10} exec "$(dirname "$0")/../chaos.sh"
