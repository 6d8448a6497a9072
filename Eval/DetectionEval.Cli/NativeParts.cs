using System.Runtime.InteropServices;

namespace DetectionEval.Cli;

/// <summary>
/// What the native executable (Native AOT, built with <c>-p:NativeExecutable=true</c>) leaves out, and the one
/// line that says so when an option needs it. The .NET tool has every part.
/// <list type="bullet">
/// <item>The GPU engine: ILGPU compiles its kernels from .NET code at run time, which Native AOT cannot run.</item>
/// <item>OpenCV (<c>--overlays</c>, image sizes read from <c>--images</c>): its native library is 100 MB and
/// links GTK; the single file is meant for CI images that only score.</item>
/// <item>SkiaSharp's native libraries (charts of <c>--plots</c> and <c>--report</c>): not linked into the
/// executable; they work when the files the publish folder holds beside it stay there.</item>
/// </list>
/// </summary>
internal static class NativeParts
{
    /// <summary>How to get the build that has everything.</summary>
    private const string DotnetTool = "use the .NET tool (dotnet tool install -g DetectionEval.Cli), which has it";

    /// <summary>Whether this is the native executable.</summary>
    public static bool IsNativeExecutable =>
#if NATIVE_EXECUTABLE
        true;
#else
        false;
#endif

    /// <summary>The usage error for an option whose part this native executable does not include.</summary>
    public static UsageException NotIncluded(string option, string part) =>
        new($"{option}: this native deval does not include {part}: {DotnetTool}.");

    /// <summary>
    /// In the native executable, stops <paramref name="option"/> (which draws charts) unless SkiaSharp's
    /// native libraries load from beside the executable; the .NET tool always has them.
    /// </summary>
    /// <exception cref="UsageException">The native executable without SkiaSharp's libraries beside it.</exception>
    public static void RequireChartLibraries(string option)
    {
        if (!IsNativeExecutable) return;
        foreach (string library in new[] { "libSkiaSharp", "libHarfBuzzSharp" })
        {
            if (NativeLibrary.TryLoad(library, typeof(NativeParts).Assembly, DllImportSearchPath.AssemblyDirectory, out _)) continue;
            throw new UsageException(
                $"{option}: Expected {library}, the chart library's native part, beside this native deval, but got none: "
                + $"copy it from the folder deval was published to, or {DotnetTool}.");
        }
    }
}
