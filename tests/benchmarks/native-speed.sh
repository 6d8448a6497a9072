#!/usr/bin/env bash
# deval as users install it, against Python's json.load and against the .NET build, side by side:
#   - DetectionEval.Cli installed from the packages Eval/DetectionEval.Cli/pack.sh makes (on linux-x64 the
#     native build: Native AOT, no JIT) and DetectionEval.Cli.Gpu (the .NET build, ReadyToRun, with the GPU
#     engine), each with `dotnet tool install --tool-path` from a local folder feed;
#   - whole process `deval evaluate --metric all` and `--metric coco` of each against `json.load` of the same two
#     files, round by round (each round runs every command once, so a change in the machine's load falls on all
#     of them alike; the ratios are taken per round, then their median), wall and CPU time (user + system: on a
#     shared machine the wall time is noisy, the CPU time much less);
#   - start-up: `deval --version`, and the JIT time `--timings` prints.
# Prints a Markdown block and rewrites its block in docs/benchmarks.md (between native-speed:begin and
# native-speed:end).
#
#   tests/benchmarks/native-speed.sh                 # deval synth --images 5000 --classes 80 --seed 1, 7 rounds
#   RUNS=15 IMAGES=500 tests/benchmarks/native-speed.sh
#   NO_BUILD=1 tests/benchmarks/native-speed.sh      # reuse the packages in .bench/tool-package/feed
#   DOC= tests/benchmarks/native-speed.sh            # print only
#
# Needs the .NET SDK, a C toolchain, python3 and GNU time.
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGES=${IMAGES:-5000}
CLASSES=${CLASSES:-80}
RUNS=${RUNS:-7}
DOC=${DOC-docs/benchmarks.md}
work=.bench/native-speed
feed=.bench/tool-package/feed
tool=.bench/tool-package/tool
gpu_tool=.bench/tool-package/tool-gpu
mkdir -p "$work"

if [ -z "${NO_BUILD:-}" ] || [ ! -f "$feed/DetectionEval.Cli.Gpu.any.0.1.0.nupkg" ]; then
  Eval/DetectionEval.Cli/pack.sh "$feed" >"$work/pack.log" 2>&1 || { cat "$work/pack.log" >&2; exit 1; }
fi
version=$(ls "$feed" | sed -n 's/^DetectionEval\.Cli\.\([0-9][0-9.]*\)\.nupkg$/\1/p' | head -n 1)
# A package cache of their own: the machine's cache may hold an earlier build of the same version.
rm -rf "$tool" "$gpu_tool" "$work/nuget-packages"
NUGET_PACKAGES=$PWD/$work/nuget-packages dotnet tool install DetectionEval.Cli --version "$version" --tool-path "$tool" --add-source "$feed" >/dev/null
NUGET_PACKAGES=$PWD/$work/nuget-packages dotnet tool install DetectionEval.Cli.Gpu --version "$version" --tool-path "$gpu_tool" --add-source "$feed" >/dev/null
rid=$(ls "$tool/.store/detectioneval.cli/$version" | sed -n 's/^detectioneval\.cli\.//p' | head -n 1)
installed=$tool/deval
kind="the .NET build"
[ -f "$tool/.store/detectioneval.cli/$version/detectioneval.cli.$rid/$version/tools/any/$rid/deval" ] && kind="the native build (Native AOT)"

data="$work/synth-$IMAGES-$CLASSES"
[ -f "$data/gt.json" ] || "$installed" synth --images "$IMAGES" --classes "$CLASSES" --seed 1 --out "$data" >/dev/null
GT=$data/gt.json PRED=$data/dt.json
inputs_mb=$(( ($(stat -c %s "$GT") + $(stat -c %s "$PRED")) / 1000000 ))

nice_=()
if [ "$(id -u)" = 0 ]; then nice_=(nice -n -20); fi
# run ARGS...: prints "wall_seconds cpu_seconds peak_kb jit_seconds" of one run.
run() {
  "${nice_[@]}" /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr"
  local jit
  jit=$(sed -n 's/^deval: time: JIT compiling *\([0-9.]*\) s.*/\1/p' "$work/stderr")
  read -r wall user sys kb < <(tail -n 1 "$work/time")
  awk -v w="$wall" -v u="$user" -v s="$sys" -v kb="$kb" -v j="${jit:-0}" 'BEGIN { printf "%.2f %.2f %d %s\n", w, u + s, kb, j }'
}

names=(
  "python3 json.load of both files"
  "DetectionEval.Cli.Gpu: deval evaluate --metric all"
  "DetectionEval.Cli: deval evaluate --metric all"
  "DetectionEval.Cli.Gpu: deval evaluate --metric coco"
  "DetectionEval.Cli: deval evaluate --metric coco"
  "DetectionEval.Cli.Gpu: deval --version"
  "DetectionEval.Cli: deval --version"
)
commands=(
  ""  # python3, run below with its program as one argument
  "$gpu_tool/deval evaluate --gt $GT --pred $PRED --metric all --timings"
  "$installed evaluate --gt $GT --pred $PRED --metric all --timings"
  "$gpu_tool/deval evaluate --gt $GT --pred $PRED --metric coco --timings"
  "$installed evaluate --gt $GT --pred $PRED --metric coco --timings"
  "$gpu_tool/deval --version"
  "$installed --version"
)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -a walls cpus peaks jits wall_ratios cpu_ratios
for _ in $(seq "$RUNS"); do
  declare -a round_wall=() round_cpu=()
  for i in "${!names[@]}"; do
    if [ "$i" -eq 0 ]; then
      read -r wall cpu kb jit < <(run python3 -c 'import json,sys;[json.load(open(f)) for f in sys.argv[1:]]' "$GT" "$PRED")
    else
      # shellcheck disable=SC2086
      read -r wall cpu kb jit < <(run ${commands[$i]})
    fi
    round_wall[$i]=$wall; round_cpu[$i]=$cpu
    walls[$i]+="$wall "; cpus[$i]+="$cpu "; jits[$i]+="$jit "
    [ "$kb" -gt "${peaks[$i]:-0}" ] && peaks[$i]=$kb
  done
  for i in 1 2 3 4; do
    wall_ratios[$i]+="$(awk -v a="${round_wall[$i]}" -v b="${round_wall[0]}" 'BEGIN { printf "%.3f", a / b }') "
    cpu_ratios[$i]+="$(awk -v a="${round_cpu[$i]}" -v b="${round_cpu[0]}" 'BEGIN { printf "%.3f", a / b }') "
  done
  # DetectionEval.Cli against DetectionEval.Cli.Gpu, in the same round
  wall_ratios[5]+="$(awk -v a="${round_wall[2]}" -v b="${round_wall[1]}" 'BEGIN { printf "%.3f", a / b }') "
  wall_ratios[6]+="$(awk -v a="${round_wall[4]}" -v b="${round_wall[3]}" 'BEGIN { printf "%.3f", a / b }') "
  cpu_ratios[5]+="$(awk -v a="${round_cpu[2]}" -v b="${round_cpu[1]}" 'BEGIN { printf "%.3f", a / b }') "
  cpu_ratios[6]+="$(awk -v a="${round_cpu[4]}" -v b="${round_cpu[3]}" 'BEGIN { printf "%.3f", a / b }') "
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
median() { tr ' ' '\n' | grep . | sort -g | awk '{ t[NR] = $1 } END { printf "%.2f", t[int((NR + 1) / 2)] }'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f to %.2f", lo, hi }'; }
ratio() { echo "$(echo "$1" | median) ($(echo "$1" | range))"; }

table="| command | median wall (s) | median CPU (s) | wall x json.load | CPU x json.load | JIT (s) | peak RSS (MB) |"
table+=$'\n'"|---|---:|---:|---:|---:|---:|---:|"
for i in "${!names[@]}"; do
  wr="-"; cr="-"; jit="-"
  if [ "$i" -eq 0 ]; then wr=1; cr=1; fi
  if [ "$i" -ge 1 ] && [ "$i" -le 4 ]; then wr=$(ratio "${wall_ratios[$i]}"); cr=$(ratio "${cpu_ratios[$i]}"); jit=$(echo "${jits[$i]}" | median); fi
  table+=$'\n'"| \`${names[$i]}\` | $(echo "${walls[$i]}" | median) | $(echo "${cpus[$i]}" | median) | $wr | $cr | $jit | $((${peaks[$i]:-0} / 1024)) |"
done
versus="| DetectionEval.Cli / DetectionEval.Cli.Gpu, same round | wall (median, range) | CPU (median, range) |"
versus+=$'\n'"|---|---:|---:|"
versus+=$'\n'"| \`evaluate --metric all\` | $(ratio "${wall_ratios[5]}") | $(ratio "${cpu_ratios[5]}") |"
versus+=$'\n'"| \`evaluate --metric coco\` | $(ratio "${wall_ratios[6]}") | $(ratio "${cpu_ratios[6]}") |"

stages() { "${nice_[@]}" "$@" evaluate --gt "$GT" --pred "$PRED" --metric all --timings 2>&1 >/dev/null | grep '^deval: time:'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB (%.1f MiB)", b / 1e6, b / 1048576 }'; }

block="<!-- native-speed:begin (written by tests/benchmarks/native-speed.sh; edit the script, not this block) -->
Measured $(date -u +%Y-%m-%d) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores,
.NET $(dotnet --version), load average $load_before before the rounds and $load_after after.

\`\`\`sh
Eval/DetectionEval.Cli/pack.sh $feed
dotnet tool install DetectionEval.Cli --version $version --tool-path $tool --add-source $feed
dotnet tool install DetectionEval.Cli.Gpu --version $version --tool-path $gpu_tool --add-source $feed
\`\`\`

Installed here: the \`$rid\` package of DetectionEval.Cli, $kind: the executable $(mb "$(stat -c %s "$(readlink -f "$installed")")"),
and of DetectionEval.Cli.Gpu, the .NET build (ReadyToRun).

Dataset: \`deval synth --images $IMAGES --classes $CLASSES --seed 1\`, $inputs_mb MB of JSON. $RUNS rounds,
${nice_[*]:-normal priority}; each round runs the seven commands once. Ratios are per round, then the median
(and range) of the rounds.

$table

$versus

One more run of each with \`--timings\`, DetectionEval.Cli.Gpu first:

\`\`\`text
$(stages "$gpu_tool/deval")
\`\`\`

\`\`\`text
$(stages "$installed")
\`\`\`
<!-- native-speed:end -->"

echo "$block"
if [ -n "$DOC" ] && [ -f "$DOC" ]; then BLOCK="$block" python3 tests/benchmarks/write-block.py native-speed "$DOC"; fi
