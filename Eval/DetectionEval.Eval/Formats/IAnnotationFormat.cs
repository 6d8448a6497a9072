using DetectionEval.Eval.Data;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/// <summary>
/// One annotation format: reads ground truth and/or predictions into a dataset, streaming its input,
/// and writes a dataset back. Every format gives the same numbers as the same boxes in COCO json.
/// </summary>
public interface IAnnotationFormat
{
    /// <summary>Which format this is.</summary>
    AnnotationFormat Format { get; }

    /// <summary>True when the format is a folder of files (one per image or per class) rather than one file.</summary>
    bool IsFolder { get; }

    /// <summary>Whether the format holds ground truth or predictions of the given role.</summary>
    bool Supports(AnnotationRole role);

    /// <summary>Reads ground truth from <paramref name="path"/>.</summary>
    /// <exception cref="AnnotationFormatException">The input is missing or not valid in this format.</exception>
    void ReadGroundTruth(string path, GroundTruthSink sink);

    /// <summary>Reads predictions from <paramref name="path"/>; the sink holds the ground truth.</summary>
    /// <exception cref="AnnotationFormatException">The input is missing or not valid in this format.</exception>
    void ReadPredictions(string path, PredictionSink sink);

    /// <summary>Writes the ground truth (or the detections) of <paramref name="dataset"/> to <paramref name="path"/>, atomically.</summary>
    /// <exception cref="AnnotationFormatException">The data cannot be expressed in this format (e.g. no image size for relative coordinates).</exception>
    /// <exception cref="IOException">The output cannot be written.</exception>
    void Write(Dataset dataset, AnnotationRole role, string path, WriteOptions options);
}

/// <summary>How a dataset is written.</summary>
public sealed record WriteOptions
{
    /// <summary>The box layout of the txt and CSV formats; null for the format's default (xyxy).</summary>
    public BoxFormat? BoxFormat { get; init; }

    /// <summary>Pixels or fractions of the image size, for the txt and CSV formats.</summary>
    public CoordinateSpace Coordinates { get; init; } = CoordinateSpace.Absolute;

    /// <summary>Image sizes for relative coordinates when the dataset does not carry them.</summary>
    public IImageSizeSource? ImageSizes { get; init; }

    /// <summary>Whether a folder output that exists and is not empty is replaced as a whole; a file output is always replaced.</summary>
    public bool Replace { get; init; }

    /// <summary>
    /// Whether YOLO, LabelMe and CVAT write an object's polygons (a YOLO segmentation line, a polygon shape)
    /// instead of its box; objects without polygons keep their box. COCO json always writes both.
    /// </summary>
    public bool Polygons { get; init; }

    /// <summary>Receives notes for the user, such as flags the format cannot carry.</summary>
    public Action<string>? Notice { get; init; }
}
