using System.Globalization;
using System.Text;
using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Tests;

public sealed class CocoJsonLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-loader-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string content)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    private const string SmallGroundTruth = """
        {"info": {"note": "skipped"}, "images": [{"id": 7, "file_name": "a.jpg", "width": 640, "height": 480}, {"id": 3}],
         "annotations": [{"id": 1, "image_id": 7, "category_id": 5, "bbox": [1, 2, 3, 4], "area": 10.5, "iscrowd": 0,
                          "segmentation": [[1, 2, 3, 4, 5, 6]]},
                         {"id": 2, "image_id": 3, "category_id": 1, "bbox": [0, 0, 2, 2], "iscrowd": 1, "difficult": true}],
         "categories": [{"id": 5, "name": "caf\u00e9 \"bar\""}, {"id": 1, "name": "person", "supercategory": "x"}]}
        """;

    [Fact]
    public void Ground_truth_fields_flags_and_categories_are_read()
    {
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Write("gt.json", SmallGroundTruth), builder);
        Dataset dataset = builder.Build();

        Assert.Equal([1L, 5L], dataset.Categories.Select(c => c.Id));
        Assert.Equal("café \"bar\"", dataset.Categories[1].Name);
        Assert.Equal(new ImageInfo(7, "a.jpg", 640, 480), dataset.Images[0]);
        Assert.Equal(2, dataset.GroundTruth.Count);
        // Grouped by image index: image 7 (index 0) first.
        Assert.Equal(new Box(1, 2, 3, 4), dataset.GroundTruth.Boxes[0]);
        Assert.Equal(10.5, dataset.GroundTruth.Areas[0]);
        Assert.Equal(GroundTruthFlags.Crowd | GroundTruthFlags.Difficult, dataset.GroundTruth.Flags[1]);
        Assert.Equal(4.0, dataset.GroundTruth.Areas[1]); // no area field: w * h
        Assert.Equal(0, dataset.ImageRank(1));
        Assert.Equal(1, dataset.ImageRank(0));
    }

    [Fact]
    public void Detections_of_unknown_categories_are_dropped_and_counted()
    {
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Write("gt.json", SmallGroundTruth), builder);
        CocoJson.ReadDetections(Write("dt.json", """
            [{"image_id": 7, "category_id": 5, "bbox": [1, 2, 3, 4], "score": 0.5, "id": 99, "area": -1},
             {"image_id": 3, "category_id": 42, "bbox": [1, 2, 3, 4], "score": 0.25}]
            """), builder);
        Assert.Equal(1, builder.DetectionCount);
        Assert.Equal(1, builder.DetectionsOfUnknownCategories);
        Assert.Equal([42L], builder.UnknownCategoryIds);
    }

    [Fact]
    public void A_dataset_file_can_serve_as_results_through_its_annotations_list()
    {
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Write("gt.json", SmallGroundTruth), builder);
        CocoJson.ReadDetections(Write("dt.json", """{"images": [], "annotations": [{"image_id": 7, "category_id": 5, "bbox": [1, 2, 3, 4], "score": 1}]}"""), builder);
        Assert.Equal(1, builder.DetectionCount);
    }

    [Fact]
    public void A_byte_order_mark_is_accepted()
    {
        string path = Path.Combine(_folder, "bom.json");
        File.WriteAllText(path, SmallGroundTruth, new UTF8Encoding(true));
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(path, builder);
        Assert.Equal(2, builder.GroundTruthCount);
    }

    [Fact]
    public void A_file_much_larger_than_the_read_buffer_streams_with_exact_values()
    {
        var random = new Random(5);
        var expected = new List<(long Image, double X, double Score)>();
        var json = new StringBuilder("[\n");
        for (int i = 0; i < 60_000; i++)
        {
            long image = i % 2 == 0 ? 7 : 3;
            double x = random.NextDouble() * 1000, score = random.NextDouble();
            expected.Add((image, x, score));
            json.Append(CultureInfo.InvariantCulture, $"{{\"image_id\": {image}, \"category_id\": 1, \"bbox\": [{x:R}, 1.5, 2, 3], \"score\": {score:R}}}");
            json.Append(i + 1 < 60_000 ? ",\n" : "\n]");
        }
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Write("gt.json", SmallGroundTruth), builder);
        CocoJson.ReadDetections(Write("dt.json", json.ToString()), builder);
        Dataset dataset = builder.Build();

        Assert.Equal(60_000, dataset.Detections.Count);
        for (int row = 0; row < dataset.Detections.Count; row++)
        {
            var e = expected[dataset.Detections.InputPositions[row]];
            Assert.Equal(e.X, dataset.Detections.Boxes[row].X);
            Assert.Equal(e.Score, dataset.Detections.Scores[row]);
            Assert.Equal(e.Image, dataset.Images[dataset.Detections.Images[row]].Id);
        }
    }

    [Fact]
    public void An_error_deep_in_a_large_file_reports_its_absolute_line_and_json_path()
    {
        var json = new StringBuilder("[\n");
        for (int i = 0; i < 30_000; i++) json.Append("{\"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5},\n");
        json.Append("{\"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 2, 3], \"score\": 0.5}\n]");
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Write("gt.json", SmallGroundTruth), builder);
        string path = Write("dt.json", json.ToString());

        var error = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadDetections(path, builder));
        Assert.Equal(30_002, error.Location.Line);
        Assert.Equal("$[30000].bbox", error.Location.Path);
        Assert.Equal("3 numbers", error.Found);
    }

    [Fact]
    public void A_syntax_error_deep_in_a_large_file_reports_its_absolute_line()
    {
        var json = new StringBuilder("[\n");
        for (int i = 0; i < 30_000; i++) json.Append("{\"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5},\n");
        json.Append("{\"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": NaN}\n]");
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Write("gt.json", SmallGroundTruth), builder);
        string path = Write("dt.json", json.ToString());

        var error = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadDetections(path, builder));
        Assert.Equal(30_002, error.Location.Line);
        Assert.Equal("$[30000].score", error.Location.Path);
        Assert.Equal("valid JSON", error.Expected);
    }

    [Fact]
    public void Annotations_may_come_before_images_and_categories()
    {
        const string reordered = """
            {"annotations": [{"id": 1, "image_id": 7, "category_id": 5, "bbox": [1, 2, 3, 4]}],
             "categories": [{"id": 5, "name": "a"}], "images": [{"id": 7}]}
            """;
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Write("gt.json", reordered), builder);
        Assert.Equal(1, builder.GroundTruthCount);
    }

    [Fact]
    public void The_streamed_reader_agrees_with_a_document_parse_on_every_reference_case()
    {
        foreach (string caseName in ReferenceData.CocoJsonCases())
        {
            Dataset dataset = GoldenParityTests.LoadCase(caseName);
            using JsonDocument dt = JsonDocument.Parse(File.ReadAllBytes(ReferenceData.Case(Path.Combine(caseName, "dt.json"))));
            JsonElement list = dt.RootElement.ValueKind == JsonValueKind.Array ? dt.RootElement : dt.RootElement.GetProperty("annotations");
            HashSet<long> known = [.. dataset.Categories.Select(c => c.Id)];
            // Input positions count the detections that were kept, in file order.
            JsonElement[] items = [.. list.EnumerateArray().Where(d => known.Contains(d.GetProperty("category_id").GetInt64()))];
            Assert.Equal(items.Length, dataset.Detections.Count);
            for (int row = 0; row < dataset.Detections.Count; row++)
            {
                JsonElement item = items[dataset.Detections.InputPositions[row]];
                JsonElement bbox = item.GetProperty("bbox");
                Assert.Equal(item.GetProperty("score").GetDouble(), dataset.Detections.Scores[row]);
                Assert.Equal(bbox[0].GetDouble(), dataset.Detections.Boxes[row].X);
                Assert.Equal(bbox[3].GetDouble(), dataset.Detections.Boxes[row].Height);
            }
        }
    }
}
