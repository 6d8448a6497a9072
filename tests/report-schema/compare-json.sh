#!/usr/bin/env bash
# Writes the JSON report of every reference case, the samples and a synthetic set with two deval builds
# and compares them byte for byte: a change to how the report is written must not change one byte.
#
#   tests/report-schema/compare-json.sh OLD_DEVAL NEW_DEVAL WORKDIR
#   tests/report-schema/compare-json.sh --write-only DEVAL OUTDIR
#
# A DEVAL is a `deval` executable (e.g. from `dotnet publish Eval/DetectionEval.Cli -c Release -o DIR`) or
# a folder holding one. The first form writes WORKDIR/old and WORKDIR/new and runs `cmp` on every file;
# the second writes one build's reports into OUTDIR/reports (to keep them from before a change: compare later
# with `diff -r` or `cmp`). Along with each report the script keeps the command's exit code and stderr, so
# those must match too. Run it from anywhere; it runs deval from the repository root (reports name their
# inputs as given, so both builds must see the same relative paths). Exit code 0 when every file matches.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

resolve() {
    local d="$1"
    if [[ -d "$d" ]]; then d="$d/deval"; fi
    if [[ ! -x "$d" ]]; then echo "compare-json: not an executable deval: $1" >&2; exit 2; fi
    echo "$(cd "$(dirname "$d")" && pwd)/$(basename "$d")"
}

# The variants every dataset is evaluated with.
variants=(
    "all|--metric all"
    "analysis|--metric all --analysis"
    "threshold|--metric all --score-threshold 0.5"
    "plus-one|--metric all --voc-plus-one"
    "everything|--metric all --analysis --score-threshold 0.5 --voc-plus-one --voc-iou-rule gt --iou 0.7"
    "coco|--metric coco --max-dets 1,5,50"
    "voc|--metric voc --iou 0.3"
)

# run DEVAL OUT NAME ARGS...: runs deval with ARGS and --json OUT/NAME.json; keeps exit code and stderr.
run() {
    local deval="$1" out="$2" name="$3"
    shift 3
    local rc=0
    "$deval" "$@" --json "$out/$name.json" >"$out/$name.stdout" 2>"$out/$name.stderr" || rc=$?
    echo "$rc" >"$out/$name.rc"
}

# write DEVAL OUT INPUTS: every report of one build into OUT; INPUTS is the folder inputs() made.
write() {
    local deval="$1" out="$2" synth="$3"
    mkdir -p "$out"
    cd "$repo"
    local dir name v label args
    for dir in tests/data/reference/cases/*/ tests/data/reference/peer/*/; do
        name="$(basename "$(dirname "$dir")")-$(basename "$dir")"
        for v in "${variants[@]}"; do
            label="${v%%|*}"; args="${v#*|}"
            # shellcheck disable=SC2086 # args are words on purpose
            run "$deval" "$out" "$name-$label" evaluate --gt "${dir}gt.json" --pred "${dir}dt.json" $args
        done
    done

    local sample=samples/coco-val2014-100
    for v in "${variants[@]}"; do
        label="${v%%|*}"; args="${v#*|}"
        # shellcheck disable=SC2086
        run "$deval" "$out" "sample-$label" evaluate --gt $sample/instances_val2014_100.json --pred $sample/fakebbox100_results.json $args
    done
    run "$deval" "$out" sample-parts evaluate --gt $sample/instances_val2014_100.json --pred $sample/parts/results_part1.json $sample/parts/results_part2.json
    run "$deval" "$out" sample-low-memory evaluate --gt $sample/instances_val2014_100.json --pred $sample/fakebbox100_results.json --low-memory --score-threshold 0.5
    run "$deval" "$out" sample-gate-regressed gate --baseline $sample/gate/baseline.json --gt $sample/instances_val2014_100.json --pred $sample/gate/regressed_results.json --max-drop AP=0.005
    run "$deval" "$out" sample-gate-passes gate --baseline $sample/gate/baseline.json --gt $sample/instances_val2014_100.json --pred $sample/fakebbox100_results.json --max-drop AP=0.005
    local rc=0
    "$deval" evaluate --gt $sample/instances_val2014_100.json --pred $sample/fakebbox100_results.json --analysis --json - >"$out/sample-stdout.json" 2>"$out/sample-stdout.stderr" || rc=$?
    echo "$rc" >"$out/sample-stdout.rc"

    local f=samples/formats
    run "$deval" "$out" formats-voc evaluate --gt $f/voc/Annotations --pred $f/voc/results --analysis
    run "$deval" "$out" formats-yolo evaluate --gt $f/yolo/labels --pred $f/yolo/predictions --image-sizes $f/images.txt
    run "$deval" "$out" formats-txt evaluate --gt $f/txt/ground-truth --pred $f/txt/detection-results --score-threshold 0.5
    run "$deval" "$out" formats-csv evaluate --gt $f/csv/gt.csv --pred $f/csv/predictions.csv --names $f/classes.txt
    run "$deval" "$out" formats-labelme evaluate --gt $f/labelme/gt --pred $f/labelme/predictions --analysis --score-threshold 0.5
    run "$deval" "$out" formats-cvat evaluate --gt $f/cvat/annotations.xml --pred $f/cvat/predictions.xml --voc-plus-one
    run "$deval" "$out" formats-openimages evaluate --gt $f/openimages/boxes.csv --pred $f/openimages/predictions.csv --image-sizes $f/images.txt --names $f/classes.txt

    # The synthetic and odd-names sets, from their own folder so that their paths in the report are the same for every OUT.
    cd "$synth"
    for v in "${variants[@]}"; do
        label="${v%%|*}"; args="${v#*|}"
        # shellcheck disable=SC2086
        run "$deval" "$out" "synth-$label" evaluate --gt synth/gt.json --pred synth/dt.json $args
        # shellcheck disable=SC2086
        run "$deval" "$out" "odd-names-$label" evaluate --gt "$odd/gt.json" --pred "$odd/dt.json" $args
    done
    run "$deval" "$out" synth-low-memory evaluate --gt synth/gt.json --pred synth/dt.json --low-memory --shard-images 64
    cd "$repo"
}

# The odd-names set is copied under a folder name that the report must escape.
odd="naïve <dir> & 'x'"

# inputs DEVAL DIR: the synthetic set `deval synth --images 500 --seed 3` in DIR/synth, the odd-names set in DIR/$odd.
inputs() {
    mkdir -p "$2/$odd"
    "$1" synth --images 500 --seed 3 --out "$2/synth" >/dev/null
    cp "$repo/tests/report-schema/odd-names/gt.json" "$repo/tests/report-schema/odd-names/dt.json" "$2/$odd/"
}

if [[ "${1:-}" == "--write-only" ]]; then
    [[ $# -eq 3 ]] || { echo "usage: $0 --write-only DEVAL OUTDIR" >&2; exit 2; }
    deval="$(resolve "$2")"
    mkdir -p "$3"
    out="$(cd "$3" && pwd)"
    inputs "$deval" "$out/inputs"
    write "$deval" "$out/reports" "$out/inputs"
    echo "compare-json: $(find "$out/reports" -name '*.json' | wc -l) reports written to $out/reports"
    exit 0
fi

[[ $# -eq 3 ]] || { echo "usage: $0 OLD_DEVAL NEW_DEVAL WORKDIR | $0 --write-only DEVAL OUTDIR" >&2; exit 2; }
old="$(resolve "$1")"
new="$(resolve "$2")"
mkdir -p "$3"
work="$(cd "$3" && pwd)"
rm -rf "$work/old" "$work/new"
inputs "$old" "$work/inputs"
write "$old" "$work/old" "$work/inputs"
write "$new" "$work/new" "$work/inputs"

differ=0 count=0
for a in "$work"/old/*; do
    b="$work/new/$(basename "$a")"
    count=$((count + 1))
    if [[ ! -f "$b" ]]; then echo "missing: $b"; differ=$((differ + 1)); continue; fi
    cmp "$a" "$b" || differ=$((differ + 1))
done
extra=$(comm -13 <(cd "$work/old" && ls) <(cd "$work/new" && ls) | wc -l)
reports=$(find "$work/old" -name '*.json' -size +0 | wc -l)
if [[ $differ -ne 0 || $extra -ne 0 ]]; then
    echo "compare-json: $differ of $count files differ, $extra only in new"
    exit 1
fi
echo "compare-json: all $count files identical ($reports non-empty JSON reports, their exit codes and stderr)"
