using System.Globalization;
using System.Text;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Tests;

/// <summary>
/// COCO files whose image and annotation ids are strings, as pycocotools takes them: matched exactly,
/// images ranked in Python's sorted() order (by code point), one kind of image id per file.
/// </summary>
public sealed class StringIdTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-string-ids-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string content)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    /// <summary>Python's string order, written independently: compare the code points one by one.</summary>
    private static int PythonOrder(string a, string b)
    {
        int[] x = [.. a.EnumerateRunes().Select(r => r.Value)], y = [.. b.EnumerateRunes().Select(r => r.Value)];
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            if (x[i] != y[i]) return x[i].CompareTo(y[i]);
        }
        return x.Length.CompareTo(y.Length);
    }

    private static readonly string[] Texts =
    [
        "", "9", "10", "09", "a", "B", "b", "z", "\u00e9", "e\u0301", "\uFF21", "\U0001F600", "\U00010000", "\uD7FF", "\uE000", "a\u0000", "img_001", "img_01",
    ];

    [Fact]
    public void String_ids_sort_by_code_point_as_python_sorts_them()
    {
        foreach (string a in Texts)
        {
            foreach (string b in Texts)
            {
                Assert.True(Math.Sign(PythonOrder(a, b)) == Math.Sign(new RecordId(a).CompareTo(new RecordId(b))), $"'{a}' vs '{b}'");
            }
        }
        // Where UTF-16 order is not code-point order: U+FF21 is below U+1F600, whose first UTF-16 unit is 0xD83D.
        Assert.True(string.CompareOrdinal("\U0001F600", "\uFF21") < 0);
        Assert.True(new RecordId("\uFF21") < new RecordId("\U0001F600"));
        // Not culture order: "B" < "a" and "10" < "9".
        Assert.True(new RecordId("B") < new RecordId("a"));
        Assert.True(new RecordId("10") < new RecordId("9"));
    }

    [Fact]
    public void A_string_id_never_equals_a_number()
    {
        Assert.NotEqual(new RecordId("1"), new RecordId(1));
        Assert.NotEqual(new RecordId("01"), new RecordId("1"));
        Assert.Equal(new RecordId("1"), new RecordId("1"));
        Assert.Equal("1", new RecordId("1").ToString());
        Assert.Equal("\"1\"", new RecordId("1").Describe());
        Assert.Equal("1", new RecordId(1).Describe());
    }

    [Fact]
    public void Images_rank_in_code_point_order_of_their_string_ids()
    {
        string gt = Write("gt.json", """
            {"images": [{"id": "b"}, {"id": "9"}, {"id": "a"}, {"id": "10"}, {"id": "B"}],
             "annotations": [{"id": "x-1", "image_id": "9", "category_id": 1, "bbox": [0, 0, 2, 2]}],
             "categories": [{"id": 1, "name": "cat"}]}
            """);
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(gt, builder);
        Dataset dataset = builder.Build();
        string[] inRankOrder = new string[dataset.Images.Count];
        for (int i = 0; i < inRankOrder.Length; i++) inRankOrder[dataset.ImageRank(i)] = dataset.Images[i].Id.Text!;
        Assert.Equal(["10", "9", "B", "a", "b"], inRankOrder);
        Assert.Equal(new RecordId("x-1"), dataset.GroundTruth.AnnotationIds[0]);
        Assert.Equal(new RecordId("9"), dataset.Images[dataset.GroundTruth.Images[0]].Id);
    }

    [Fact]
    public void Integer_ids_written_as_strings_give_the_same_dataset_as_integers_when_their_order_agrees()
    {
        const string Template = """
            {"images": [{"id": I3}, {"id": I1}, {"id": I2}],
             "annotations": [{"id": A1, "image_id": I1, "category_id": 1, "bbox": [0, 0, 10, 10]},
                             {"id": A2, "image_id": I3, "category_id": 1, "bbox": [5, 5, 10, 10]}],
             "categories": [{"id": 1, "name": "cat"}]}
            """;
        static string Fill(string template, Func<int, string> image, Func<int, string> annotation) =>
            template.Replace("I1", image(1)).Replace("I2", image(2)).Replace("I3", image(3)).Replace("A1", annotation(1)).Replace("A2", annotation(2));
        var numbers = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Write("int.json", Fill(Template, i => i.ToString(CultureInfo.InvariantCulture), a => a.ToString(CultureInfo.InvariantCulture))), numbers);
        var strings = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Write("str.json", Fill(Template, i => $"\"img_{i:D3}\"", a => $"\"ann-{a}\"")), strings);
        Dataset a = numbers.Build(), b = strings.Build();
        Assert.NotEqual(GroundTruthFingerprint.Of(a), GroundTruthFingerprint.Of(b));
        for (int i = 0; i < a.Images.Count; i++) Assert.Equal(a.ImageRank(i), b.ImageRank(i));
        Assert.True(a.GroundTruth.Boxes.SequenceEqual(b.GroundTruth.Boxes));
        Assert.True(a.GroundTruth.Images.SequenceEqual(b.GroundTruth.Images));
    }

    [Fact]
    public void A_file_mixing_integer_and_string_image_ids_is_refused_with_the_reason()
    {
        string gt = Write("gt.json", """{"images": [{"id": 1}, {"id": "2"}], "annotations": [], "categories": []}""");
        var e = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadGroundTruth(gt, new DatasetBuilder()));
        Assert.Equal(
            $"{gt}:1:31: $.images[1].id: Expected an image id of the same kind as the first one (1, an integer), but got the string \"2\". "
            + "Image ids must be all integers or all strings: pycocotools sorts them, and Python cannot order a number and a string.",
            e.Message);
    }

    [Fact]
    public void A_results_image_id_of_the_other_kind_is_reported_with_why_it_does_not_match()
    {
        string gt = Write("gt.json", """{"images": [{"id": 1}], "annotations": [], "categories": [{"id": 1, "name": "cat"}]}""");
        string dt = Write("dt.json", """[{"image_id": "1", "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}]""");
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(gt, builder);
        var e = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadDetections(dt, builder));
        Assert.Equal(
            $"{dt}:1:15: $[0].image_id: Expected an image id listed in the ground truth's \"images\", but got \"1\". "
            + "The ground truth's image ids are integers (1, ...); \"1\" is a string, and an integer and a string never match.",
            e.Message);
    }

    [Fact]
    public void A_repeated_string_annotation_id_is_reported()
    {
        string gt = Write("gt.json", """
            {"images": [{"id": "a"}], "categories": [{"id": 1, "name": "cat"}],
             "annotations": [{"id": "k", "image_id": "a", "category_id": 1, "bbox": [0, 0, 1, 1]}, {"id": "k", "image_id": "a", "category_id": 1, "bbox": [0, 0, 1, 1]}]}
            """);
        var e = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadGroundTruth(gt, new DatasetBuilder()));
        Assert.Contains("$.annotations[1].id: Expected a unique annotation id, but got \"k\" again.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predictions_in_other_formats_name_an_image_by_its_string_id()
    {
        string gt = Write("gt.json", """
            {"images": [{"id": "cam1_frame7"}, {"id": "cam2_frame7"}], "categories": [{"id": 1, "name": "cat"}],
             "annotations": [{"id": 1, "image_id": "cam2_frame7", "category_id": 1, "bbox": [10, 10, 20, 20]}]}
            """);
        string predictions = Write("pred.csv", "image,class,x,y,w,h,score\ncam2_frame7,cat,10,10,20,20,0.9\ncam1_frame7.jpg,cat,0,0,5,5,0.4\n");
        Dataset dataset = AnnotationLoader.Load(new AnnotationInput(gt), new AnnotationInput(predictions), new LoadOptions()).Builder.Build();
        // Rows are grouped by image; in file order the first prediction is on cam2_frame7, the second (by its file name's stem) on cam1_frame7.
        int[] rowsInFileOrder = [.. Enumerable.Range(0, dataset.Detections.Count).OrderBy(r => dataset.Detections.InputPositions[r])];
        Assert.Equal(["cam2_frame7", "cam1_frame7"], rowsInFileOrder.Select(r => dataset.Images[dataset.Detections.Images[r]].Id.Text));
    }

    /// <summary>A ground truth of 40 string-id images and a pycocotools-style results list (json.dump's ", " and ": ") over them.</summary>
    private (string Gt, string Dt, int Detections) StringIdPair(string idPrefix = "img_")
    {
        var random = new Random(11);
        var images = new StringBuilder();
        var annotations = new StringBuilder();
        var results = new StringBuilder("[");
        int annotation = 0, detections = 0;
        for (int i = 0; i < 40; i++)
        {
            string id = $"{idPrefix}{i:D4}";
            images.Append(images.Length > 0 ? ", " : "").Append(CultureInfo.InvariantCulture, $"{{\"id\": \"{id}\", \"width\": 640, \"height\": 480}}");
            for (int k = 0; k < 3; k++)
            {
                annotations.Append(annotations.Length > 0 ? ", " : "").Append(CultureInfo.InvariantCulture,
                    $"{{\"id\": \"{id}-{annotation++}\", \"image_id\": \"{id}\", \"category_id\": {1 + (k % 2)}, \"bbox\": [{random.Next(400)}.0, {random.Next(300)}.0, {20 + random.Next(100)}.0, {20 + random.Next(100)}.0], \"area\": 100.0, \"iscrowd\": 0}}");
            }
            for (int k = 0; k < 5; k++)
            {
                results.Append(detections++ > 0 ? ", " : "").Append(CultureInfo.InvariantCulture,
                    $"{{\"image_id\": \"{id}\", \"category_id\": {(k == 2 ? 3 : 1 + (k % 2))}, \"bbox\": [{random.NextDouble() * 400:R}, {random.NextDouble() * 300:R}, {20 + random.NextDouble() * 100:R}, {20 + random.NextDouble() * 100:R}], \"score\": {Math.Round(random.NextDouble(), 3):R}}}");
            }
        }
        string gt = Write("gt.json", $"{{\"images\": [{images}], \"annotations\": [{annotations}], \"categories\": [{{\"id\": 1, \"name\": \"cat\"}}, {{\"id\": 2, \"name\": \"dog\"}}]}}");
        string dt = Write("dt.json", results.Append(']').ToString());
        return (gt, dt, detections);
    }

    private static DatasetBuilder GroundTruth(string gt)
    {
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(gt, builder);
        return builder;
    }

    /// <summary>The general reader alone (the stream overload never takes the fast path).</summary>
    private static Dataset General(string gt, string dt)
    {
        DatasetBuilder builder = GroundTruth(gt);
        using (FileStream stream = File.OpenRead(dt)) CocoJson.ReadDetections(stream, dt, builder);
        return builder.Build();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void The_fast_path_reads_string_image_ids_exactly_as_the_general_reader(int threads)
    {
        (string gt, string dt, int count) = StringIdPair();
        DatasetBuilder builder = GroundTruth(gt);
        Assert.True(CocoResultsFastPath.TryRead(dt, builder, threads, splitAbove: 0));
        Dataset fast = builder.Build(), general = General(gt, dt);
        Assert.Equal(count - count / 5, fast.Detections.Count);
        Assert.Equal(count / 5, fast.DetectionsOfUnknownCategories);
        Assert.True(general.Detections.Boxes.SequenceEqual(fast.Detections.Boxes));
        Assert.True(general.Detections.Scores.SequenceEqual(fast.Detections.Scores));
        Assert.True(general.Detections.Images.SequenceEqual(fast.Detections.Images));
        Assert.True(general.Detections.InputPositions.SequenceEqual(fast.Detections.InputPositions));
    }

    [Fact]
    public void The_spilled_fast_path_reads_string_image_ids()
    {
        (string gt, string dt, int count) = StringIdPair();
        DatasetBuilder builder = GroundTruth(gt);
        using var spill = new DetectionSpill(builder.ImageCount, 7, _folder);
        builder.SpillDetectionsTo(spill);
        Assert.True(CocoResultsFastPath.TryReadIntoSpill(dt, builder, 3));
        Assert.Equal(count - count / 5, builder.DetectionCount);
        Assert.Equal(count / 5, builder.DetectionsOfUnknownCategories);
    }

    [Theory]
    [InlineData("{\"image_id\": \"img_\\u0030001\", \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}", "an escape in the id")]
    [InlineData("{\"image_id\": \"img_0001\", \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}, {\"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}", "string and integer ids")]
    [InlineData("{\"image_id\": \"nope\", \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}", "an unknown image")]
    public void A_string_id_the_fast_path_does_not_expect_is_left_to_the_general_reader(string detections, string why)
    {
        (string gt, _, _) = StringIdPair();
        string dt = Write("odd.json", $"[{detections}]");
        DatasetBuilder builder = GroundTruth(gt);
        Assert.False(CocoResultsFastPath.TryRead(dt, builder, 1), why);
        Assert.Equal(0, builder.DetectionCount);
    }

    [Fact]
    public void An_escaped_string_id_names_the_same_image_through_the_general_reader()
    {
        (string gt, _, _) = StringIdPair();
        string dt = Write("escaped.json", "[{\"image_id\": \"img_\\u00300\\u00301\", \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]");
        DatasetBuilder builder = GroundTruth(gt);
        CocoJson.ReadDetections(dt, builder);
        Dataset dataset = builder.Build();
        Assert.Equal(new RecordId("img_0001"), dataset.Images[Assert.Single(dataset.Detections.Images.ToArray())].Id);
    }
}
