#!/usr/bin/env bash
# How much the report outputs add to `deval evaluate`: wall time of the plain run against the same run with
# --report (and, separately, with --plots), median of RUNS runs each, with a Release build.
#   tests/report-overhead/report-overhead.sh GT.json PRED.json [RUNS] [extra evaluate options...]
# Prints one line per variant and the overhead of each against the plain run.
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: $0 GT.json PRED.json [RUNS] [extra evaluate options...]" >&2; exit 2; fi
gt=$1; pred=$2; runs=${3:-5}; shift $(( $# >= 3 ? 3 : 2 ))
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$root/.bench/report-overhead"
dotnet build "$root/Eval/DetectionEval.Cli" -c Release -o "$bin" --nologo -v quiet >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
measure() { # name, then extra options
  local name=$1; shift
  local times=()
  for _ in $(seq "$runs"); do
    rm -rf "$out/run"; mkdir -p "$out/run"
    local start end
    start=$(date +%s.%N)
    dotnet "$bin/deval.dll" evaluate --gt "$gt" --pred "$pred" "$@" >/dev/null
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | median
}

plain=$(measure plain "$@")
report=$(measure report "$@" --report "$out/run/report.html")
plots=$(measure plots "$@" --plots "$out/run/plots")
all=$(measure all "$@" --report "$out/run/report.html" --plots "$out/run/plots" --markdown "$out/run/s.md" --csv "$out/run/c.csv")
printf 'evaluate                       %6.2f s (median of %s)\n' "$plain" "$runs"
for v in "report:--report" "plots:--plots" "all:--report --plots --markdown --csv"; do
  name=${v%%:*}; label=${v#*:}; t=${!name}
  printf '%-30s %6.2f s  %+5.0f %%\n' "+ $label" "$t" "$(echo "($t / $plain - 1) * 100" | bc -l)"
done
