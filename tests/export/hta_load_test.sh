#!/usr/bin/env bash
# Holistic Trace Analysis loads holdup's Chrome trace exports and counts the
# kernels and copies `holdup info` counts; every flow has both ends.
#   hta_load_test.sh VENV HOLDUP TEST_DATA_DIR
# Exit 77 (skipped, with the reason) where the venv with HTA is missing.
set -euo pipefail
venv=$1 holdup=$2 data=$3
python=$venv/bin/python
if [ ! -x "$python" ] || ! "$python" -c 'import hta' >/dev/null 2>&1; then
  echo "skipped: no virtual environment with Holistic Trace Analysis at $venv (./quickstart.sh test makes it: python3 -m venv, pip install holistictraceanalysis)"
  exit 77
fi
exec "$python" "$(dirname "$0")/hta_load_test.py" "$holdup" "$data"
