using OpenCvSharp;

namespace DetectionEval.Plots;

/// <summary>Image files read with OpenCV.</summary>
public static class ImageDimensions
{
    /// <summary>
    /// The size of an image as OpenCV loads it: width and height in pixels after its EXIF orientation,
    /// which is how training pipelines such as ultralytics see the image that YOLO labels refer to.
    /// </summary>
    /// <param name="path">An image file (JPEG, PNG, BMP, TIFF, WebP).</param>
    /// <returns>Width and height in pixels.</returns>
    /// <exception cref="InvalidDataException">OpenCV cannot decode the file.</exception>
    /// <exception cref="OpenCvUnavailableException">OpenCV's native library cannot be loaded on this machine.</exception>
    public static (int Width, int Height) Read(string path)
    {
        OpenCvRuntime.EnsureLoaded();
        // Grayscale decodes a third of the data of colour and still applies the EXIF orientation.
        using Mat image = Cv2.ImRead(path, ImreadModes.Grayscale);
        if (image.Empty()) throw new InvalidDataException($"OpenCV cannot decode {path}");
        return (image.Width, image.Height);
    }
}
