#!/usr/bin/env bash
# The HTML report renders in headless Chromium to a picture that is not
# blank. Exit 77 (skipped, with the reason) where no Chromium is installed
# (Debian ships the `chromium` package; Ubuntu's is a snap, not installed).
#   html_png_test.sh HOLDUP TRACE_DIR
set -euo pipefail
holdup=$1 trace=$2
browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser=$(command -v "$b"); break; fi
done
if [ -z "$browser" ]; then
  echo "skipped: no Chromium on this machine (./quickstart.sh test installs Debian's chromium package; Ubuntu ships it as a snap, which is not installed)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$holdup" report --html "$tmp/report.html" "$trace"
# A profile of its own: nothing of the user's, nothing left behind.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile" \
  --window-size=1400,2000 --screenshot="$tmp/report.png" "file://$tmp/report.html" >"$tmp/chromium.log" 2>&1 || {
  cat "$tmp/chromium.log"; echo "chromium failed"; exit 1; }
python3 "$(dirname "$0")/png_not_blank.py" "$tmp/report.png"
