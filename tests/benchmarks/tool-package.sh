#!/usr/bin/env bash
# deval as users install it: packs the tool packages (Eval/DetectionEval.Cli/pack.sh), installs the ones for
# this machine, DetectionEval.Cli and DetectionEval.Cli.Gpu, from a local folder feed (`dotnet tool install
# --tool-path`), and measures
#   - each package's size and each installed tool's size on disk;
#   - the installed DetectionEval.Cli's `deval evaluate --metric all` and `--metric coco` against Python's `json.load` of the same
#     two files, whole process, round by round (each round runs every command once, so a change in the
#     machine's load falls on all of them alike; the ratios are taken per round, then their median);
#   - the JIT time `--timings` prints (code compiled at run time, on all threads).
# Prints a Markdown block and rewrites its block in docs/benchmarks.md (between tool-package:begin and
# tool-package:end).
#
#   tests/benchmarks/tool-package.sh                          # deval synth --images 5000 --classes 80 --seed 1, 7 rounds
#   RUNS=15 IMAGES=500 tests/benchmarks/tool-package.sh
#   GT=gt.json PRED=predictions.json tests/benchmarks/tool-package.sh
#   NO_PACK=1 tests/benchmarks/tool-package.sh                # reuse the packages in .bench/tool-package/feed
#   DOC= tests/benchmarks/tool-package.sh                     # print only
#
# Needs the .NET SDK and python3; /usr/bin/time (GNU time) for peak memory when present.
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGES=${IMAGES:-5000}
CLASSES=${CLASSES:-80}
RUNS=${RUNS:-7}
DOC=${DOC-docs/benchmarks.md}
work=.bench/tool-package
feed=$work/feed
tool=$work/tool
mkdir -p "$work"

gpu_tool=$work/tool-gpu
if [ -z "${NO_PACK:-}" ]; then
  Eval/DetectionEval.Cli/pack.sh "$feed" >"$work/pack.log" 2>&1 || { cat "$work/pack.log" >&2; exit 1; }
fi
version=$(ls "$feed" | sed -n 's/^DetectionEval\.Cli\.\([0-9][0-9.]*\)\.nupkg$/\1/p' | head -n 1)
[ -n "$version" ] || { echo "tool-package: no DetectionEval.Cli package in $feed" >&2; exit 2; }
# A package cache of their own: the machine's cache may hold an earlier build of the same version.
rm -rf "$tool" "$gpu_tool" "$work/nuget-packages"
NUGET_PACKAGES=$PWD/$work/nuget-packages dotnet tool install DetectionEval.Cli --version "$version" --tool-path "$tool" --add-source "$feed" >/dev/null
NUGET_PACKAGES=$PWD/$work/nuget-packages dotnet tool install DetectionEval.Cli.Gpu --version "$version" --tool-path "$gpu_tool" --add-source "$feed" >/dev/null
deval=("$tool/deval")
installed_rid=$(ls "$tool/.store/detectioneval.cli/$version" | sed -n 's/^detectioneval\.cli\.//p' | head -n 1)
installed_kind="the .NET build (ReadyToRun)"
[ -f "$tool/.store/detectioneval.cli/$version/detectioneval.cli.$installed_rid/$version/tools/any/$installed_rid/deval" ] && installed_kind="the native build (Native AOT)"

mb() { awk -v b="$1" 'BEGIN { if (b < 1e6) printf "%.1f kB", b / 1e3; else printf "%.1f MB (%.1f MiB)", b / 1e6, b / 1048576 }'; }
sizes="| package | size |"$'\n'"|---|---:|"
for p in "$feed"/*.nupkg; do
  sizes+=$'\n'"| \`$(basename "$p")\` | $(mb "$(stat -c %s "$p")") |"
done
installed_bytes=$(du -sb "$tool" | cut -f1)
gpu_installed_bytes=$(du -sb "$gpu_tool" | cut -f1)

if [ -z "${GT:-}" ] || [ -z "${PRED:-}" ]; then
  data="$work/synth-$IMAGES-$CLASSES"
  [ -f "$data/gt.json" ] || "${deval[@]}" synth --images "$IMAGES" --classes "$CLASSES" --seed 1 --out "$data" >/dev/null
  GT=$data/gt.json PRED=$data/dt.json
  label="\`deval synth --images $IMAGES --classes $CLASSES --seed 1\`"
else
  label="\`$GT\`, \`$PRED\`"
fi
inputs_mb=$(( ($(stat -c %s "$GT") + $(stat -c %s "$PRED")) / 1000000 ))

nice_=()
if [ "$(id -u)" = 0 ]; then nice_=(nice -n -20); fi
# run ARGS...: prints "seconds peak_kb jit_seconds" of one run (jit_seconds from --timings, or 0).
run() {
  local start end kb=0
  start=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    "${nice_[@]}" /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>"$work/stderr"
    kb=$(tail -n 1 "$work/rss")
  else
    "${nice_[@]}" "$@" >/dev/null 2>"$work/stderr"
  fi
  end=$(date +%s.%N)
  jit=$(sed -n 's/^deval: time: JIT compiling *\([0-9.]*\) s.*/\1/p' "$work/stderr")
  awk -v a="$end" -v b="$start" -v kb="$kb" -v j="${jit:-0}" 'BEGIN { printf "%.3f %d %s\n", a - b, kb, j }'
}

names=("python3 json.load of both files" "deval evaluate --metric all" "deval evaluate --metric coco")
commands=(
  ""  # python3, run below with its program as one argument
  "${deval[*]} evaluate --gt $GT --pred $PRED --metric all --timings"
  "${deval[*]} evaluate --gt $GT --pred $PRED --metric coco --timings"
)
declare -a times peaks jits ratios
for _ in $(seq "$RUNS"); do
  declare -a round=()
  for i in "${!names[@]}"; do
    if [ "$i" -eq 0 ]; then
      read -r seconds kb jit < <(run python3 -c 'import json,sys;[json.load(open(f)) for f in sys.argv[1:]]' "$GT" "$PRED")
    else
      # shellcheck disable=SC2086
      read -r seconds kb jit < <(run ${commands[$i]})
    fi
    round[$i]=$seconds
    times[$i]+="$seconds "
    jits[$i]+="$jit "
    [ "$kb" -gt "${peaks[$i]:-0}" ] && peaks[$i]=$kb
  done
  for i in 1 2; do ratios[$i]+="$(awk -v a="${round[$i]}" -v b="${round[0]}" 'BEGIN { printf "%.3f", a / b }') "; done
done
# Where the time goes: one more run's stages, as --timings prints them.
stages=$("${nice_[@]}" "${deval[@]}" evaluate --gt "$GT" --pred "$PRED" --metric all --timings 2>&1 >/dev/null | grep '^deval: time:')
median() { tr ' ' '\n' | grep . | sort -g | awk '{ t[NR] = $1 } END { printf "%.2f", t[int((NR + 1) / 2)] }'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f to %.2f", lo, hi }'; }

table="| command | median wall (s) | wall range (s) | x json.load (median of the rounds' ratios, range) | JIT (s, --timings) | peak RSS (MB) |"
table+=$'\n'"|---|---:|---:|---:|---:|---:|"
for i in "${!names[@]}"; do
  ratio="1"
  jit="-"
  if [ "$i" -gt 0 ]; then
    ratio="$(echo "${ratios[$i]}" | median) ($(echo "${ratios[$i]}" | range))"
    jit=$(echo "${jits[$i]}" | median)
  fi
  table+=$'\n'"| \`${names[$i]}\` | $(echo "${times[$i]}" | median) | $(echo "${times[$i]}" | range) | $ratio | $jit | $((${peaks[$i]:-0} / 1024)) |"
done

block="<!-- tool-package:begin (written by tests/benchmarks/tool-package.sh; edit the script, not this block) -->
Measured $(date -u +%Y-%m-%d) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores,
.NET $(dotnet --version), load average before the rounds $(cut -d' ' -f1-3 /proc/loadavg). Installed here: the \`$installed_rid\` package
of DetectionEval.Cli, $installed_kind.

\`\`\`sh
Eval/DetectionEval.Cli/pack.sh $feed
dotnet tool install DetectionEval.Cli --version $version --tool-path $tool --add-source $feed
dotnet tool install DetectionEval.Cli.Gpu --version $version --tool-path $gpu_tool --add-source $feed
\`\`\`

$sizes

Installed (\`du -sb\`): DetectionEval.Cli $(mb "$installed_bytes"), DetectionEval.Cli.Gpu $(mb "$gpu_installed_bytes").

Dataset: $label, $inputs_mb MB of JSON. $RUNS rounds, ${nice_[*]:-normal priority}; each round runs the three
commands once.

$table

One more run of \`deval evaluate --metric all --timings\` on the same files:

\`\`\`text
$stages
\`\`\`
<!-- tool-package:end -->"

echo "$block"
if [ -n "$DOC" ] && [ -f "$DOC" ]; then BLOCK="$block" python3 tests/benchmarks/write-block.py tool-package "$DOC"; fi
