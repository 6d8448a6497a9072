#!/usr/bin/env bash
# Opens an HTML file (the deval report) in headless Chromium, offline, and saves a screenshot.
#   tests/screenshot/screenshot.sh REPORT.html OUT.png [WIDTH] [HEIGHT]
# Needs Debian's chromium package (apt-get install -y chromium). Network access is switched off, so a
# report that tried to fetch anything would show it missing in the picture.
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: $0 REPORT.html OUT.png [WIDTH] [HEIGHT]" >&2; exit 2; fi
report=$(realpath "$1")
out=$(realpath -m "$2")
width=${3:-1400}
height=${4:-3000}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then echo "$0: chromium is not installed (apt-get install -y chromium)" >&2; exit 2; fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$profile" --hide-scrollbars \
  --proxy-server='127.0.0.1:9' --proxy-bypass-list='<-loopback>' \
  --window-size="$width,$height" --screenshot="$out" "file://$report" 2>"$profile/chromium.log" || {
    cat "$profile/chromium.log" >&2; exit 1; }
[ -s "$out" ] || { echo "$0: no screenshot written" >&2; cat "$profile/chromium.log" >&2; exit 1; }
echo "$out"
