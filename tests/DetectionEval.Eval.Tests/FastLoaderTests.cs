using System.Globalization;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Synthetic;
using DetectionEval.Eval.IO;
using DetectionEval.Matching.Masks;

namespace DetectionEval.Eval.Tests;

/// <summary>The fast path for results files must give exactly what the general reader gives, or step aside.</summary>
public sealed class FastLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-fast-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private (string Gt, string Dt) Synth(int images, ulong seed)
    {
        string gt = Path.Combine(_folder, $"gt{seed}.json"), dt = Path.Combine(_folder, $"dt{seed}.json");
        using (var g = File.Create(gt))
        using (var d = File.Create(dt))
        {
            SyntheticCoco.Write(new SynthSettings(images, 7, seed), g, d);
        }
        return (gt, dt);
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

    private static void AssertSameDetections(Dataset expected, Dataset actual)
    {
        Assert.Equal(expected.Detections.Count, actual.Detections.Count);
        Assert.Equal(expected.DetectionsOfUnknownCategories, actual.DetectionsOfUnknownCategories);
        Assert.True(expected.Detections.Boxes.SequenceEqual(actual.Detections.Boxes));
        Assert.True(expected.Detections.Scores.SequenceEqual(actual.Detections.Scores));
        Assert.True(expected.Detections.InputPositions.SequenceEqual(actual.Detections.InputPositions));
        Assert.True(expected.Detections.Images.SequenceEqual(actual.Detections.Images));
        Assert.True(expected.Detections.Categories.SequenceEqual(actual.Detections.Categories));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void Reading_in_segments_gives_exactly_what_the_general_reader_gives(int threads)
    {
        (string gt, string dt) = Synth(150, 4);
        DatasetBuilder builder = GroundTruth(gt);
        Assert.True(CocoResultsFastPath.TryRead(dt, builder, threads, splitAbove: 0));
        AssertSameDetections(General(gt, dt), builder.Build());
    }

    /// <summary>The same masks (run lengths and size) and areas as the general reader's, detection for detection.</summary>
    private static void AssertSameMasks(Dataset expected, Dataset actual)
    {
        Assert.Equal(expected.Detections.Areas.ToArray(), actual.Detections.Areas.ToArray());
        Assert.Equal(expected.Detections.Shapes.Length, actual.Detections.Shapes.Length);
        for (int i = 0; i < expected.Detections.Shapes.Length; i++)
        {
            RunLengthMask? e = expected.Detections.Shapes[i]?.Mask, a = actual.Detections.Shapes[i]?.Mask;
            Assert.Equal(e is null, a is null);
            if (e is null || a is null) continue;
            Assert.Equal((e.Height, e.Width), (a.Height, a.Width));
            Assert.True(e.Counts.SequenceEqual(a.Counts), $"detection {i}: other run lengths");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void Mask_results_read_in_segments_give_exactly_what_the_general_reader_gives(int threads)
    {
        string gt = Path.Combine(_folder, "gt.json"), dt = Path.Combine(_folder, "dt.json");
        using (var g = File.Create(gt))
        using (var d = File.Create(dt))
        {
            SyntheticCoco.Write(new SynthSettings(60, 7, 5) { Segm = true }, g, d);
        }
        DatasetBuilder builder = GroundTruth(gt);
        Assert.True(CocoResultsFastPath.TryRead(dt, builder, threads, splitAbove: 0));
        Dataset expected = General(gt, dt), actual = builder.Build();
        AssertSameDetections(expected, actual);
        AssertSameMasks(expected, actual);
        Assert.Equal(expected.Detections.Count, actual.Detections.Shapes.ToArray().Count(s => s?.Mask is not null));
    }

    [Theory]
    [InlineData("reference/protocols/coco_val2014_100_segm", "compressed counts with escaped backslashes, no bbox: areas and boxes from the masks")]
    [InlineData("masks/m1_masks_without_boxes", "no bbox, masks of a few pixels")]
    public void Mask_results_of_the_reference_cases_take_the_fast_path_and_read_as_the_general_reader(string folder, string what)
    {
        string gt = Path.Combine(ReferenceData.RepositoryRoot, "tests", "data", folder, "gt.json");
        string dt = Path.Combine(ReferenceData.RepositoryRoot, "tests", "data", folder, "dt.json");
        DatasetBuilder builder = GroundTruth(gt);
        Assert.True(CocoResultsFastPath.TryRead(dt, builder, 4, splitAbove: 0), what);
        Dataset expected = General(gt, dt), actual = builder.Build();
        AssertSameDetections(expected, actual);
        AssertSameMasks(expected, actual);
    }

    [Theory]
    [InlineData("{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5, \"id\": 7}", "another key")]
    [InlineData("{\"image_id\": 1.0, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}", "an id written as 1.0")]
    [InlineData("{\"image\\u005fid\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}", "an escaped key")]
    [InlineData("{\"image_id\": 1, \"category_id\": 99, \"bbox\": [1, 2, 3, 4], \"score\": 1e400}", "a score that overflows")]
    [InlineData("{\"image_id\": 1, \"category_id\": 1, \"segmentation\": {\"size\": [2, 2], \"counts\": [1, 3]}, \"score\": 0.5}", "counts as a list")]
    [InlineData("{\"image_id\": 1, \"category_id\": 1, \"segmentation\": [[1, 1, 2, 1, 2, 2]], \"score\": 0.5}", "a polygon")]
    [InlineData("{\"image_id\": 1, \"category_id\": 1, \"segmentation\": {\"size\": [2, 2], \"counts\": \"12\"}, \"score\": 0.5}", "counts that do not cover the mask")]
    [InlineData("{\"image_id\": 1, \"category_id\": 1, \"segmentation\": {\"size\": [2, 2], \"counts\": \"1\\u0033\"}, \"score\": 0.5}", "an escape other than a backslash")]
    [InlineData("{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}, {\"image_id\": 1, \"category_id\": 1, \"segmentation\": {\"size\": [2, 2], \"counts\": \"04\"}, \"score\": 0.5}", "a result without a bbox after one with")]
    [InlineData("{\"image_id\": 1, \"category_id\": 1, \"segmentation\": {\"size\": [2, 2], \"counts\": \"04\"}, \"score\": 0.5}, {\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}", "a result without a segmentation after one without a bbox")]
    [InlineData("{\"image_id\": 1, \"category_id\": 1, \"keypoints\": [1, 2, 2], \"score\": 0.5}", "keypoints")]
    public void A_file_the_fast_path_does_not_expect_is_left_to_the_general_reader(string detections, string why)
    {
        string gt = Path.Combine(_folder, "gt.json"), dt = Path.Combine(_folder, "dt.json");
        File.WriteAllText(gt, "{\"images\": [{\"id\": 1}], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"a\"}]}");
        File.WriteAllText(dt, $"[{detections}]");
        DatasetBuilder builder = GroundTruth(gt);
        Assert.False(CocoResultsFastPath.TryRead(dt, builder, 1), why);
        Assert.Equal(0, builder.DetectionCount);
    }

    [Fact]
    public void Files_the_fast_path_leaves_alone_load_the_same_through_the_public_reader()
    {
        string gt = Path.Combine(_folder, "gt.json"), dt = Path.Combine(_folder, "dt.json");
        File.WriteAllText(gt, "{\"images\": [{\"id\": 1}, {\"id\": 2}], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"a\"}]}");
        File.WriteAllText(dt, "\uFEFF[{\"score\": 0.25, \"bbox\": [0.5, 1E1, 3, 4], \"category_id\": 1, \"image_id\": 2, \"extra\": [1, {\"a\": null}]},\n {\"image_id\": 1, \"category_id\": 5, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]");
        DatasetBuilder builder = GroundTruth(gt);
        CocoJson.ReadDetections(dt, builder);
        Dataset dataset = builder.Build();
        Assert.Equal(1, dataset.Detections.Count);
        Assert.Equal(1, dataset.DetectionsOfUnknownCategories);
        Assert.Equal(10.0, dataset.Detections.Boxes[0].Y);
        AssertSameDetections(General(gt, dt), dataset);
    }

    [Theory]
    [InlineData("[]", true)]
    [InlineData("  [ \n ] \n", true)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5},]", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}] x", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, -3, 4], \"score\": 0.5}]", false)]
    [InlineData("[{\"image_id\": 2, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 01}]", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}", false)]
    public void The_fast_path_accepts_only_valid_files(string content, bool accepted)
    {
        string gt = Path.Combine(_folder, "gt.json"), dt = Path.Combine(_folder, "dt.json");
        File.WriteAllText(gt, "{\"images\": [{\"id\": 1}], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"a\"}]}");
        File.WriteAllText(dt, content);
        Assert.Equal(accepted, CocoResultsFastPath.TryRead(dt, GroundTruth(gt), 1));
    }

    [Fact]
    public void Reading_both_files_together_equals_reading_them_one_after_the_other()
    {
        (string gt, string dt) = Synth(60, 9);
        var together = new DatasetBuilder();
        CocoJson.ReadGroundTruthAndDetections(gt, dt, together);
        AssertSameDetections(General(gt, dt), together.Build());
    }

    [Fact]
    public void The_format_loader_reads_a_coco_pair_exactly_as_the_readers_do()
    {
        (string gt, string dt) = Synth(60, 10);
        LoadedAnnotations loaded = AnnotationLoader.Load(new AnnotationInput(gt), new AnnotationInput(dt), new LoadOptions());
        Assert.Equal(AnnotationFormat.Coco, loaded.Predictions!.Format);
        AssertSameDetections(General(gt, dt), loaded.Builder.Build());
    }

    [Fact]
    public void Reading_both_files_together_reports_the_ground_truths_error_first()
    {
        string gt = Path.Combine(_folder, "gt.json"), dt = Path.Combine(_folder, "dt.json");
        File.WriteAllText(gt, "{\"images\": [{\"id\": 1}], \"annotations\": [], \"categories\": [{\"id\": \"x\"}]}");
        File.WriteAllText(dt, "[{\"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]");
        var error = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadGroundTruthAndDetections(gt, dt, new DatasetBuilder()));
        Assert.Equal(gt, error.Location.File);
        File.WriteAllText(gt, "{\"images\": [{\"id\": 1}], \"annotations\": [], \"categories\": [{\"id\": 1}]}");
        error = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadGroundTruthAndDetections(gt, dt, new DatasetBuilder()));
        Assert.Equal(dt, error.Location.File);
        Assert.Equal("$[0].image_id", error.Location.Path);
        error = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadGroundTruthAndDetections(gt, Path.Combine(_folder, "missing.json"), new DatasetBuilder()));
        Assert.Equal("no such file", error.Found);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_second_results_file_read_into_the_same_builder_follows_the_first_as_the_general_reader_reads_them(int threads)
    {
        // The first file's columns become the builder's (it has no detections yet); the second's are appended to them.
        // Both hold detections of a category the ground truth lacks, dropped and counted.
        (string gt, string dt) = Synth(150, 5);
        string unknown = Path.Combine(_folder, "unknown.json");
        File.WriteAllText(unknown, File.ReadAllText(dt).Replace("\"category_id\": 3,", "\"category_id\": 999,", StringComparison.Ordinal));
        DatasetBuilder scanned = GroundTruth(gt);
        Assert.True(CocoResultsFastPath.TryRead(unknown, scanned, threads, splitAbove: 0));
        Assert.True(CocoResultsFastPath.TryRead(dt, scanned, threads, splitAbove: 0));
        DatasetBuilder general = GroundTruth(gt);
        using (FileStream stream = File.OpenRead(unknown)) CocoJson.ReadDetections(stream, unknown, general);
        using (FileStream stream = File.OpenRead(dt)) CocoJson.ReadDetections(stream, dt, general);
        Dataset expected = general.Build();
        Assert.True(expected.DetectionsOfUnknownCategories > 0);
        AssertSameDetections(expected, scanned.Build());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Numbers_of_every_shape_read_by_the_scanner_are_the_general_readers_doubles(int threads)
    {
        // Short decimals take the scanner's one-pass conversion; exponents, long significands, leading zeros after the
        // point and numbers cut by a segment's end take the grammar and FastDecimal.Parse. Each must be double.Parse's value.
        string gt = Path.Combine(_folder, "gt.json"), dt = Path.Combine(_folder, "dt.json");
        File.WriteAllText(gt, "{\"images\": [{\"id\": 1}, {\"id\": 123456789012345678}, {\"id\": -7}], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"a\"}, {\"id\": 0, \"name\": \"b\"}]}");
        var random = new Xoshiro256StarStar(20261203, 0);
        string[] shapes =
        [
            "0", "-0", "1", "0.1", "0.3", "123.45", "-17.5", "4.35", "0.000001", "0.00000000000000000000001", "9007199254740993",
            "9007199254740992", "12345678901234567890", "0.1234567890123456789", "1234567890123456789.5", "1e22", "1E+2", "-17.5e-3",
            "99999999999999999999999", "0.99999999999999999999",
        ];
        string[] ids = ["1", "123456789012345678", "-7"];
        var text = new System.Text.StringBuilder("[");
        for (int i = 0; i < 4000; i++)
        {
            string Number(bool nonNegative)
            {
                string shape;
                if (random.Chance(0.3)) shape = shapes[random.NextInt(shapes.Length)];
                else
                {
                    long mantissa = (long)(random.NextUInt64() >> (1 + random.NextInt(63)));
                    int decimals = random.NextInt(22);
                    string digits = mantissa.ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
                    shape = decimals == 0 ? digits : digits[..^decimals] + "." + digits[^decimals..];
                }
                return nonNegative ? shape.TrimStart('-') : shape;
            }
            if (i > 0) text.Append(i % 7 == 0 ? ",\n" : ", ");
            string image = ids[random.NextInt(ids.Length)], category = random.NextInt(2).ToString(CultureInfo.InvariantCulture);
            string x = Number(false), y = Number(false), w = Number(true), h = Number(true), score = Number(false);
            // Python's layout, the compact one (each read whole) and an irregular one (read key by key).
            text.Append((i % 3) switch
            {
                0 => $"{{\"image_id\": {image}, \"category_id\": {category}, \"bbox\": [{x}, {y}, {w}, {h}], \"score\": {score}}}",
                1 => $"{{\"image_id\":{image},\"category_id\":{category},\"bbox\":[{x},{y},{w},{h}],\"score\":{score}}}",
                _ => $"{{\"image_id\": {image}, \"category_id\": {category}, \"bbox\": [{x}, {y},{w} , {h}], \"score\":{score}}}",
            });
        }
        File.WriteAllText(dt, text.Append(']').ToString());
        DatasetBuilder builder = GroundTruth(gt);
        Assert.True(CocoResultsFastPath.TryRead(dt, builder, threads, splitAbove: 0));
        Dataset scanned = builder.Build();
        Assert.Equal(4000, scanned.Detections.Count);
        AssertSameDetections(General(gt, dt), scanned);
    }

    [Fact]
    public void Fast_decimal_parsing_gives_the_same_double_as_double_parse()
    {
        var random = new Xoshiro256StarStar(20261128, 0);
        string[] fixedCases =
        [
            "0", "-0", "1", "0.1", "0.3", "123.45", "1e22", "1e23", "9007199254740993", "9007199254740992",
            "0.000001", "1.7976931348623157e308", "5e-324", "2.2250738585072014E-308", "12345678901234567890",
            "0.1234567890123456789", "4.35", "-17.5e-3", "1E+2",
        ];
        foreach (string text in fixedCases) AssertParsesLikeDoubleParse(text);
        for (int i = 0; i < 20000; i++)
        {
            long mantissa = (long)(random.NextUInt64() >> (1 + random.NextInt(63)));
            int decimals = random.NextInt(20);
            string digits = mantissa.ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
            string text = decimals == 0 ? digits : digits[..^decimals] + "." + digits[^decimals..];
            if (random.Chance(0.2)) text += "e" + (random.NextInt(60) - 30).ToString(CultureInfo.InvariantCulture);
            AssertParsesLikeDoubleParse(text);
        }
    }

    private static void AssertParsesLikeDoubleParse(string text)
    {
        double expected = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        double actual = FastDecimal.Parse(System.Text.Encoding.ASCII.GetBytes(text));
        Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), $"{text}: expected {expected:R}, got {actual:R}");
    }
}
