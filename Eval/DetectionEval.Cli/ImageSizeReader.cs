using DetectionEval.Eval.Formats;
using DetectionEval.Plots;
using DetectionEval.Eval.IO;

namespace DetectionEval.Cli;

/// <summary>Wires Plots' OpenCV image reading into the loaders' image folders (Eval knows no OpenCV).</summary>
public static class ImageSizeReader
{
    /// <summary>The images of <paramref name="directory"/>, whose sizes OpenCV reads when a loader asks; reading stops soon after <paramref name="cancellation"/> is cancelled.</summary>
    public static ImageFolder Folder(string directory, CancellationToken cancellation = default) => new(directory, path =>
    {
        cancellation.ThrowIfCancellationRequested();
        return Read(path);
    });

    /// <summary>Reads one image's size with OpenCV.</summary>
    /// <exception cref="AnnotationFormatException">The file is not an image OpenCV can decode.</exception>
    /// <exception cref="UsageException">OpenCV's native library cannot be loaded on this machine.</exception>
    public static ImageSize Read(string path)
    {
        OpenCvRequirement.Require("--images");
        try
        {
            (int width, int height) = ImageDimensions.Read(path);
            return new ImageSize(width, height);
        }
        catch (InvalidDataException)
        {
            throw new AnnotationFormatException(new SourceLocation(path), "an image OpenCV can decode (JPEG, PNG, BMP, TIFF, WebP)", "a file it cannot decode");
        }
    }
}
