using System.Text;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.IO;
using DetectionEval.Matching;
using DetectionEval.Matching.Masks;

namespace DetectionEval.Eval.Tests;

/// <summary>COCO json's segmentation and keypoint fields: each form read, and malformed ones refused with file, location and what was expected.</summary>
public sealed class CocoSegmentationLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-segm-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string content)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    /// <summary>A 4 x 4 image with one annotation whose segmentation is <paramref name="segmentation"/>.</summary>
    private string GroundTruth(string segmentation, string image = """{"id": 1, "height": 4, "width": 4}""") => Write("gt.json", $$"""
        {"images": [{{image}}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2], "area": 4, "segmentation": {{segmentation}}}],
         "categories": [{"id": 1, "name": "a"}]}
        """);

    private static Dataset Read(string groundTruth, string? detections = null)
    {
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(groundTruth, builder);
        if (detections is not null) CocoJson.ReadDetections(detections, builder);
        return builder.Build();
    }

    [Fact]
    public void Polygons_are_rasterised_at_the_image_size()
    {
        Dataset dataset = Read(GroundTruth("[[0, 0, 0, 2, 2, 2, 2, 0], [1, 1, 1, 3, 3, 3, 3, 1]]"));
        RunLengthMask mask = dataset.GroundTruth.Shapes[0]!.Mask!;
        Assert.Equal((4, 4, 7L), (mask.Height, mask.Width, mask.Area));
    }

    [Fact]
    public void Uncompressed_and_compressed_rle_are_read_at_their_own_size()
    {
        Assert.Equal([0u, 2, 2, 2, 10], Read(GroundTruth("""{"size": [4, 4], "counts": [0, 2, 2, 2, 10]}""")).GroundTruth.Shapes[0]!.Mask!.Counts.ToArray());
        Assert.Equal([0u, 2, 2, 3, 2, 2, 5], Read(GroundTruth("""{"size": [4, 4], "counts": "02210O3"}""")).GroundTruth.Shapes[0]!.Mask!.Counts.ToArray());
    }

    [Fact]
    public void Results_without_boxes_take_the_mask_box_and_pixel_count()
    {
        string dt = Write("dt.json", """[{"image_id": 1, "category_id": 1, "segmentation": {"size": [4, 4], "counts": "02210O3"}, "score": 0.9}]""");
        Dataset dataset = Read(GroundTruth("[[0, 0, 0, 2, 2, 2, 2, 0]]"), dt);
        Assert.Equal(new Box(0, 0, 3, 3), dataset.Detections.Boxes[0]);
        Assert.Equal(7.0, dataset.Detections.Areas[0]);
    }

    [Fact]
    public void Results_with_boxes_first_keep_the_box_area()
    {
        string dt = Write("dt.json", """[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "segmentation": [[0, 0, 0, 2, 2, 2, 2, 0]], "score": 0.9}]""");
        Dataset dataset = Read(GroundTruth("[[0, 0, 0, 2, 2, 2, 2, 0]]"), dt);
        Assert.True(dataset.Detections.Areas.IsEmpty);
        Assert.Equal(4, dataset.Detections.Shapes[0]!.Mask!.Area);
    }

    [Theory]
    [InlineData("[]", "$.annotations[0].segmentation: Expected polygons [[x1, y1, x2, y2, ...], ...] or an RLE object {\"size\": [height, width], \"counts\": ...}, but got an empty list.")]
    [InlineData("[[1, 2]]", "$.annotations[0].segmentation[0]: Expected a polygon of at least 3 points (6 numbers), but got 2 numbers.")]
    [InlineData("[[0, 0, 3000000000, 0, 3000000000, 10, 0, 10]]", "$.annotations[0].segmentation[0][2]: Expected a polygon coordinate within ±1,000,000 pixels, but got 3000000000.")]
    [InlineData("[1, 2, 3, 4, 5, 6]", "Expected a polygon, a list of numbers [x1, y1, x2, y2, ...], but got the number 1. A segmentation is a list of polygons: wrap a single polygon in a second pair of brackets.")]
    [InlineData("""{"size": [4, 4], "counts": [3, 2]}""", "Expected run lengths that sum to height × width = 16, but got run lengths that sum to 5. The counts must cover every pixel of the mask's size, column by column.")]
    [InlineData("""{"size": [4, 4], "counts": "0 2"}""", "Expected compressed RLE counts (COCO's string encoding), but got the character ' ' at position 1 (compressed counts use '0' to 'o').")]
    [InlineData("""{"size": [4], "counts": "0"}""", "Expected the RLE size [height, width], two whole numbers of 0 or more, but got 1 number.")]
    [InlineData("""{"counts": [16]}""", "Expected an RLE object with \"size\" [height, width], but got an object without \"size\".")]
    [InlineData("\"abc\"", "Expected polygons [[x1, y1, x2, y2, ...], ...] or an RLE object {\"size\": [height, width], \"counts\": ...}, but got the string \"abc\".")]
    public void Malformed_segmentations_are_refused_with_their_location(string segmentation, string expected)
    {
        string path = GroundTruth(segmentation);
        var error = Assert.Throws<AnnotationFormatException>(() => Read(path));
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        Assert.EndsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Polygons_on_an_image_without_a_size_are_kept_out_of_box_runs_but_refused_by_segm()
    {
        string path = GroundTruth("[[0, 0, 0, 2, 2, 2, 2, 0]]", """{"id": 1}""");
        Dataset dataset = Read(path);
        Assert.Null(dataset.GroundTruth.Shapes[0]!.Mask);
        Assert.NotNull(Evaluations.Of(dataset).Coco);
        var error = Assert.Throws<AnnotationFormatException>(() => Evaluations.Of(dataset, new EvaluationOptions { IouTypes = [IouType.Segm] }));
        Assert.Equal("ground truth: annotation 1: Expected a \"segmentation\" on every ground truth (--iou-type segm measures masks), but got no mask: image 1 has no \"height\" and \"width\" to rasterise its polygons at.", error.Message);
    }

    [Fact]
    public void Mask_results_without_a_mask_later_in_the_file_are_refused()
    {
        string dt = Write("dt.json", """
            [{"image_id": 1, "category_id": 1, "segmentation": {"size": [4, 4], "counts": [16]}, "score": 0.9},
             {"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.8}]
            """);
        var error = Assert.Throws<AnnotationFormatException>(() => Read(GroundTruth("[[0, 0, 0, 2, 2, 2, 2, 0]]"), dt));
        Assert.EndsWith("Expected a detection with \"segmentation\", but got an object without \"segmentation\". The first result has no \"bbox\", so every result's area is its mask's pixel count (pycocotools' rule).", error.Message);
    }

    [Fact]
    public void Keypoints_must_come_in_triples()
    {
        string path = Write("gt.json", """
            {"images": [{"id": 1}], "categories": [{"id": 1, "name": "a"}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2], "keypoints": [1, 2, 2, 3]}]}
            """);
        var error = Assert.Throws<AnnotationFormatException>(() => Read(path));
        Assert.Contains("$.annotations[0].keypoints: Expected keypoints, a list of (x, y, v) triples [x1, y1, v1, x2, y2, v2, ...], but got 4 numbers, not a multiple of 3.", error.Message, StringComparison.Ordinal);
    }
}
