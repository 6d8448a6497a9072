#!/usr/bin/env bash
# Packs deval's tools into one folder, ready for a package feed:
#
#   DetectionEval.Cli              the pointer package `dotnet tool install -g DetectionEval.Cli` reads
#   DetectionEval.Cli.<this RID>   the native build (Native AOT) of the platform this runs on, when it is one of
#                                  the tool's platforms: no JIT, the CPU engine, every other part
#   DetectionEval.Cli.<other RID>  the .NET build, precompiled (ReadyToRun), for the platforms not packed natively
#                                  here (pack each natively on its own OS: tests/benchmarks/native-executable.sh RID)
#   DetectionEval.Cli.any          the .NET build for platforms without a package of their own
#   DetectionEval.Cli.Gpu(.RID)    the .NET build under its own id, with the GPU engine, for every platform
#
#   Eval/DetectionEval.Cli/pack.sh                  # into artifacts/packages
#   Eval/DetectionEval.Cli/pack.sh FOLDER
#
# Needs the .NET SDK, and for the native package a C toolchain (clang, or gcc).
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${1:-artifacts/packages}
mkdir -p "$out"
rm -f "$out"/DetectionEval.Cli.*.nupkg
# Pack copies each RID's publish folder whole, and publish leaves a file there that is newer than its source:
# start from empty folders, as a clean clone does.
rm -rf Eval/DetectionEval.Cli/bin/Release/net10.0/*/publish
dotnet pack Eval/DetectionEval.Cli -c Release -o "$out" --nologo -v quiet
rm -rf Eval/DetectionEval.Cli/bin/Release/net10.0/*/publish
dotnet pack Eval/DetectionEval.Cli -c Release -p:ToolEdition=Gpu -o "$out" --nologo -v quiet

rid=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)
if [ -f "$out/DetectionEval.Cli.$rid.$(ls "$out" | sed -n 's/^DetectionEval\.Cli\.\([0-9][0-9.]*\)\.nupkg$/\1/p' | head -n 1).nupkg" ]; then
  tests/benchmarks/native-executable.sh "$rid" >/dev/null
  cp artifacts/native/packages/DetectionEval.Cli."$rid".*.nupkg "$out"/
  echo "pack: DetectionEval.Cli.$rid is the native build"
fi
ls -l "$out"
