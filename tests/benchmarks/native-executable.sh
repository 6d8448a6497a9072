#!/usr/bin/env bash
# Builds deval's native build (Native AOT: no .NET runtime needed where it runs; the CPU engine only, no GPU
# engine, see Eval/DetectionEval.Cli/NativeParts.cs) once, as two things:
#
#   artifacts/native/RID/       the executable `deval` with the native libraries it loads beside it (SkiaSharp's
#                               for charts, OpenCV's for overlays where OpenCvSharp publishes one for RID)
#   artifacts/native/packages/  the tool package DetectionEval.Cli.RID (what `dotnet tool install` gets on RID)
#                               and the pointer package DetectionEval.Cli, which lists every platform's package
#
#   tests/benchmarks/native-executable.sh              # linux-x64
#   tests/benchmarks/native-executable.sh linux-arm64  # another RID, on that platform
#
# Needs the .NET SDK and a C toolchain (clang, or gcc where clang is missing) with the zlib headers: no more
# than the SDK's Native AOT prerequisites. The build's own files go to artifacts/native-build, apart from the
# normal build's bin/ and obj/ folders. Prints the executable's path, its size and how long the build took.
set -euo pipefail
cd "$(dirname "$0")/../.."

rid=${1:-linux-x64}
out=artifacts/native/$rid
packages=artifacts/native/packages
build=artifacts/native-build
rm -rf "$out" "$build/publish" "$packages"/DetectionEval.Cli."$rid".*.nupkg
start=$(date +%s)
# One compile for both: packing with a RID publishes the native build into the build's publish folder first.
dotnet pack Eval/DetectionEval.Cli -c Release -r "$rid" -p:NativeExecutable=true \
  --artifacts-path "$build" -o "$packages" --nologo -v quiet ${NATIVE_BUILD_ARGS:-}
dotnet pack Eval/DetectionEval.Cli -c Release -p:NativeExecutable=true \
  --artifacts-path "$build" -o "$packages" --nologo -v quiet
seconds=$(( $(date +%s) - start ))
mkdir -p "$(dirname "$out")"
cp -r "$build/publish/DetectionEval.Cli/release_$rid" "$out"
exe=$out/deval
[ -f "$out/deval.exe" ] && exe=$out/deval.exe
bytes=$(stat -c %s "$exe")
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB (%.1f MiB)", b / 1e6, b / 1048576 }'; }
package=$(ls "$packages"/DetectionEval.Cli."$rid".*.nupkg)
echo "native-executable: $exe, $(mb "$bytes"); $package, $(mb "$(stat -c %s "$package")"); built in $seconds s"
