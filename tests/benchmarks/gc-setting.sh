#!/usr/bin/env bash
# How the collector setting deval ships (System.GC.ConserveMemory, set in Eval/DetectionEval.Cli's project file)
# was chosen: one deval run with each setting in turn, round by round (each round runs every setting once, so a
# change in the machine's load falls on all of them alike), through the environment (DOTNET_GCConserveMemory=N
# overrides the built-in value). Prints the median wall time, median CPU time (user + sys) and the highest peak
# RSS of each setting, on one set of files.
#
#   tests/benchmarks/gc-setting.sh DEVAL SET_FOLDER [ROUNDS] [SETTINGS...]
#   tests/benchmarks/gc-setting.sh artifacts/native/linux-x64/deval .bench/tool-package/synth-5000-80 15 7 5 3 0
#
# SET_FOLDER holds gt.json and dt.json (deval synth --out SET_FOLDER makes one); ROUNDS defaults to 9, SETTINGS to
# 7 5 3 0. `--metric all` unless METRIC is set. Needs GNU time (/usr/bin/time).
set -euo pipefail
deval=$1; set_dir=$2; rounds=${3:-9}; shift $(( $# < 3 ? $# : 3 ))
settings=("$@"); [ ${#settings[@]} -gt 0 ] || settings=(7 5 3 0)
metric=${METRIC:-all}
[ -x /usr/bin/time ] || { echo "gc-setting: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
[ -f "$set_dir/gt.json" ] && [ -f "$set_dir/dt.json" ] || { echo "gc-setting: no gt.json and dt.json in $set_dir" >&2; exit 2; }
NICE=(); [ "$(id -u)" = 0 ] && NICE=(nice -n -20)
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
run() { DOTNET_GCConserveMemory=$1 "${NICE[@]}" /usr/bin/time -f "%e %U %S %M" -o "$out/t" "$deval" evaluate --gt "$set_dir/gt.json" --pred "$set_dir/dt.json" --metric "$metric" >/dev/null; read -r w u s m < "$out/t"; echo "$w $(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}') $m"; }
run "${settings[0]}" >/dev/null   # warm the file cache
for _ in $(seq "$rounds"); do for n in "${settings[@]}"; do run "$n" >> "$out/$n"; done; done
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "| System.GC.ConserveMemory | median wall (s) | median CPU (s) | highest peak RSS (MB) |"
echo "|---:|---:|---:|---:|"
for n in "${settings[@]}"; do
  echo "| $n | $(cut -d' ' -f1 "$out/$n" | median) | $(cut -d' ' -f2 "$out/$n" | median) | $(( $(cut -d' ' -f3 "$out/$n" | sort -g | tail -1) / 1000 )) |"
done
echo "($rounds rounds, \`--metric $metric\`, $set_dir, load average $(cut -d' ' -f1-3 /proc/loadavg))"
