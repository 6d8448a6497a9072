#!/usr/bin/env bash
# Copies the golden reference cases the tests use from the shared source (default ../shared/reference, or
# the folder given as $1) into tests/data/reference and records their SHA-256 in tests/data/reference.sha256.
#   tests/data/copy-reference.sh            copy and rewrite the manifest
#   tests/data/copy-reference.sh --check    only compare: exit 1 if a copy differs from its source
# The copies are never edited by hand; the tests check them against the manifest.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
source_dir="${1:-$here/../../../shared/reference}"
[ -d "$source_dir" ] || { echo "copy-reference: no reference folder at $source_dir" >&2; exit 2; }
# What the tests read: the rules, the generated cases, the public peer cases and the segm and keypoints
# protocol cases (protocols/lvis_val_100 has no detections yet, so nothing reads it).
parts=(README.md cases peer protocols/coco_val2014_100_segm protocols/fce_keypoints)

if [ "$check" = 1 ]; then
  for part in "${parts[@]}"; do
    diff -r "$source_dir/$part" "$here/reference/$part" >/dev/null || { echo "copy-reference: tests/data/reference/$part differs from $source_dir/$part" >&2; exit 1; }
  done
  echo "copy-reference: tests/data/reference is identical to $source_dir"
  exit 0
fi

rm -rf "$here/reference"
mkdir -p "$here/reference"
for part in "${parts[@]}"; do
  mkdir -p "$here/reference/$(dirname "$part")"
  cp -r "$source_dir/$part" "$here/reference/$(dirname "$part")/"
done
chmod -R u+w "$here/reference"
(cd "$here/reference" && find . -type f | LC_ALL=C sort | sed 's|^\./||' | xargs -d '\n' sha256sum) > "$here/reference.sha256"
echo "copy-reference: $(wc -l < "$here/reference.sha256") files copied from $source_dir"
