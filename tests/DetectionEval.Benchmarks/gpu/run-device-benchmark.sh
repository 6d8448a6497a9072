#!/usr/bin/env bash
# Every GPU check and benchmark, in a few minutes, on a Linux machine with an NVIDIA GPU and no .NET.
# Needs .gpu/bench/deval-gpu-bench (tests/DetectionEval.Benchmarks/gpu/publish.sh builds it). Writes all
# results under $OUT (default: .gpu/results): machine.txt, agree.txt, crossover.txt, one timings file per
# run, the JSON reports and summary.txt, which docs/benchmarks.md quotes.
#
#   1. agreement: the CUDA kernels against the CPU engine on random units with exact-threshold IoUs;
#   2. crossover: CPU (all cores) and GPU candidate-search times for growing dense units (--device auto);
#   3. the dense case of the issue: 100 images x ~3,000 objects x ~30,000 detections, one class, VOC:
#      --device gpu and --device cpu (all cores), identical JSON, stage times;
#   4. the same data under COCO (only the 100 best detections per image are matched);
#   5. the regular 5,000-image set on both engines (auto would pick the CPU there).
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT="${OUT:-.gpu/results}"
mkdir -p "$OUT"
BENCH=.gpu/bench/deval-gpu-bench
DATA="${DATA:-/tmp/deval-gpu-data}"
[ -x "$BENCH" ] || { echo "missing $BENCH: run tests/DetectionEval.Benchmarks/gpu/publish.sh first" | tee "$OUT/summary.txt"; exit 2; }

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
  uname -sr
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

timed() {  # timed NAME command...: wall time and peak RSS of the whole process, the tool's stage times
  local name=$1; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "process-wall %e\nprocess-max-rss-kb %M" -o "$OUT/$name.process.txt" "$@" > "$OUT/$name.txt" 2> "$OUT/$name.err"
  else
    local start end; start=$(date +%s.%N); "$@" > "$OUT/$name.txt" 2> "$OUT/$name.err"; end=$(date +%s.%N)
    echo "process-wall $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')" > "$OUT/$name.process.txt"
  fi
  local status=$?
  echo "== $name (exit $status)"; cat "$OUT/$name.txt" "$OUT/$name.process.txt"; head -c 2000 "$OUT/$name.err"
  return $status
}

timed agree "$BENCH" agree --units 3000
timed crossover "$BENCH" crossover

mkdir -p "$DATA"
if [ ! -s "$DATA/dense/dt.json" ]; then
  timed synth-dense "$BENCH" synth --images 100 --classes 1 --seed 1 --dense --objects-per-image 3000 --detections-per-image 30000 --out "$DATA/dense"
fi
if [ ! -s "$DATA/coco5k/dt.json" ]; then
  timed synth-coco5k "$BENCH" synth --images 5000 --classes 80 --seed 1 --out "$DATA/coco5k"
fi

timed dense-voc-gpu "$BENCH" evaluate --gt "$DATA/dense/gt.json" --pred "$DATA/dense/dt.json" --metric voc --device gpu --repeat 2 --json "$OUT/dense-voc-gpu.json"
timed dense-voc-cpu "$BENCH" evaluate --gt "$DATA/dense/gt.json" --pred "$DATA/dense/dt.json" --metric voc --device cpu --repeat 2 --json "$OUT/dense-voc-cpu.json"
timed dense-coco-gpu "$BENCH" evaluate --gt "$DATA/dense/gt.json" --pred "$DATA/dense/dt.json" --metric coco --device gpu --json "$OUT/dense-coco-gpu.json"
timed dense-coco-cpu "$BENCH" evaluate --gt "$DATA/dense/gt.json" --pred "$DATA/dense/dt.json" --metric coco --device cpu --json "$OUT/dense-coco-cpu.json"
timed coco5k-gpu "$BENCH" evaluate --gt "$DATA/coco5k/gt.json" --pred "$DATA/coco5k/dt.json" --metric all --device gpu --json "$OUT/coco5k-gpu.json"
timed coco5k-cpu "$BENCH" evaluate --gt "$DATA/coco5k/gt.json" --pred "$DATA/coco5k/dt.json" --metric all --device cpu --json "$OUT/coco5k-cpu.json"

stage() { awk -v s="$2" '$1 == s {print $2}' "$OUT/$1.txt"; }
wall() { awk '$1 == "process-wall" {print $2}' "$OUT/$1.process.txt"; }
same() {
  if [ ! -s "$OUT/$1-gpu.json" ] || [ ! -s "$OUT/$1-cpu.json" ]; then echo "not compared (a run failed)"
  elif cmp -s "$OUT/$1-gpu.json" "$OUT/$1-cpu.json"; then echo identical
  else echo DIFFERENT; fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }
{
  echo "agreement: $(tail -n 1 "$OUT/agree.txt")"
  echo
  echo "| run | results | load s | evaluate s (first) | evaluate s (warm) | whole process s | pairs |"
  echo "|---|---|---|---|---|---|---|"
  for run in dense-voc dense-coco coco5k; do
    for device in gpu cpu; do
      name="$run-$device"
      echo "| $name | $(same "$run") | $(stage "$name" load) | $(stage "$name" evaluate) | $(stage "$name" evaluate-warm1) | $(wall "$name") | $(stage "$name" pairs) |"
    done
  done
  echo
  echo "dense VOC, evaluation stage cpu/gpu: first $(ratio "$(stage dense-voc-cpu evaluate)" "$(stage dense-voc-gpu evaluate)")x, warm $(ratio "$(stage dense-voc-cpu evaluate-warm1)" "$(stage dense-voc-gpu evaluate-warm1)")x"
  echo
  echo "crossover (10 units of G objects and 10 G detections; candidate search only):"
  cat "$OUT/crossover.txt"
} > "$OUT/summary.txt"
cat "$OUT/summary.txt"
