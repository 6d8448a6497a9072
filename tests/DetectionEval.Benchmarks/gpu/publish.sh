#!/usr/bin/env bash
# Builds the GPU benchmark executable for a Linux x64 machine without .NET: a self-contained single file
# (about 40 MiB; it does not reference Plots, so no OpenCV) in .gpu/bench/ (ignored by git).
# Then, on the GPU machine, from the repository root: bash tests/DetectionEval.Benchmarks/gpu/run-device-benchmark.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
rm -rf .gpu/bench
dotnet publish tests/DetectionEval.Benchmarks.Gpu -c Release -r linux-x64 --self-contained true \
  -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:InvariantGlobalization=true \
  -p:DebugType=none -p:GenerateDocumentationFile=false -o .gpu/bench --nologo -v quiet
ls -l .gpu/bench
du -sh .gpu/bench
