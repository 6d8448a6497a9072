using System.Text.Json;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// Polygons in COCO, YOLO segmentation, LabelMe and CVAT (tests/data/polygons, see its README): each
/// format's files, as the tools write them, score the hand-checked segm values; conversions keep the
/// polygons and the numbers; malformed polygons are one line and exit code 2; formats without masks say
/// they dropped them.
/// </summary>
/// <remarks>
/// The case, on two 40×30 images: cat has 2 ground truths (a 10×10 square, an L of 20 pixels) and 2
/// detections (the square exactly, score .9; a 6×3 rectangle over the L's top, score .8, which overlaps it
/// in 14 pixels: IoU 14 / (20 + 18 - 14) = 0.583); dog has 2 ground truths (two 4×4 squares as one object,
/// a 10×10 square) found exactly. Cat's second detection is a match at IoU 0.50 and 0.55 only, so cat's
/// AP is (2 × 1 + 8 × 51/101) / 10 = 610/1010 (at the other 8 thresholds precision is 1 up to recall 0.5:
/// 51 of the 101 recall points), AP75 is 51/101, and dog's AP is 1.
/// </remarks>
public sealed class PolygonFormatTests : IDisposable
{
    private const double CatAp = 610.0 / 1010.0;
    private const double CatAp75 = 51.0 / 101.0;

    private readonly string _folder = Directory.CreateTempSubdirectory("deval-polygons-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Case(params string[] parts) => Deval.TestData(["polygons", .. parts]);

    private string Temp(string name) => Path.Combine(_folder, name);

    private static readonly string[] Sizes = ["--image-sizes", Case("images.txt")];

    /// <summary>Ground truth, predictions and the reading options of the case in each format.</summary>
    private static (string Gt, string Pred, string[] Reading) Inputs(string format) => format switch
    {
        "coco" => (Case("coco", "gt.json"), Case("coco", "dt.json"), []),
        "yolo" => (Case("yolo", "labels"), Case("yolo", "predictions"), Sizes),
        "labelme" => (Case("labelme", "gt"), Case("labelme", "pred"), []),
        "cvat" => (Case("cvat", "annotations.xml"), Case("cvat", "predictions.xml"), []),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    private static CommandRun Succeed(params string[] args)
    {
        CommandRun run = Deval.Run(args);
        Assert.True(run.ExitCode == 0, $"deval {string.Join(' ', args)} exited {run.ExitCode}: {run.Error}");
        return run;
    }

    private static JsonDocument SegmReport(string groundTruth, string predictions, string[] reading) =>
        JsonDocument.Parse(Succeed(["evaluate", "--gt", groundTruth, "--pred", predictions, "--iou-type", "bbox,segm", "--json", "-", .. reading]).Output);

    [Theory]
    [InlineData("coco")]
    [InlineData("yolo")]
    [InlineData("labelme")]
    [InlineData("cvat")]
    public void Each_format_gives_the_same_segm_report_in_a_low_memory_run(string format)
    {
        (string gt, string pred, string[] reading) = Inputs(format);
        string[] common = ["evaluate", "--gt", gt, "--pred", pred, "--iou-type", "bbox,segm", "--json", "-", .. reading];
        CommandRun inMemory = Succeed(common);
        Assert.Contains("\"cocoSegm\": {", inMemory.Output, StringComparison.Ordinal);
        CommandRun low = Succeed([.. common, "--low-memory", "--shard-images", "1"]);
        Assert.Equal((inMemory.Output, inMemory.Error), (low.Output, low.Error));
    }

    [Theory]
    [InlineData("coco")]
    [InlineData("yolo")]
    [InlineData("labelme")]
    [InlineData("cvat")]
    public void Each_format_as_its_tool_writes_it_scores_the_hand_checked_segm_values(string format)
    {
        (string gt, string pred, string[] reading) = Inputs(format);
        using JsonDocument report = SegmReport(gt, pred, reading);
        JsonElement segm = report.RootElement.GetProperty("cocoSegm");
        Assert.Equal((CatAp + 1) / 2, segm.GetProperty("AP").GetDouble(), 1e-12);
        Assert.Equal(1.0, segm.GetProperty("AP50").GetDouble(), 1e-12);
        Assert.Equal((CatAp75 + 1) / 2, segm.GetProperty("AP75").GetDouble(), 1e-12);
        // Every object is under 32² pixels: small only.
        Assert.Equal(segm.GetProperty("AP").GetDouble(), segm.GetProperty("APs").GetDouble());
        Assert.Equal(JsonValueKind.Null, segm.GetProperty("APm").ValueKind);
        JsonElement[] classes = [.. segm.GetProperty("perClass").EnumerateArray()];
        Assert.Equal(["cat", "dog"], classes.Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(CatAp, classes[0].GetProperty("AP").GetDouble(), 1e-12);
        Assert.Equal(1.0, classes[1].GetProperty("AP").GetDouble(), 1e-12);
        // The bbox section of the same objects: boxes are the polygons' extents, and cat's second box
        // overlaps its ground truth's at IoU 18/36 = 0.5 exactly, a match at 0.50 only.
        double catBox = (1 + (9 * 51.0 / 101)) / 10;
        Assert.Equal((catBox + 1) / 2, report.RootElement.GetProperty("coco").GetProperty("AP").GetDouble(), 1e-12);
    }

    [Theory]
    [InlineData("yolo", "")]
    [InlineData("labelme", "")]
    [InlineData("cvat", ".xml")]
    public void Coco_polygons_converted_to_a_format_and_back_keep_the_segm_numbers(string format, string extension)
    {
        (string gt, string pred, _) = Inputs("coco");
        // The COCO images carry their sizes; YOLO's fractions need them when read back.
        string[] reading = format == "yolo" ? Sizes : [];
        string convertedGt = Temp("gt-" + format + extension), convertedDt = Temp("dt-" + format + extension);
        CommandRun toFormat = Succeed("convert", "--to", format, "--polygons", gt, convertedGt);
        Assert.Equal($"{gt} (coco) -> {convertedGt} ({format}): 2 images, 2 classes, 4 ground-truth boxes\n", toFormat.Output);
        Assert.Equal("", toFormat.Error);
        Succeed("convert", "--to", format, "--polygons", "--gt", gt, pred, convertedDt);
        string backGt = Temp("back-gt.json"), backDt = Temp("back-dt.json");
        Succeed(["convert", "--to", "coco", convertedGt, backGt, .. reading]);
        Succeed(["convert", "--to", "coco", "--gt", convertedGt, convertedDt, backDt, .. reading]);

        using JsonDocument before = SegmReport(gt, pred, []);
        using JsonDocument after = SegmReport(backGt, backDt, []);
        // The folder formats number the classes from their classes.txt (0, 1): the values are compared, not the ids.
        Assert.Equal(Values(before, "cocoSegm"), Values(after, "cocoSegm"));
        Assert.Equal(Values(before, "coco"), Values(after, "coco"));

        // LabelMe and CVAT keep every part as written; YOLO joins the dog's two squares into one line as
        // ultralytics does: the outline walks from one to the other along y = 20 and back.
        using JsonDocument original = JsonDocument.Parse(File.ReadAllText(gt));
        using JsonDocument back = JsonDocument.Parse(File.ReadAllText(backGt));
        string[] segmentations = [.. back.RootElement.GetProperty("annotations").EnumerateArray().Select(a => JsonSerializer.Serialize(a.GetProperty("segmentation")))];
        string[] expected = [.. original.RootElement.GetProperty("annotations").EnumerateArray().Select(a => JsonSerializer.Serialize(a.GetProperty("segmentation")))];
        if (format == "yolo") expected[2] = "[[6,20,6,24,2,24,2,20,6,20,8,20,12,20,12,24,8,24,8,20]]";
        Assert.Equal(expected, segmentations);
        Assert.Equal([100.0, 20, 32, 100], back.RootElement.GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("area").GetDouble()));
    }

    /// <summary>A section's summary values and each class's name and values, without the class ids.</summary>
    private static List<string> Values(JsonDocument report, string section)
    {
        JsonElement element = report.RootElement.GetProperty(section);
        List<string> values = [.. element.EnumerateObject().Where(p => p.Name != "perClass").Select(p => $"{p.Name}={p.Value}")];
        foreach (JsonElement c in element.GetProperty("perClass").EnumerateArray())
        {
            values.Add(string.Join(",", c.EnumerateObject().Where(p => p.Name != "id").Select(p => $"{p.Name}={p.Value}")));
        }
        return values;
    }

    [Fact]
    public void A_yolo_segmentation_folder_is_written_as_ultralytics_reads_it()
    {
        string output = Temp("labels");
        Succeed(["convert", "--to", "yolo", "--polygons", Case("coco", "gt.json"), output, .. Sizes]);
        // Fractions of 40 × 30: x / 40, y / 30, the class index then the x y pairs, one object per line.
        Assert.Equal(
            "0 0.05 0.06666666666666667 0.3 0.06666666666666667 0.3 0.4 0.05 0.4\n"
            + "0 0.5 0.4666666666666667 0.65 0.4666666666666667 0.65 0.5333333333333333 0.55 0.5333333333333333 0.55 0.6666666666666666 0.5 0.6666666666666666\n"
            + "1 0.15 0.6666666666666666 0.15 0.8 0.05 0.8 0.05 0.6666666666666666 0.15 0.6666666666666666 0.2 0.6666666666666666 0.3 0.6666666666666666 0.3 0.8 0.2 0.8 0.2 0.6666666666666666\n",
            File.ReadAllText(Path.Combine(output, "000000000001.txt")));
        Assert.Equal("cat\ndog\n", File.ReadAllText(Path.Combine(output, "classes.txt")));
    }

    [Fact]
    public void Labelme_and_cvat_write_an_object_of_two_parts_as_two_polygons_of_one_group()
    {
        string labelme = Temp("labelme"), cvat = Temp("annotations.xml");
        Succeed("convert", "--to", "labelme", "--polygons", Case("coco", "gt.json"), labelme);
        Succeed("convert", "--to", "cvat", "--polygons", Case("coco", "gt.json"), cvat);
        using JsonDocument image = JsonDocument.Parse(File.ReadAllText(Path.Combine(labelme, "000000000001.json")));
        JsonElement[] shapes = [.. image.RootElement.GetProperty("shapes").EnumerateArray()];
        Assert.Equal(["polygon", "polygon", "polygon", "polygon"], shapes.Select(s => s.GetProperty("shape_type").GetString()));
        Assert.Equal(["null", "null", "1", "1"], shapes.Select(s => s.GetProperty("group_id").ToString() is "" ? "null" : s.GetProperty("group_id").ToString()));
        Assert.Equal("[[8,20],[12,20],[12,24],[8,24]]", shapes[3].GetProperty("points").ToString().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        string xml = File.ReadAllText(cvat);
        Assert.Contains("<polygon label=\"dog\" source=\"manual\" occluded=\"0\" points=\"2,20;6,20;6,24;2,24\" z_order=\"0\" group_id=\"1\" />", xml);
        Assert.Contains("<polygon label=\"dog\" source=\"manual\" occluded=\"0\" points=\"8,20;12,20;12,24;8,24\" z_order=\"0\" group_id=\"1\" />", xml);
    }

    [Fact]
    public void Coco_masks_of_every_form_survive_a_coco_to_coco_conversion_with_the_same_numbers()
    {
        // cocoapi's fake segm results: polygon and crowd-RLE ground truth, compressed-RLE results without boxes.
        string gt = ReferenceData.Case(Path.Combine("protocols", "coco_val2014_100_segm", "gt.json"));
        string dt = ReferenceData.Case(Path.Combine("protocols", "coco_val2014_100_segm", "dt.json"));
        string backGt = Temp("gt.json"), backDt = Temp("dt.json");
        Succeed("convert", "--to", "coco", gt, backGt);
        Succeed("convert", "--to", "coco", "--gt", gt, dt, backDt);
        using JsonDocument before = SegmReport(gt, dt, []);
        using JsonDocument after = SegmReport(backGt, backDt, []);
        foreach (string section in new[] { "coco", "cocoSegm", "voc" })
        {
            Assert.Equal(before.RootElement.GetProperty(section).ToString(), after.RootElement.GetProperty(section).ToString());
        }
        // Results read without boxes are written without them (their areas stay their masks' pixel counts).
        using JsonDocument results = JsonDocument.Parse(File.ReadAllText(backDt));
        JsonElement first = results.RootElement[0];
        Assert.False(first.TryGetProperty("bbox", out _));
        Assert.Equal(JsonValueKind.String, first.GetProperty("segmentation").GetProperty("counts").ValueKind);
    }

    [Theory]
    [InlineData("voc-xml", "the masks of 4 objects dropped (voc-xml holds boxes only)")]
    [InlineData("txt", "the masks of 4 objects dropped (txt holds boxes only)")]
    [InlineData("yolo", "the masks of 4 objects dropped, their boxes written (add --polygons to write the polygons)")]
    public void A_format_that_does_not_write_the_masks_says_so_once(string format, string notice)
    {
        string output = Temp("out");
        CommandRun run = Succeed(["convert", "--to", format, Case("coco", "gt.json"), output, .. Sizes]);
        Assert.Equal([$"deval: {output}: {notice}"], run.ErrorLines.Where(l => !l.Contains("was not used", StringComparison.Ordinal)));
        Assert.EndsWith("2 images, 2 classes, 4 ground-truth boxes\n", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Masks_given_as_rle_are_written_as_boxes_where_only_polygons_fit_and_counted()
    {
        string gt = ReferenceData.Case(Path.Combine("protocols", "coco_val2014_100_segm", "gt.json"));
        string output = Temp("labelme");
        CommandRun run = Succeed("convert", "--to", "labelme", "--polygons", gt, output);
        // The sample's 9 crowd regions are RLE.
        Assert.Equal([$"deval: {output}: 9 masks given as RLE written as their boxes (polygons only)"], run.ErrorLines);
    }

    [Theory]
    [InlineData("--gt|@malformed/labelme_two_points|--pred|@labelme/pred",
        "@malformed/labelme_two_points/000000000002.json:5:5: $.shapes[0].points:", "Expected a polygon of 3 points or more, x y pairs [[x1, y1], [x2, y2], [x3, y3], ...], but got 2 points")]
    [InlineData("--gt|@malformed/labelme_far|--pred|@labelme/pred",
        "@malformed/labelme_far/000000000002.json:5:5: $.shapes[0].points[1]:", "Expected a polygon coordinate within ±1,000,000 pixels, but got 3000000000")]
    [InlineData("--gt|@malformed/cvat_not_number/annotations.xml|--pred|@cvat/predictions.xml",
        "@malformed/cvat_not_number/annotations.xml:51:6: /annotations/image[1]/polygon[1]:", "Expected a number in the points (points \"x1,y1;x2,y2;x3,y3;...\", 3 points or more), but got 'twelve' in point 2")]
    [InlineData("--gt|@malformed/cvat_half_point/annotations.xml|--pred|@cvat/predictions.xml",
        "@malformed/cvat_half_point/annotations.xml:61:6: /annotations/image[2]/polygon[1]:", "Expected points \"x1,y1;x2,y2;x3,y3;...\", 3 points or more: a point 'x,y', but got '0.00'")]
    [InlineData("--gt|@yolo/labels|--pred|@malformed/yolo_odd_predictions|--image-sizes|@images.txt|--pred-format|yolo",
        "@malformed/yolo_odd_predictions/000000000002.txt:1:3:", "Expected a polygon of 3 points or more, x y pairs after the class and before the confidence, but got 7 coordinates, an odd number")]
    [InlineData("--gt|@malformed/yolo_word|--pred|@yolo/predictions|--image-sizes|@images.txt|--gt-format|yolo",
        "@malformed/yolo_word/000000000001.txt:2:21:", "Expected a number for y2, but got 'O.466667'")]
    public void A_malformed_polygon_is_one_line_naming_the_file_the_place_and_what_was_expected(string args, string location, string message)
    {
        string[] arguments = [.. args.Split('|').Select(a => a.StartsWith('@') ? Case(a[1..]) : a), "--iou-type", "segm"];
        CommandRun run = Deval.Run(["evaluate", .. arguments]);
        Assert.Equal(2, run.ExitCode);
        string line = Assert.Single(run.ErrorLines, l => l.StartsWith("deval: error:", StringComparison.Ordinal));
        Assert.StartsWith("deval: error: " + Case(location[1..]), line, StringComparison.Ordinal);
        Assert.Contains(message, line, StringComparison.Ordinal);
        Assert.Equal("", run.Output);
    }
}
