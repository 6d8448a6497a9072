using DetectionEval.Plots;

namespace DetectionEval.Plots.Tests;

/// <summary>OpenCV's native library failing to load becomes one exception that names what is missing.</summary>
public class OpenCvRuntimeTests
{
    /// <summary>
    /// The message .NET 10 gave on Linux for a copy of deval whose libOpenCvSharpExtern.so links a GTK that
    /// is not installed (one line per path it tried; the line of the library's own path names the dependency).
    /// </summary>
    internal const string MissingGtkMessage =
        "Unable to load shared library 'OpenCvSharpExtern' or one of its dependencies. In order to help diagnose loading problems, consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable: \n"
        + "/opt/deval/runtimes/linux-x64/native/OpenCvSharpExtern.so: cannot open shared object file: No such file or directory\n"
        + "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/OpenCvSharpExtern.so: cannot open shared object file: No such file or directory\n"
        + "libgtk-3.so.0: cannot open shared object file: No such file or directory\n"
        + "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/libOpenCvSharpExtern.so: cannot open shared object file: No such file or directory\n"
        + "/opt/deval/runtimes/linux-x64/native/OpenCvSharpExtern: cannot open shared object file: No such file or directory\n";

    /// <summary>The same message when libOpenCvSharpExtern.so itself is not there: every line names it.</summary>
    internal const string MissingLibraryMessage =
        "Unable to load shared library 'OpenCvSharpExtern' or one of its dependencies. In order to help diagnose loading problems, consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable: \n"
        + "/opt/deval/runtimes/linux-x64/native/OpenCvSharpExtern.so: cannot open shared object file: No such file or directory\n"
        + "/opt/deval/runtimes/linux-x64/native/libOpenCvSharpExtern.so: cannot open shared object file: No such file or directory\n";

    private static TypeInitializationException AsThrownByOpenCvSharp(string message) =>
        new("OpenCvSharp.Internal.NativeMethods", new DllNotFoundException(message));

    [Fact]
    public void A_missing_dependency_is_named_from_the_loaders_message()
    {
        OpenCvUnavailableException? unavailable = OpenCvRuntime.FromLoadFailure(AsThrownByOpenCvSharp(MissingGtkMessage));
        Assert.NotNull(unavailable);
        Assert.Equal("libgtk-3.so.0", unavailable.MissingLibrary);
        Assert.Equal("OpenCV's native library could not be loaded (libgtk-3.so.0 is missing)", unavailable.Message);
    }

    [Fact]
    public void A_missing_native_library_is_named_when_no_dependency_is()
    {
        Assert.Equal("libOpenCvSharpExtern.so", OpenCvRuntime.FromLoadFailure(AsThrownByOpenCvSharp(MissingLibraryMessage))?.MissingLibrary);
    }

    [Fact]
    public void A_failure_inside_a_parallel_loop_is_found_in_its_aggregate()
    {
        var aggregate = new AggregateException(new InvalidOperationException("other"), AsThrownByOpenCvSharp(MissingGtkMessage));
        Assert.Equal("libgtk-3.so.0", OpenCvRuntime.FromLoadFailure(aggregate)?.MissingLibrary);
    }

    [Fact]
    public void A_message_without_library_names_gives_a_failure_without_one()
    {
        OpenCvUnavailableException? unavailable = OpenCvRuntime.FromLoadFailure(
            AsThrownByOpenCvSharp("Unable to load DLL 'OpenCvSharpExtern' or one of its dependencies: The specified module could not be found."));
        Assert.NotNull(unavailable);
        Assert.Null(unavailable.MissingLibrary);
        Assert.Equal("OpenCV's native library could not be loaded", unavailable.Message);
    }

    [Fact]
    public void Other_load_failures_are_not_taken_for_OpenCVs()
    {
        Assert.Null(OpenCvRuntime.FromLoadFailure(new DllNotFoundException("Unable to load shared library 'libcuda.so.1' or one of its dependencies.")));
        Assert.Null(OpenCvRuntime.FromLoadFailure(new TypeInitializationException("ILGPU.Runtime.Cuda.CudaAPI", new DllNotFoundException("libcuda.so.1"))));
        Assert.Null(OpenCvRuntime.FromLoadFailure(new InvalidDataException("OpenCV cannot decode x.jpg")));
    }

    [Fact]
    public void OpenCV_loads_on_a_machine_with_its_dependencies()
    {
        // The test machines have GTK 3 (README, Requirements); the other OpenCV tests need it as well.
        OpenCvRuntime.EnsureLoaded();
        string path = Path.Combine(Path.GetTempPath(), $"deval-opencv-{Guid.NewGuid():N}.png");
        try
        {
            using (var image = new OpenCvSharp.Mat(2, 3, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.White)) OpenCvSharp.Cv2.ImWrite(path, image);
            Assert.Equal((3, 2), ImageDimensions.Read(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
