using System.Runtime.InteropServices;
using DetectionEval.Plots;

namespace DetectionEval.Cli;

/// <summary>
/// The options that need OpenCV's native library (--overlays, and --images when it gives image sizes) check
/// that it loads before they use it, and say in one line what is missing and how to install it.
/// </summary>
internal static class OpenCvRequirement
{
    /// <summary>
    /// Replaces the loading of OpenCV's native library in tests, which make it fail the way a machine
    /// without GTK does; null (always, outside tests) loads the real library.
    /// </summary>
    internal static readonly AsyncLocal<Action?> LoadOverride = new();

    /// <summary>Loads OpenCV's native library, which <paramref name="option"/> needs.</summary>
    /// <exception cref="UsageException">It cannot be loaded; the message names the option, the missing library and the package to install.</exception>
    public static void Require(string option)
    {
        try
        {
            (LoadOverride.Value ?? OpenCvRuntime.EnsureLoaded)();
        }
        catch (Exception e) when (OpenCvRuntime.FromLoadFailure(e) is { } unavailable)
        {
            throw new UsageException(Explain(option, unavailable));
        }
    }

    /// <summary>
    /// "--overlays needs OpenCV's native library, which could not be loaded (libgtk-3.so.0 is missing): on
    /// Debian/Ubuntu run `apt-get install ...`"; without an option, "OpenCV's native library ...".
    /// </summary>
    public static string Explain(string? option, OpenCvUnavailableException unavailable) =>
        Explain(option, unavailable, PackageCarriesOpenCv, RuntimeInformation.RuntimeIdentifier);

    /// <summary>The explanation on a platform whose package does or does not carry OpenCV's native library.</summary>
    internal static string Explain(string? option, OpenCvUnavailableException unavailable, bool packageCarriesOpenCv, string platform)
    {
        ArgumentNullException.ThrowIfNull(unavailable);
        string what = option is null ? "OpenCV's native library, which deval needs here," : $"{option} needs OpenCV's native library, which";
        string missing = unavailable.MissingLibrary is { } library ? $" ({library} is missing)" : "";
        return $"{what} could not be loaded{missing}: {Remedy(unavailable.MissingLibrary, packageCarriesOpenCv, platform)}";
    }

    /// <summary>
    /// Whether deval's package for this platform carries OpenCV's native library: the linux-x64 one does;
    /// OpenCvSharp publishes no runtime for linux-arm64 or macOS, and the Windows one is added only where it
    /// is packed with OpenCvSharp's Windows runtime.
    /// </summary>
    private static bool PackageCarriesOpenCv =>
        OperatingSystem.IsLinux() && RuntimeInformation.OSArchitecture == Architecture.X64;

    /// <summary>What to install for a missing library.</summary>
    private static string Remedy(string? missingLibrary, bool packageCarriesOpenCv, string platform) => missingLibrary switch
    {
        string extern_ when extern_.Contains("OpenCvSharpExtern", StringComparison.OrdinalIgnoreCase) => packageCarriesOpenCv
            ? NativeParts.IsNativeExecutable
                ? "copy it beside this deval from the folder deval was published to, or reinstall deval, whose package includes it"
                : "reinstall deval, whose package includes it"
            : $"deval's package for {platform} does not include it (no OpenCvSharp runtime is published for it): put an OpenCvSharpExtern built for {platform} on the library path, or run this on linux-x64",
        "libdrm.so.2" => Install("libdrm2"),
        "libatomic.so.1" => Install("libatomic1"),
        // libgtk-3-0 brings every other library OpenCvSharpExtern links (GDK, Pango, Cairo, GLib, X11, FreeType, HarfBuzz).
        not null => Install("libgtk-3-0"),
        null => Install("libgtk-3-0 libdrm2 libatomic1"),
    };

    private static string Install(string packages) => $"on Debian/Ubuntu run `apt-get install -y --no-install-recommends {packages}`";
}
