#!/usr/bin/env bash
# Two deval builds side by side on the same synthetic set, round by round (A, B, A, B, ...), so that the
# neighbours' load falls on both alike: median wall time and CPU time of each, and the ratio B / A.
#
#   tests/benchmarks/compare-builds.sh OLD_DEVAL NEW_DEVAL [IMAGES] [ROUNDS] [-- EXTRA EVALUATE ARGS]
#
# A DEVAL is a `deval` executable or a folder holding one (dotnet publish Eval/DetectionEval.Cli -c Release -o DIR).
# IMAGES (default 5000) sizes the set made by `deval synth --classes 80 --seed 1`; ROUNDS defaults to 9.
# SET=FOLDER uses the gt.json and dt.json already in FOLDER instead (IMAGES then only labels the line), e.g. the
# 2 GB set of docs/benchmarks.md:
#   SET=.bench/synth-openimages tests/benchmarks/compare-builds.sh OLD NEW 42000 2
set -euo pipefail
resolve() { local d="$1"; [[ -d "$d" ]] && d="$d/deval"; [[ -x "$d" ]] || { echo "compare-builds: not an executable deval: $1" >&2; exit 2; }; echo "$d"; }
a=$(resolve "$1"); b=$(resolve "$2"); images="${3:-5000}"; rounds="${4:-9}"
shift $(( $# < 4 ? $# : 4 )); [[ "${1:-}" == "--" ]] && shift
extra=("$@")
[ -x /usr/bin/time ] || { echo "compare-builds: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
set_dir="${SET:-${TMPDIR:-/tmp}/deval-compare-builds-$images}"
[ -s "$set_dir/dt.json" ] || { [ -z "${SET:-}" ] && "$a" synth --images "$images" --classes 80 --seed 1 --out "$set_dir" >/dev/null; } || { echo "compare-builds: no dt.json in $set_dir" >&2; exit 2; }
NICE=(); [ "$(id -u)" = 0 ] && NICE=(nice -n -20)
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
run() { "${NICE[@]}" /usr/bin/time -f "%e %U %S %M" -o "$out/t" "$1" evaluate --gt "$set_dir/gt.json" --pred "$set_dir/dt.json" --metric all "${extra[@]}" >/dev/null; read -r w u s m < "$out/t"; echo "$w $(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}') $m"; }
run "$a" >/dev/null; run "$b" >/dev/null   # warm the file cache and both builds
: > "$out/a"; : > "$out/b"
for _ in $(seq "$rounds"); do run "$a" >> "$out/a"; run "$b" >> "$out/b"; done
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for side in a b; do
  wall=$(cut -d' ' -f1 "$out/$side" | median); cpu=$(cut -d' ' -f2 "$out/$side" | median); rss=$(cut -d' ' -f3 "$out/$side" | sort -g | tail -1)
  echo "$side wall_median=$wall cpu_median=$cpu peak_rss_mib=$((rss / 1024))"
  eval "${side}_wall=$wall"; eval "${side}_cpu=$cpu"
done
echo "ratio new/old: wall $(awk -v x="$b_wall" -v y="$a_wall" 'BEGIN{printf "%.3f", x/y}'), cpu $(awk -v x="$b_cpu" -v y="$a_cpu" 'BEGIN{printf "%.3f", x/y}') ($rounds rounds, $images images in $set_dir, load $(cut -d' ' -f1-3 /proc/loadavg))"
