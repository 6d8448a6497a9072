#!/usr/bin/env bash
# The cost of `deval gate` against `deval evaluate` on one dataset: whole-process wall time (median of
# RUNS rounds, each running every command once) and peak memory of each command, and each command's ratio
# to evaluate. Prints a Markdown table for docs/benchmarks.md.
#
#   tests/benchmarks/gate-cost.sh                      # deval synth --images 5000 --classes 80 --seed 1
#   IMAGES=500 tests/benchmarks/gate-cost.sh           # another size
#   GT=gt.json PRED=predictions.json tests/benchmarks/gate-cost.sh   # any COCO pair instead of synth
#
# The gate is given the same predictions as current and baseline: its cost depends on the sizes of the
# inputs, not on the values. Needs the .NET SDK; /usr/bin/time (GNU time) for peak memory when present.
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGES=${IMAGES:-5000}
CLASSES=${CLASSES:-80}
RUNS=${RUNS:-3}
REPLICATES=${REPLICATES:-1000}
work=.bench/gate-cost
mkdir -p "$work"

dotnet build Eval/DetectionEval.Cli -c Release -o "$work/bin" --nologo -v quiet >/dev/null
deval=("dotnet" "$work/bin/deval.dll")

if [ -z "${GT:-}" ] || [ -z "${PRED:-}" ]; then
  if ! "${deval[@]}" synth --help >/dev/null 2>&1; then
    echo "gate-cost: this build of deval has no 'synth' verb; give GT=... PRED=... instead" >&2
    exit 2
  fi
  data="$work/synth-$IMAGES-$CLASSES"
  [ -d "$data" ] || "${deval[@]}" synth --images "$IMAGES" --classes "$CLASSES" --seed 1 --out "$data" >/dev/null
  # synth writes one ground-truth object and one results list: tell them apart by their first character.
  for f in "$data"/*.json; do
    case "$(head -c 64 "$f" | tr -d ' \n\r\t' | head -c 1)" in
      "{") GT=${GT:-$f} ;;
      "[") PRED=${PRED:-$f} ;;
    esac
  done
  label="deval synth --images $IMAGES --classes $CLASSES --seed 1"
else
  label="$GT, $PRED"
fi
[ -n "${GT:-}" ] && [ -n "${PRED:-}" ] || { echo "gate-cost: no ground truth or predictions found" >&2; exit 2; }

"${deval[@]}" evaluate --gt "$GT" --pred "$PRED" --json "$work/base.json" >/dev/null

# run ARGS...: prints "seconds peak_kb" of one run; exit code 1 (a failed gate) is fine. As root the runs get
# the highest scheduling priority (nice -20).
nice_=()
if [ "$(id -u)" = 0 ]; then nice_=(nice -n -20); fi
run() {
  local start end kb=0
  start=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    "${nice_[@]}" /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>&1 || [ $? -eq 1 ]
    kb=$(tail -n 1 "$work/rss")
  else
    "${nice_[@]}" "$@" >/dev/null 2>&1 || [ $? -eq 1 ]
  fi
  end=$(date +%s.%N)
  awk -v a="$end" -v b="$start" -v kb="$kb" 'BEGIN { printf "%.3f %d\n", a - b, kb }'
}

rules=(--max-drop AP=0.005 --per-class-max-drop 0.02)
declare -a names commands
names+=("evaluate --metric all");                           commands+=("evaluate --gt $GT --pred $PRED")
names+=("gate --current (two reports)");                    commands+=("gate --baseline $work/base.json --current $work/base.json ${rules[*]}")
names+=("gate --gt --pred (evaluates the current run)");    commands+=("gate --baseline $work/base.json --gt $GT --pred $PRED ${rules[*]}")
names+=("gate --bootstrap $REPLICATES, AP only");           commands+=("gate --baseline $work/base.json --gt $GT --pred $PRED --baseline-pred $PRED --bootstrap $REPLICATES --max-drop AP=0.005")
names+=("gate --bootstrap $REPLICATES, AP and every class"); commands+=("gate --baseline $work/base.json --gt $GT --pred $PRED --baseline-pred $PRED --bootstrap $REPLICATES ${rules[*]}")

# Round by round: each round runs every command once, so a change in the machine's load during the
# measurement falls on all of them alike and the ratios hold.
declare -a times peaks
for _ in $(seq "$RUNS"); do
  for i in "${!names[@]}"; do
    # shellcheck disable=SC2086
    read -r seconds kb < <(run "${deval[@]}" ${commands[$i]})
    times[$i]+="$seconds "
    [ "$kb" -gt "${peaks[$i]:-0}" ] && peaks[$i]=$kb
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ t[NR] = $1 } END { printf "%.2f", t[int((NR + 1) / 2)] }'; }

echo "Dataset: $label. $(nproc) cores, median of $RUNS rounds, ${nice_[*]:-normal priority}, $(date -u +%Y-%m-%d)."
echo
echo "| command | wall (s) | x evaluate | peak RSS (MB) |"
echo "|---|---:|---:|---:|"
reference=""
for i in "${!names[@]}"; do
  seconds=$(echo "${times[$i]}" | median)
  [ -z "$reference" ] && reference=$seconds
  ratio=$(awk -v a="$seconds" -v b="$reference" 'BEGIN { printf "%.2f", a / b }')
  echo "| \`${names[$i]}\` | $seconds | $ratio | $((${peaks[$i]:-0} / 1024)) |"
done
