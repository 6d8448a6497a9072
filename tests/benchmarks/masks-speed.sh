#!/usr/bin/env bash
# Masks against boxes, side by side: `deval evaluate --iou-type segm --metric coco` on the synthetic set with
# masks against `deval evaluate --metric coco` (bbox) on the same set without them (same boxes and scores,
# draw for draw), round by round (each round runs both once, so a change in the machine's load falls on
# both; the ratios are taken per round, then their median), wall and CPU time (user + system) and peak RSS.
# Prints a Markdown block and rewrites its block in docs/benchmarks.md (between masks-speed:begin and
# masks-speed:end).
#
#   tests/benchmarks/masks-speed.sh                  # deval synth --images 5000 --classes 80 --seed 1 [--segm], 7 rounds
#   RUNS=3 IMAGES=500 tests/benchmarks/masks-speed.sh
#   DEVAL="artifacts/native/linux-x64/deval" tests/benchmarks/masks-speed.sh   # another build
#   DOC= tests/benchmarks/masks-speed.sh             # print only
#
# Builds the Release CLI unless DEVAL is given. Needs the .NET SDK, python3 and GNU time.
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGES=${IMAGES:-5000}
CLASSES=${CLASSES:-80}
RUNS=${RUNS:-7}
DOC=${DOC-docs/benchmarks.md}
work=.bench/masks-speed
mkdir -p "$work"
if [ -z "${DEVAL:-}" ]; then
  dotnet build Eval/DetectionEval.Cli -c Release -o "$work/build" --nologo -v quiet >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
  DEVAL="dotnet $work/build/deval.dll"
fi
read -r -a deval <<<"$DEVAL"

boxes="$work/synth-$IMAGES-$CLASSES" masks="$work/synth-$IMAGES-$CLASSES-segm"
[ -f "$boxes/gt.json" ] || "${deval[@]}" synth --images "$IMAGES" --classes "$CLASSES" --seed 1 --out "$boxes" >/dev/null
[ -f "$masks/gt.json" ] || "${deval[@]}" synth --images "$IMAGES" --classes "$CLASSES" --seed 1 --segm --out "$masks" >/dev/null
mb_of() { echo $(( ($(stat -c %s "$1/gt.json") + $(stat -c %s "$1/dt.json")) / 1000000 )); }

nice_=()
if [ "$(id -u)" = 0 ]; then nice_=(nice -n -20); fi
# run ARGS...: prints "wall_seconds cpu_seconds peak_kb" of one run.
run() {
  "${nice_[@]}" /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr"
  read -r wall user sys kb < <(tail -n 1 "$work/time")
  awk -v w="$wall" -v u="$user" -v s="$sys" -v kb="$kb" 'BEGIN { printf "%.2f %.2f %d\n", w, u + s, kb }'
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
box_walls="" box_cpus="" mask_walls="" mask_cpus="" wall_ratios="" cpu_ratios="" box_peak=0 mask_peak=0
for _ in $(seq "$RUNS"); do
  read -r bw bc bk < <(run "${deval[@]}" evaluate --gt "$boxes/gt.json" --pred "$boxes/dt.json" --metric coco)
  read -r mw mc mk < <(run "${deval[@]}" evaluate --gt "$masks/gt.json" --pred "$masks/dt.json" --iou-type segm --metric coco)
  box_walls+="$bw " box_cpus+="$bc " mask_walls+="$mw " mask_cpus+="$mc "
  wall_ratios+="$(awk -v a="$mw" -v b="$bw" 'BEGIN { printf "%.3f", a / b }') "
  cpu_ratios+="$(awk -v a="$mc" -v b="$bc" 'BEGIN { printf "%.3f", a / b }') "
  [ "$bk" -gt "$box_peak" ] && box_peak=$bk
  [ "$mk" -gt "$mask_peak" ] && mask_peak=$mk
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
median() { tr ' ' '\n' | grep . | sort -g | awk '{ t[NR] = $1 } END { printf "%.2f", t[int((NR + 1) / 2)] }'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f to %.2f", lo, hi }'; }
stages() { "${nice_[@]}" "${deval[@]}" evaluate --gt "$1/gt.json" --pred "$1/dt.json" --metric coco "${@:2}" --timings 2>&1 >/dev/null | grep '^deval: time:' | grep -v 'draw\|write'; }

block="<!-- masks-speed:begin (written by tests/benchmarks/masks-speed.sh; edit the script, not this block) -->
Measured $(date -u +%Y-%m-%d) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores,
.NET $(dotnet --version), load average $load_before before the rounds and $load_after after. Build: \`$DEVAL\`.

\`\`\`sh
deval synth --images $IMAGES --classes $CLASSES --seed 1 --out boxes          # $(mb_of "$boxes") MB of JSON
deval synth --images $IMAGES --classes $CLASSES --seed 1 --segm --out masks   # $(mb_of "$masks") MB of JSON, the same boxes and scores
deval evaluate --gt boxes/gt.json --pred boxes/dt.json --metric coco
deval evaluate --gt masks/gt.json --pred masks/dt.json --iou-type segm --metric coco
\`\`\`

$RUNS rounds, ${nice_[*]:-normal priority}; each round runs both once. Ratios are per round, then the median (and range).

| run | median wall (s) | median CPU (s) | peak RSS (MB) |
|---|---:|---:|---:|
| bbox, the set without masks | $(echo "$box_walls" | median) | $(echo "$box_cpus" | median) | $((box_peak / 1024)) |
| segm, the set with masks | $(echo "$mask_walls" | median) | $(echo "$mask_cpus" | median) | $((mask_peak / 1024)) |
| **segm / bbox, same round** | **$(echo "$wall_ratios" | median)** ($(echo "$wall_ratios" | range)) | **$(echo "$cpu_ratios" | median)** ($(echo "$cpu_ratios" | range)) | |

One more run of each with \`--timings\`, bbox first:

\`\`\`text
$(stages "$boxes")
\`\`\`

\`\`\`text
$(stages "$masks" --iou-type segm)
\`\`\`
<!-- masks-speed:end -->"

echo "$block"
if [ -n "$DOC" ] && [ -f "$DOC" ]; then BLOCK="$block" python3 tests/benchmarks/write-block.py masks-speed "$DOC"; fi
