#!/usr/bin/env bash
# Builds deval as one native executable (Native AOT: no .NET runtime needed where it runs; the CPU engine only,
# no GPU engine and no OpenCV, see Eval/DetectionEval.Cli/NativeParts.cs) into artifacts/native/RID/:
#
#   tests/benchmarks/native-executable.sh              # linux-x64
#   tests/benchmarks/native-executable.sh linux-arm64  # another RID, where its compiler package is served
#
# The folder holds `deval` (the executable), `deval.dbg` (its symbols, for a debugger only) and SkiaSharp's
# native libraries, which only --plots and --report load. Needs the .NET SDK and a C toolchain (clang, or gcc
# where clang is missing) with the zlib headers no more than the SDK's Native AOT prerequisites. The build's
# own files go to artifacts/native-build, apart from the normal build's bin/ and obj/ folders. Prints the
# executable's path, its size and how long the build took.
set -euo pipefail
cd "$(dirname "$0")/../.."

rid=${1:-linux-x64}
out=artifacts/native/$rid
rm -rf "$out"
start=$(date +%s)
dotnet publish Eval/DetectionEval.Cli -c Release -r "$rid" -p:NativeExecutable=true \
  --artifacts-path artifacts/native-build -o "$out" --nologo -v quiet ${NATIVE_BUILD_ARGS:-}
seconds=$(( $(date +%s) - start ))
exe=$out/deval
[ -f "$out/deval.exe" ] && exe=$out/deval.exe
bytes=$(stat -c %s "$exe")
echo "native-executable: $exe, $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB (%.1f MiB)", b / 1e6, b / 1048576 }'), built in $seconds s"
