#!/usr/bin/env bash
# Writes DejaVuSans-Latin1.ttf and DejaVuSans-Bold-Latin1.ttf: the two bundled faces cut down to Latin-1 and
# common punctuation (about 230 glyphs instead of 6,000), with every table, outline, metric and hint of the
# glyphs they keep. Skia's SVG canvas maps glyphs back to characters by building the whole font's glyph table
# for every piece of text it writes, so text in these faces costs a fraction of the full ones' (PlotFonts).
# Needs fonttools (Debian: apt-get install -y fonttools). Run from this folder.
set -euo pipefail
cd "$(dirname "$0")"
unicodes="U+0020-007E,U+00A0-00FF,U+2010-2027,U+2030-203A,U+2212,U+2264-2265"
for face in DejaVuSans DejaVuSans-Bold; do
  pyftsubset "$face.ttf" --unicodes="$unicodes" --output-file="$face-Latin1.ttf" \
    --layout-features='*' --glyph-names --name-IDs='*' --name-languages='*' --name-legacy \
    --notdef-glyph --notdef-outline --hinting --legacy-kern --drop-tables=FFTM
done
