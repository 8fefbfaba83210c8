#!/usr/bin/env bash
# Regenerates the accuracy tables of a docs/diagnosis-accuracy-*.md page in
# place, between its `<!-- tables:begin -->` and `<!-- tables:end -->` lines:
# the class table (accuracy_by_class.py) and the per-fixture table, both
# from the fixture test's printout (tests/analysis/fixtures_test.cpp).
#   docs/tools/update_accuracy_doc.sh BUILD_DIR docs/diagnosis-accuracy-DATE.md
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR PAGE}
page=${2:?usage: $0 BUILD_DIR PAGE}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
printout=$(mktemp)
trap 'rm -f "$printout" "$printout.tables"' EXIT
HOLDUP_ACCURACY_TABLE=1 "$build/tests/analysis/holdup_analysis_tests" --gtest_filter='Fixtures.Verdicts*' > "$printout"
{
  echo "<!-- tables:begin (docs/tools/update_accuracy_doc.sh; do not edit by hand) -->"
  echo "## By mechanism and class"
  echo
  python3 "$here/accuracy_by_class.py" < "$printout"
  echo
  echo "## Per fixture"
  echo
  grep -E '^(\| fixture|\|---|\| [a-z0-9-]+/)' "$printout"
  echo "<!-- tables:end -->"
} > "$printout.tables"
python3 - "$page" "$printout.tables" <<'PY'
import re, sys
page, tables = sys.argv[1], open(sys.argv[2]).read()
text = open(page).read()
new, n = re.subn(r"<!-- tables:begin.*?<!-- tables:end -->\n", lambda m: tables, text, flags=re.S)
if n != 1:
    sys.exit(f"{page}: no <!-- tables:begin --> ... <!-- tables:end --> block")
open(page, "w").write(new)
PY
echo "updated $page"
