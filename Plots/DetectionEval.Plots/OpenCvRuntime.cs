using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OpenCvSharp;

namespace DetectionEval.Plots;

/// <summary>
/// OpenCV's native library (OpenCvSharpExtern) cannot be loaded on this machine, usually because a system
/// library it links is not installed (on Linux, GTK 3: libgtk-3.so.0).
/// </summary>
public sealed class OpenCvUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="missingLibrary">The shared library the system loader could not find, when its message names one.</param>
    /// <param name="inner">The loader's exception.</param>
    public OpenCvUnavailableException(string? missingLibrary, Exception? inner)
        : base(missingLibrary is null
            ? "OpenCV's native library could not be loaded"
            : $"OpenCV's native library could not be loaded ({missingLibrary} is missing)", inner)
    {
        MissingLibrary = missingLibrary;
    }

    /// <summary>The shared library the system loader could not find (e.g. libgtk-3.so.0), or null when its message names none.</summary>
    public string? MissingLibrary { get; }
}

/// <summary>
/// Loads OpenCV's native library once and turns a failure into <see cref="OpenCvUnavailableException"/>.
/// Without this, the first OpenCV call throws a <see cref="TypeInitializationException"/> for
/// OpenCvSharp's NativeMethods (wrapping a <see cref="DllNotFoundException"/>), and every later call throws
/// the same again, from whichever thread or parallel loop happens to touch OpenCV first.
/// </summary>
public static class OpenCvRuntime
{
    private const string NativeLibraryName = "OpenCvSharpExtern";

    private static readonly Lazy<Exception?> LoadFailure = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Loads OpenCV's native library, once; a no-op after it has loaded.</summary>
    /// <exception cref="OpenCvUnavailableException">The library (or a library it links) cannot be loaded.</exception>
    public static void EnsureLoaded()
    {
        if (LoadFailure.Value is { } failure) throw FromLoadFailure(failure)!;
    }

    /// <summary>
    /// <paramref name="exception"/> as an <see cref="OpenCvUnavailableException"/> when it is OpenCV's native
    /// library failing to load (possibly wrapped in a <see cref="TypeInitializationException"/> or an
    /// <see cref="AggregateException"/>); null for anything else.
    /// </summary>
    public static OpenCvUnavailableException? FromLoadFailure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case OpenCvUnavailableException unavailable:
                return unavailable;
            case AggregateException aggregate:
                return aggregate.Flatten().InnerExceptions.Select(FromLoadFailure).FirstOrDefault(e => e is not null);
            case DllNotFoundException notFound when notFound.Message.Contains(NativeLibraryName, StringComparison.Ordinal):
                return new OpenCvUnavailableException(MissingLibraryIn(notFound.Message), notFound);
            // Whose initializer it was: the cause says (Native AOT keeps no type names), or else the name.
            case TypeInitializationException init when init.InnerException is { } inner && FromLoadFailure(inner) is { } cause:
                return new OpenCvUnavailableException(cause.MissingLibrary, init);
            case TypeInitializationException init when init.TypeName?.StartsWith("OpenCvSharp", StringComparison.Ordinal) == true:
                return new OpenCvUnavailableException(null, init);
            default:
                return null;
        }
    }

    /// <summary>
    /// The library the loader's message says it could not open. .NET lists every path it tried, one per
    /// line ("PATH: cannot open shared object file: No such file or directory"); when OpenCvSharpExtern
    /// itself was found, the line for its path names the dependency that is missing instead (libgtk-3.so.0).
    /// </summary>
    internal static string? MissingLibraryIn(string message)
    {
        const string CannotOpen = ": cannot open shared object file";
        string[] missing =
        [
            .. message.Split('\n')
                .Select(line => line.Trim())
                .Where(line => line.Contains(CannotOpen, StringComparison.Ordinal))
                .Select(line => Path.GetFileName(line[..line.IndexOf(CannotOpen, StringComparison.Ordinal)])),
        ];
        if (missing.Length == 0) return null;
        return missing.FirstOrDefault(name => !name.Contains(NativeLibraryName, StringComparison.Ordinal)) ?? $"lib{NativeLibraryName}.so";
    }

    private static Exception? TryLoad()
    {
        try
        {
            LoadBesideNativeExecutable();
            // Any call into the native library runs NativeMethods' static constructor, which loads it.
            _ = Cv2.GetVersionString();
            return null;
        }
        catch (Exception e) when (FromLoadFailure(e) is not null)
        {
            return e;
        }
    }

    /// <summary>
    /// Under Native AOT the library is looked up by name only, never beside the executable, where deval's
    /// package puts it: load it from there by path first, and OpenCvSharp's lookup by name then finds it
    /// loaded. A failure throws the loader's message, which names a missing dependency (libgtk-3.so.0).
    /// </summary>
    private static void LoadBesideNativeExecutable()
    {
        if (RuntimeFeature.IsDynamicCodeSupported) return;
        string file = OperatingSystem.IsWindows() ? $"{NativeLibraryName}.dll"
            : OperatingSystem.IsMacOS() ? $"lib{NativeLibraryName}.dylib"
            : $"lib{NativeLibraryName}.so";
        string beside = Path.Combine(AppContext.BaseDirectory, file);
        if (File.Exists(beside)) NativeLibrary.Load(beside);
    }
}
