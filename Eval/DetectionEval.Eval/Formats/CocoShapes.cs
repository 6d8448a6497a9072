using System.Globalization;
using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.IO;
using DetectionEval.Matching;
using DetectionEval.Matching.Masks;

namespace DetectionEval.Eval.Formats;

// COCO json's `segmentation` and `keypoints` values, read as pycocotools takes them (COCO.annToRLE,
// mask.frPyObjects): polygons (a list of flat [x1, y1, x2, y2, ...] lists, rasterised at the image's height
// and width; read as boxes [x, y, w, h] when the first one has exactly 4 numbers), uncompressed RLE
// ({"size": [h, w], "counts": [integers]}) and compressed RLE ({"size": [h, w], "counts": "string"}),
// both at their own size. Keypoints are flat (x, y, v) triples.

/// <summary>A segmentation as read, before polygons meet their image's size.</summary>
internal abstract record PendingSegmentation(long Offset, string Path)
{
    /// <summary>Polygons (or boxes, pycocotools' 4-number rule) that need the image's height and width.</summary>
    public sealed record Polygons(List<double[]> Values, bool AsBoxes, long Offset, string Path) : PendingSegmentation(Offset, Path);

    /// <summary>A run-length mask, complete with its own size.</summary>
    public sealed record Rle(RunLengthMask Mask, long Offset, string Path) : PendingSegmentation(Offset, Path);
}

/// <summary>Reads COCO's segmentation and keypoint values.</summary>
internal static class CocoShapes
{
    private const string SegmentationShape =
        "polygons [[x1, y1, x2, y2, ...], ...] or an RLE object {\"size\": [height, width], \"counts\": ...}";

    /// <summary>Reads the value of a <c>segmentation</c> property; null for a JSON null.</summary>
    public static PendingSegmentation? ReadSegmentation(JsonStreamReader json)
    {
        json.ReadExpecting(SegmentationShape);
        long offset = json.CurrentOffset;
        return json.TokenType switch
        {
            JsonTokenType.Null => null,
            // Only polygons need the path later (for an image without a size); an RLE is complete as read.
            JsonTokenType.StartArray => ReadPolygons(json, offset, json.CurrentPath),
            JsonTokenType.StartObject => new PendingSegmentation.Rle(ReadRle(json), offset, ""),
            _ => throw json.Error(SegmentationShape),
        };
    }

    private static PendingSegmentation.Polygons ReadPolygons(JsonStreamReader json, long offset, string path)
    {
        var polygons = new List<double[]>();
        while (true)
        {
            json.ReadExpecting("a polygon [x1, y1, x2, y2, ...] or the end of the list");
            if (json.TokenType == JsonTokenType.EndArray) break;
            if (json.TokenType != JsonTokenType.StartArray)
            {
                throw json.Error("a polygon, a list of numbers [x1, y1, x2, y2, ...]", null,
                    json.TokenType == JsonTokenType.Number ? "A segmentation is a list of polygons: wrap a single polygon in a second pair of brackets." : null);
            }
            var values = new List<double>();
            while (true)
            {
                json.ReadExpecting("a number or the end of the polygon");
                if (json.TokenType == JsonTokenType.EndArray) break;
                if (json.TokenType != JsonTokenType.Number) throw json.Error("a number in the polygon");
                double value = json.GetDouble();
                if (!double.IsFinite(value)) throw json.Error("a finite number", json.DescribeToken());
                if (PolygonShapes.CoordinateProblem(value) is { } far) throw json.Error(PolygonShapes.CoordinateRange, far);
                values.Add(value);
            }
            // pycocotools reads the whole list by its first polygon: 4 numbers are boxes, more are polygons,
            // fewer are refused (frPyObjects: "input type is not supported").
            if (polygons.Count == 0 && values.Count < 4)
            {
                throw json.Error("a polygon of at least 3 points (6 numbers)", Counting.Of(values.Count, "number"));
            }
            polygons.Add([.. values]);
        }
        if (polygons.Count == 0) throw json.ErrorAt(offset, path, SegmentationShape, "an empty list");
        return new PendingSegmentation.Polygons(polygons, polygons[0].Length == 4, offset, path);
    }

    private static RunLengthMask ReadRle(JsonStreamReader json)
    {
        const string SizeShape = "the RLE size [height, width], two whole numbers of 0 or more";
        int? height = null, width = null;
        uint[]? counts = null;
        long countsOffset = 0;
        string countsPath = "";
        while (json.NextProperty())
        {
            if (json.ValueEquals("size"u8))
            {
                json.ReadExpecting(SizeShape);
                if (json.TokenType != JsonTokenType.StartArray) throw json.Error(SizeShape);
                var size = new List<int>();
                while (true)
                {
                    json.ReadExpecting(SizeShape);
                    if (json.TokenType == JsonTokenType.EndArray) break;
                    if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long v) || v < 0 || v > int.MaxValue || size.Count == 2)
                    {
                        throw json.Error(SizeShape);
                    }
                    size.Add((int)v);
                }
                if (size.Count != 2) throw json.Error(SizeShape, Counting.Of(size.Count, "number"));
                (height, width) = (size[0], size[1]);
            }
            else if (json.ValueEquals("counts"u8))
            {
                const string CountsShape = "RLE counts: a compressed string or a list of whole numbers of 0 or more";
                json.ReadExpecting(CountsShape);
                countsOffset = json.CurrentOffset;
                // The path is built only where the sum is checked after the object (counts before size).
                countsPath = height is null ? json.CurrentPath : "";
                if (json.TokenType == JsonTokenType.String)
                {
                    // The common case, without escapes, is decoded from the reader's bytes without a string.
                    bool valid = json.TryGetUnescapedUtf8(out ReadOnlySpan<byte> utf8)
                        ? CompressedCounts.TryDecode(utf8, out counts, out string? problem)
                        : CompressedCounts.TryDecode(json.GetString(), out counts, out problem);
                    if (!valid) throw json.Error("compressed RLE counts (COCO's string encoding)", problem);
                }
                else if (json.TokenType == JsonTokenType.StartArray)
                {
                    var list = new List<uint>();
                    while (true)
                    {
                        json.ReadExpecting("a count or the end of the counts");
                        if (json.TokenType == JsonTokenType.EndArray) break;
                        if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long v) || v < 0 || v > uint.MaxValue)
                        {
                            throw json.Error("a run length, a whole number from 0 to 4294967295");
                        }
                        list.Add((uint)v);
                    }
                    counts = [.. list];
                }
                else
                {
                    throw json.Error(CountsShape);
                }
                if (height is int hh && width is int ww) RequireFullCounts(json, counts!, hh, ww, countsOffset, null);
            }
            else
            {
                json.Skip();
            }
        }
        if (height is not int h || width is not int w) throw json.Error("an RLE object with \"size\" [height, width]", "an object without \"size\"");
        if (counts is null) throw json.Error("an RLE object with \"counts\"", "an object without \"counts\"");
        if (countsPath.Length > 0) RequireFullCounts(json, counts, h, w, countsOffset, countsPath);
        return RunLengthMask.FromCheckedCounts(h, w, counts);
    }

    /// <summary>
    /// Rule: the run lengths cover the mask's height × width exactly. They were read at <paramref name="offset"/>;
    /// <paramref name="path"/> is their JSON path, or null while the reader is still on them.
    /// </summary>
    private static void RequireFullCounts(JsonStreamReader json, uint[] counts, int h, int w, long offset, string? path)
    {
        long sum = 0;
        foreach (uint c in counts) sum += c;
        if (sum == (long)h * w) return;
        string expected = string.Create(CultureInfo.InvariantCulture, $"run lengths that sum to height × width = {(long)h * w}");
        string found = string.Create(CultureInfo.InvariantCulture, $"run lengths that sum to {sum}");
        const string Hint = "The counts must cover every pixel of the mask's size, column by column.";
        throw json.ErrorAt(offset, path ?? json.CurrentPath, expected, found, Hint);
    }

    /// <summary>
    /// The mask of a segmentation on <paramref name="image"/>: polygons rasterised at the image's height and
    /// width (their union), boxes as their corners, an RLE as it is. Without the image's size, polygons
    /// give null when <paramref name="required"/> is false (a box evaluation never needs them), else an error.
    /// </summary>
    public static RunLengthMask? Resolve(PendingSegmentation segmentation, ImageInfo image, JsonStreamReader json, bool required)
    {
        switch (segmentation)
        {
            case PendingSegmentation.Rle rle:
                return rle.Mask;
            case PendingSegmentation.Polygons polygons:
                if (image.Height is not int h || image.Width is not int w)
                {
                    if (!required) return null;
                    throw json.ErrorAt(polygons.Offset, polygons.Path,
                        $"a \"height\" and a \"width\" on image {image.Id.Describe()} in \"images\"",
                        "an image without them",
                        "Polygons are rasterised at their image's size, as pycocotools does.");
                }
                if (!polygons.AsBoxes) return PolygonRaster.FromPolygons(polygons.Values, h, w);
                var boxes = new RunLengthMask[polygons.Values.Count];
                for (int i = 0; i < boxes.Length; i++)
                {
                    double[] b = polygons.Values[i];
                    // frPyObjects' box rule reads each entry as [x, y, w, h] (a shorter one is refused by pycocotools).
                    if (b.Length < 4) throw json.ErrorAt(polygons.Offset, $"{polygons.Path}[{i}]", "a box [x, y, width, height] (the first entry has 4 numbers)", Counting.Of(b.Length, "number"));
                    boxes[i] = PolygonRaster.FromBox(new Box(b[0], b[1], b[2], b[3]), h, w);
                }
                return boxes.Length == 1 ? boxes[0] : MaskRules.Union(boxes);
            default:
                throw new ArgumentException("Unknown segmentation.", nameof(segmentation));
        }
    }

    /// <summary>The polygons of a segmentation as written, for writers; null for an RLE, boxes or none.</summary>
    public static IReadOnlyList<double[]>? PolygonsOf(PendingSegmentation? segmentation) =>
        segmentation is PendingSegmentation.Polygons { AsBoxes: false } polygons ? polygons.Values : null;

    /// <summary>Reads a <c>keypoints</c> value: flat (x, y, v) triples of finite numbers; null for a JSON null.</summary>
    public static double[]? ReadKeypoints(JsonStreamReader json)
    {
        const string Shape = "keypoints, a list of (x, y, v) triples [x1, y1, v1, x2, y2, v2, ...]";
        json.ReadExpecting(Shape);
        if (json.TokenType == JsonTokenType.Null) return null;
        if (json.TokenType != JsonTokenType.StartArray) throw json.Error(Shape);
        var values = new List<double>();
        while (true)
        {
            json.ReadExpecting("a number or the end of the keypoints");
            if (json.TokenType == JsonTokenType.EndArray) break;
            if (json.TokenType != JsonTokenType.Number) throw json.Error("a number in the keypoints");
            double value = json.GetDouble();
            if (!double.IsFinite(value)) throw json.Error("a finite number", json.DescribeToken());
            values.Add(value);
        }
        if (values.Count % 3 != 0) throw json.Error(Shape, $"{Counting.Of(values.Count, "number")}, not a multiple of 3", atEnd: false);
        return [.. values];
    }
}
