using System.Globalization;
using System.Text;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/// <summary>A dataset seen per image, as the writers need it: names, sizes, rows per image, detections in input order.</summary>
internal sealed class DatasetView
{
    public DatasetView(Dataset dataset)
    {
        Dataset = dataset;
        int images = dataset.Images.Count;
        GroundTruthOfImage = new List<int>[images];
        DetectionsOfImage = new List<int>[images];
        for (int i = 0; i < images; i++)
        {
            GroundTruthOfImage[i] = [];
            DetectionsOfImage[i] = [];
        }
        ReadOnlySpan<int> gtImages = dataset.GroundTruth.Images;
        for (int row = 0; row < gtImages.Length; row++) GroundTruthOfImage[gtImages[row]].Add(row);

        // Detections in the order they were read: ties between equal scores depend on it.
        ReadOnlySpan<int> positions = dataset.Detections.InputPositions;
        DetectionOrder = new int[positions.Length];
        for (int row = 0; row < positions.Length; row++) DetectionOrder[positions[row]] = row;
        ReadOnlySpan<int> dtImages = dataset.Detections.Images;
        foreach (int row in DetectionOrder) DetectionsOfImage[dtImages[row]].Add(row);
    }

    public Dataset Dataset { get; }

    /// <summary>Ground-truth rows of each image, grouped by class (the order that matters for matching).</summary>
    public List<int>[] GroundTruthOfImage { get; }

    /// <summary>Detection rows of each image, in input order.</summary>
    public List<int>[] DetectionsOfImage { get; }

    /// <summary>Detection rows in input order.</summary>
    public int[] DetectionOrder { get; }

    /// <summary>The name an image goes by in the written files: its file name, else its id.</summary>
    public string ImageName(int image) => Dataset.Images[image].FileName ?? Dataset.Images[image].Id.ToString();

    /// <summary>File stems for one-file-per-image formats; two images with the same stem cannot be written.</summary>
    public string[] UniqueStems(string output)
    {
        var stems = new string[Dataset.Images.Count];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < stems.Length; i++)
        {
            stems[i] = SafeFileName(ImageNames.Stem(ImageName(i)));
            if (!seen.TryAdd(stems[i], i))
            {
                throw new AnnotationFormatException(new SourceLocation(output), "image names with distinct stems (one file per image)",
                    $"'{ImageName(seen[stems[i]])}' and '{ImageName(i)}', which would both be {stems[i]}");
            }
        }
        return stems;
    }

    private static string SafeFileName(string stem)
    {
        var text = new StringBuilder(stem.Length);
        foreach (char c in stem) text.Append(Path.GetInvalidFileNameChars().Contains(c) ? '_' : c);
        return text.Length == 0 ? "_" : text.ToString();
    }

    /// <summary>The size of an image from the dataset or from <paramref name="sizes"/>; null when neither knows it.</summary>
    public ImageSize? SizeOf(int image, IImageSizeSource? sizes)
    {
        ImageInfo info = Dataset.Images[image];
        if (info.Width is int w && info.Height is int h && w > 0 && h > 0) return new ImageSize(w, h);
        if (sizes is not null && (sizes.TryGetSize(ImageName(image), out ImageSize size))) return size;
        return null;
    }

    /// <summary>The size of an image, which relative coordinates need.</summary>
    /// <exception cref="AnnotationFormatException">Neither the dataset nor <paramref name="sizes"/> knows it.</exception>
    public ImageSize RequireSize(int image, IImageSizeSource? sizes, string output) =>
        SizeOf(image, sizes) ?? throw new AnnotationFormatException(new SourceLocation(output),
            $"the size of image '{ImageName(image)}' for relative coordinates (from the ground truth, --images or --image-sizes)", "no size for it");

    /// <summary>A category's name.</summary>
    public string ClassName(int category) => Dataset.Categories[category].Name;

    /// <summary>The four numbers of a box in a layout; relative ones are checked to lie in [0, 1].</summary>
    public static void Numbers(BoxFormat format, DetectionEval.Matching.Box box, ImageSize? size, Span<double> values, string output, string what)
    {
        BoxLayout.FromBox(format, box, size, values);
        if (size is null) return;
        IReadOnlyList<string> names = BoxLayout.FieldNames(format);
        for (int i = 0; i < 4; i++)
        {
            if (!(values[i] >= 0 && values[i] <= 1))
            {
                throw new AnnotationFormatException(new SourceLocation(output), $"boxes inside their image for relative coordinates ({what})",
                    $"{names[i]} = {BoxLayout.Number(values[i])}", "Write pixels instead (--coords abs), or a format with pixel coordinates.");
            }
        }
    }
}
