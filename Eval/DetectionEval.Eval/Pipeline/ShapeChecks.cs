using System.Globalization;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Pipeline;

// What a mask or keypoint evaluation needs from every object, checked once before matching, so that a
// missing mask is one clear input error naming the object rather than a failure halfway through.
// pycocotools itself stops with a KeyError in these cases; a detection without a mask is its box's
// polygon (loadRes), which needs its image's size.

/// <summary>Checks that the dataset holds what an iou type measures.</summary>
internal static class ShapeChecks
{
    /// <exception cref="AnnotationFormatException">A ground truth or detection lacks its mask or keypoints.</exception>
    public static void Require(Dataset dataset, IouType iouType, EvaluationOptions options, string groundTruth, string predictions)
    {
        switch (iouType)
        {
            case IouType.Segm:
                RequireMasks(dataset, groundTruth, predictions);
                break;
            case IouType.Keypoints:
                RequireKeypoints(dataset, options.SigmasOrCoco.Count, groundTruth, predictions);
                break;
        }
    }

    private static void RequireMasks(Dataset dataset, string groundTruth, string predictions)
    {
        GroundTruthTable gt = dataset.GroundTruth;
        for (int row = 0; row < gt.Count; row++)
        {
            if (!gt.Shapes.IsEmpty && gt.Shapes[row]?.Mask is not null) continue;
            ImageInfo image = dataset.Images[gt.Images[row]];
            bool hasPolygon = !gt.Shapes.IsEmpty && gt.Shapes[row] is not null;
            throw new AnnotationFormatException(
                new SourceLocation(groundTruth, Path: $"annotation {gt.AnnotationIds[row].Describe()}"),
                "a \"segmentation\" on every ground truth (--iou-type segm measures masks)",
                hasPolygon || image.Height is null || image.Width is null
                    ? $"no mask: image {image.Id.Describe()} has no \"height\" and \"width\" to rasterise its polygons at"
                    : "an annotation without \"segmentation\"");
        }
        DetectionTable dt = dataset.Detections;
        for (int row = 0; row < dt.Count; row++)
        {
            if (!dt.Shapes.IsEmpty && dt.Shapes[row]?.Mask is not null) continue;
            ImageInfo image = dataset.Images[dt.Images[row]];
            if (image.Height is not null && image.Width is not null) continue;
            throw new AnnotationFormatException(
                new SourceLocation(predictions, Path: $"detection {Ordinal(dt.InputPositions[row])} (image {image.Id.Describe()})"),
                $"a \"segmentation\", or a \"height\" and \"width\" on image {image.Id.Describe()} to rasterise its box at",
                "neither",
                "A result without a mask is its box's polygon, as pycocotools' loadRes makes it.");
        }
    }

    private static void RequireKeypoints(Dataset dataset, int keypoints, string groundTruth, string predictions)
    {
        string expected = string.Create(CultureInfo.InvariantCulture, $"{keypoints * 3} keypoint values ({keypoints} (x, y, v) triples, one per sigma)");
        const string Hint = "--kpt-sigmas gives one sigma per keypoint; COCO's 17 person keypoints are the default.";
        GroundTruthTable gt = dataset.GroundTruth;
        for (int row = 0; row < gt.Count; row++)
        {
            double[]? values = gt.Shapes.IsEmpty ? null : gt.Shapes[row]?.Keypoints;
            if (values?.Length == keypoints * 3) continue;
            throw new AnnotationFormatException(
                new SourceLocation(groundTruth, Path: $"annotation {gt.AnnotationIds[row].Describe()}"),
                expected, values is null ? "an annotation without \"keypoints\"" : Counting.Of(values.Length, "value"), Hint);
        }
        DetectionTable dt = dataset.Detections;
        for (int row = 0; row < dt.Count; row++)
        {
            double[]? values = dt.Shapes.IsEmpty ? null : dt.Shapes[row]?.Keypoints;
            if (values?.Length == keypoints * 3) continue;
            ImageInfo image = dataset.Images[dt.Images[row]];
            throw new AnnotationFormatException(
                new SourceLocation(predictions, Path: $"detection {Ordinal(dt.InputPositions[row])} (image {image.Id.Describe()})"),
                expected, values is null ? "a result without \"keypoints\"" : Counting.Of(values.Length, "value"), Hint);
        }
    }

    /// <summary>A detection's number, counted from 1 in the order read.</summary>
    private static string Ordinal(int position) => (position + 1).ToString(CultureInfo.InvariantCulture);
}
