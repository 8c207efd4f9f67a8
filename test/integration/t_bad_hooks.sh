#!/bin/bash
# run.sh: sanitizer build only (hostile input: the ASan+UBSan run is the one that matters)
# run.sh: long
# The bad-input catalogue, test/bad_inputs.tsv: its hook rows (hooks that close
# their output, flood it, die by signals or vanish), with t_bad_runtime.sh's runner.
BAD_KINDS=hook
# shellcheck source=test/integration/t_bad_runtime.sh
. "$(dirname "$0")/t_bad_runtime.sh"
