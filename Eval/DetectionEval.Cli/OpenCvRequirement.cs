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
    public static string Explain(string? option, OpenCvUnavailableException unavailable)
    {
        string what = option is null ? "OpenCV's native library, which deval needs here," : $"{option} needs OpenCV's native library, which";
        string missing = unavailable.MissingLibrary is { } library ? $" ({library} is missing)" : "";
        return $"{what} could not be loaded{missing}: {Remedy(unavailable.MissingLibrary)}";
    }

    /// <summary>What to install for a missing library; the native library itself ships with deval.</summary>
    private static string Remedy(string? missingLibrary) => missingLibrary switch
    {
        "libOpenCvSharpExtern.so" => "reinstall deval, whose package includes it",
        "libdrm.so.2" => Install("libdrm2"),
        "libatomic.so.1" => Install("libatomic1"),
        // libgtk-3-0 brings every other library OpenCvSharpExtern links (GDK, Pango, Cairo, GLib, X11, FreeType, HarfBuzz).
        not null => Install("libgtk-3-0"),
        null => Install("libgtk-3-0 libdrm2 libatomic1"),
    };

    private static string Install(string packages) => $"on Debian/Ubuntu run `apt-get install -y --no-install-recommends {packages}`";
}
