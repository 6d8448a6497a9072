using System.Runtime.InteropServices;

namespace DetectionEval.Cli;

/// <summary>
/// What the native build (Native AOT, <c>-p:NativeExecutable=true</c>: the tool package of a platform packed
/// that way, and the standalone executable) leaves out, and the one line that says so when an option needs it.
/// The .NET build (every other package, and DetectionEval.Cli.Gpu) has every part.
/// <list type="bullet">
/// <item>The GPU engine: ILGPU compiles its kernels from .NET code at run time, which Native AOT cannot run.</item>
/// <item>Nothing else, but the native libraries are not linked into the executable: SkiaSharp's (charts of
/// <c>--plots</c> and <c>--report</c>) and OpenCV's (<c>--overlays</c>) load from beside it, where the tool
/// package and the publish folder put them.</item>
/// </list>
/// </summary>
internal static class NativeParts
{
    /// <summary>How to get the build that has the GPU engine.</summary>
    private const string GpuBuild = "install the .NET build, which has it (dotnet tool install -g DetectionEval.Cli.Gpu)";

    /// <summary>How to get the chart library beside the executable.</summary>
    private const string ChartLibraries = "copy it from the folder deval was published to, or install deval as a tool (dotnet tool install -g DetectionEval.Cli), whose package has it";

    /// <summary>Whether this is the native executable.</summary>
    public static bool IsNativeExecutable =>
#if NATIVE_EXECUTABLE
        true;
#else
        false;
#endif

    /// <summary>The usage error for <c>--device gpu</c>: this native build has no GPU engine.</summary>
    public static UsageException NoGpuEngine() =>
        new($"--device gpu: this native deval does not include the GPU engine: {GpuBuild}.");

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
                + $"{ChartLibraries}.");
        }
    }
}
