#!/usr/bin/env bash
# How much the report outputs add to `deval evaluate`: wall time of the plain run against the same run with
# --report, with --plots, and with every report output, median of RUNS rounds, with a Release build. Each
# round runs every variant once, one after the other, so a change in the machine's load during the
# measurement falls on all variants alike; as root the runs get the highest scheduling priority (nice -20).
#   tests/report-overhead/report-overhead.sh GT.json PRED.json [RUNS] [extra evaluate options...]
# Prints one line per variant and the overhead of each against the plain run.
# BASELINE=DIR (a folder holding another build's deval.dll, e.g. one built from an older commit with
# `dotnet build Eval/DetectionEval.Cli -c Release -o DIR`; several folders separated by colons) also times
# those builds in every round, variant by variant next to this one, and prints their lines after this
# build's: a before-and-after in one run. CPU=1 measures the processes' CPU time (user + system, with
# /usr/bin/time) instead of wall time: steadier on a busy machine, and it counts work on every core.
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: $0 GT.json PRED.json [RUNS] [extra evaluate options...]" >&2; exit 2; fi
gt=$1; pred=$2; runs=${3:-5}; shift $(( $# >= 3 ? 3 : 2 ))
for input in "$gt" "$pred"; do [ -s "$input" ] || { echo "$0: $input: no such file" >&2; exit 2; }; done
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$root/.bench/report-overhead"
builds=("$bin")
IFS=: read -r -a baselines <<< "${BASELINE:-}"
for dir in "${baselines[@]}"; do
  [ -s "$dir/deval.dll" ] || { echo "$0: BASELINE: no deval.dll in $dir" >&2; exit 2; }
  builds+=("$(cd "$dir" && pwd)")
done
dotnet build "$root/Eval/DetectionEval.Cli" -c Release -o "$bin" --nologo -v quiet >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
nice_=()
if [ "$(id -u)" = 0 ]; then nice_=(nice -n -20); fi

variants=("plain:" "report:--report $out/run/report.html" "plots:--plots $out/run/plots"
          "all:--report $out/run/report.html --plots $out/run/plots --markdown $out/run/s.md --csv $out/run/c.csv")
declare -A times
for _ in $(seq "$runs"); do
  for v in "${variants[@]}"; do
    name=${v%%:*}; read -r -a options <<< "${v#*:}"
    for b in "${!builds[@]}"; do
      rm -rf "$out/run"; mkdir -p "$out/run"
      if [ -n "${CPU:-}" ]; then
        seconds=$( { /usr/bin/time -f "%U %S" "${nice_[@]}" dotnet "${builds[$b]}/deval.dll" evaluate --gt "$gt" --pred "$pred" "$@" "${options[@]}" >/dev/null; } 2>&1 | tail -1 | awk '{ print $1 + $2 }')
      else
        start=$(date +%s.%N)
        "${nice_[@]}" dotnet "${builds[$b]}/deval.dll" evaluate --gt "$gt" --pred "$pred" "$@" "${options[@]}" >/dev/null
        end=$(date +%s.%N)
        seconds=$(echo "$end - $start" | bc -l)
      fi
      times[$b.$name]+="$seconds "
    done
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for b in "${!builds[@]}"; do
  [ "$b" = 0 ] || printf '\nBASELINE (%s):\n' "${builds[$b]}"
  plain=$(echo "${times[$b.plain]}" | median)
  printf 'evaluate                              %6.2f s (median of %s)\n' "$plain" "$runs"
  for v in "report:--report" "plots:--plots" "all:--report --plots --markdown --csv"; do
    name=${v%%:*}; label=${v#*:}; t=$(echo "${times[$b.$name]}" | median)
    printf '%-37s %6.2f s  %+5.0f %%\n' "+ $label" "$t" "$(echo "($t / $plain - 1) * 100" | bc -l)"
  done
done
