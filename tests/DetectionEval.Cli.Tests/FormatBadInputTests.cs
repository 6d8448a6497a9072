namespace DetectionEval.Cli.Tests;

/// <summary>
/// A malformed file in each format stops the run with exit code 2 and one stderr line: the file, the
/// line (or the XML element or JSON path), what was expected and what was found. The files are in
/// tests/data/malformed/&lt;format&gt;/ next to a valid pair.
/// </summary>
public sealed class FormatBadInputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-formats-bad-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Malformed(string relative) => Deval.TestData(["malformed", .. relative.Split('/')]);

    /// <summary>Arguments separated by '|'; a leading '@' marks a path under tests/data/malformed.</summary>
    private static string[] Arguments(string args) =>
        [.. args.Split('|').Select(a => a.StartsWith('@') ? Malformed(a[1..]) : a)];

    private CommandRun RunWithBadInput(string args, string location, string message)
    {
        CommandRun run = Deval.Run(["evaluate", .. Arguments(args), .. BadInputTests.AllOutputs(_folder)]);
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}: {run.Error}");
        Assert.Equal("", run.Output);
        string line = Assert.Single(run.ErrorLines);
        string where = location.StartsWith('@') ? Malformed(location[1..]) : location;
        Assert.StartsWith("deval: error: " + where, line);
        Assert.Contains("Expected ", line);
        Assert.Contains(", but got ", line);
        Assert.Contains(message, line);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.DoesNotContain("Exception", run.Error);
        Assert.True(Directory.GetFileSystemEntries(_folder).Length == 0, "no output file may be created");
        return run;
    }

    [Theory]
    [InlineData("--gt|@txt/gt_three_numbers|--pred|@txt/pred|--gt-format|txt|--pred-format|txt",
        "@txt/gt_three_numbers/img1.txt:2:", "Expected 5 fields '<class> <x1> <y1> <x2> <y2> [difficult]', but got 4 fields")]
    [InlineData("--gt|@txt/gt|--pred|@txt/pred_non_numeric|--gt-format|txt|--pred-format|txt",
        "@txt/pred_non_numeric/img1.txt:1:12:", "Expected a number for y1, but got 'ten'")]
    [InlineData("--gt|@txt/gt|--pred|@txt/pred_unknown_class|--gt-format|txt|--pred-format|txt",
        "@txt/pred_unknown_class/img1.txt:2:1:", "Expected a class of the ground truth (cat, dog), but got 'dgo'")]
    [InlineData("--gt|@txt/gt_rel_above_one|--pred|@txt/pred|--gt-format|txt|--pred-format|txt|--coords|rel|--image-sizes|@txt/sizes.txt",
        "@txt/gt_rel_above_one/img1.txt:2:13:", "Expected a relative x2 between 0 and 1, but got 1.2")]
    [InlineData("--gt|@txt/gt_right_before_left|--pred|@txt/pred|--gt-format|txt|--pred-format|txt",
        "@txt/gt_right_before_left/img1.txt:1:11:", "Expected x2 >= x1 (50), but got 10")]
    [InlineData("--gt|@txt/gt|--pred|@txt/pred_overflowing_box|--gt-format|txt|--pred-format|txt",
        "@txt/pred_overflowing_box/img1.txt:2:18:", "Expected a box whose edges, width, height and area are finite numbers (each below about 1e308), but got xyxy [-1E+308, 60, 1E+308, 90].")]
    public void Malformed_txt_files_are_reported_in_one_line(string args, string location, string message) =>
        RunWithBadInput(args, location, message);

    [Theory]
    [InlineData("--gt|@yolo/labels_four_fields|--pred|@yolo/predictions|--names|@yolo/names.txt|--image-sizes|@yolo/sizes.txt",
        "@yolo/labels_four_fields/img1.txt:2:", "Expected 5 fields '<class> <cx> <cy> <w> <h>', or a segmentation line '<class> <x1> <y1> <x2> <y2> <x3> <y3> ...', but got 4 fields")]
    [InlineData("--gt|@yolo/labels_rel_above_one|--pred|@yolo/predictions|--names|@yolo/names.txt|--image-sizes|@yolo/sizes.txt",
        "@yolo/labels_rel_above_one/img1.txt:2:13:", "Expected a relative w between 0 and 1, but got 1.3")]
    [InlineData("--gt|@yolo/labels_missing_image|--pred|@yolo/predictions|--names|@yolo/names.txt|--image-sizes|@yolo/sizes.txt",
        "@yolo/labels_missing_image/img3.txt:1:1:", "Expected the size of image 'img3' in --image-sizes")]
    [InlineData("--gt|@yolo/labels|--pred|@yolo/predictions|--names|@yolo/names.txt",
        "@yolo/labels/img1.txt:1:1:", "Expected the size of image 'img1' from --images DIR or --image-sizes FILE (relative coordinates need it), but got no image sizes")]
    [InlineData("--gt|@yolo/labels|--pred|@yolo/predictions_unknown_class|--names|@yolo/names.txt|--image-sizes|@yolo/sizes.txt",
        "@yolo/predictions_unknown_class/img1.txt:2:1:", "Expected a class index listed in")]
    [InlineData("--gt|@yolo/labels|--pred|@yolo/predictions_non_numeric|--names|@yolo/names.txt|--image-sizes|@yolo/sizes.txt",
        "@yolo/predictions_non_numeric/img1.txt:1:19:", "Expected a number for the confidence, but got 'high'")]
    [InlineData("--gt|@yolo/labels_polygon|--pred|@yolo/predictions|--names|@yolo/names.txt|--image-sizes|@yolo/sizes.txt",
        "@yolo/labels_polygon/img1.txt:2:3:", "Expected a polygon of 3 points or more, x y pairs after the class, but got 7 coordinates, an odd number")]
    public void Malformed_yolo_files_are_reported_in_one_line(string args, string location, string message) =>
        RunWithBadInput(args + "|--gt-format|yolo|--pred-format|yolo", location, message);

    [Theory]
    [InlineData("--gt|@voc/gt_object_without_bndbox|--pred|@voc/results",
        "@voc/gt_object_without_bndbox/img1.xml:14:3: /annotation/object[2]:", "Expected an <object> with <bndbox> (xmin, ymin, xmax, ymax), but got an <object> without <bndbox>")]
    [InlineData("--gt|@voc/gt_non_numeric|--pred|@voc/results",
        "@voc/gt_non_numeric/img1.xml:9:5: /annotation/object/bndbox/ymin:", "Expected a number in <ymin>, but got 'ten'")]
    [InlineData("--gt|@voc/gt_not_well_formed|--pred|@voc/results",
        "@voc/gt_not_well_formed/img1.xml:14:", "Expected well-formed XML, but got")]
    [InlineData("--gt|@voc/gt|--pred|@voc/results_five_fields",
        "@voc/results_five_fields/comp4_det_test_cat.txt:2:", "Expected 6 fields '<image> <score> <xmin> <ymin> <xmax> <ymax>', but got 5 fields")]
    [InlineData("--gt|@voc/gt|--pred|@voc/results_unknown_class",
        "@voc/results_unknown_class/comp4_det_test_dgo.txt:1:", "Expected a class of the ground truth (cat, dog), but got 'dgo'")]
    [InlineData("--gt|@voc/gt_deep_nesting|--pred|@voc/results",
        "@voc/gt_deep_nesting/img1.xml:4:196:", "Expected XML elements nested at most 64 deep, but got <b> at depth 65.")]
    [InlineData("--gt|@voc/gt_invalid_utf8|--pred|@voc/results",
        "@voc/gt_invalid_utf8/img1.xml:1:1:", "Expected well-formed XML, but got Invalid character in the given encoding.")]
    [InlineData("--gt|@voc/gt|--pred|@voc/results_non_numeric_score",
        "@voc/results_non_numeric_score/comp4_det_test_cat.txt:2:6:", "Expected a number for the score, but got 'high'.")]
    public void Malformed_voc_files_are_reported_in_one_line(string args, string location, string message) =>
        RunWithBadInput(args + "|--gt-format|voc-xml|--pred-format|voc-results", location, message);

    [Theory]
    [InlineData("voc/gt_dtd", "voc-xml", "@voc/gt_dtd/img1.xml:2:")]
    [InlineData("cvat/gt_dtd.xml", "cvat", "@cvat/gt_dtd.xml:2:")]
    public void Xml_with_a_dtd_is_refused_before_any_entity_is_read(string groundTruth, string format, string location)
    {
        string predictions = format == "cvat" ? "@cvat/pred.xml" : "@voc/results";
        string predictionFormat = format == "cvat" ? "cvat" : "voc-results";
        RunWithBadInput($"--gt|@{groundTruth}|--pred|{predictions}|--gt-format|{format}|--pred-format|{predictionFormat}", location,
            "Expected XML without a DTD (<!DOCTYPE> is refused: no entities are expanded and nothing external is read), but got a DOCTYPE");
    }

    [Theory]
    [InlineData("--gt|@csv/gt.csv|--pred|@csv/pred_short_row.csv",
        "@csv/pred_short_row.csv:3:", "Expected 7 fields as in the header, but got 5 fields")]
    [InlineData("--gt|@csv/gt.csv|--pred|@csv/pred_non_numeric.csv",
        "@csv/pred_non_numeric.csv:3: column 'ymin':", "Expected a number, but got 'sixty'")]
    [InlineData("--gt|@csv/gt.csv|--pred|@csv/pred_unknown_class.csv",
        "@csv/pred_unknown_class.csv:3: column 'class':", "Expected a class of the ground truth (cat, dog), but got 'dgo'")]
    [InlineData("--gt|@csv/gt_no_box_columns.csv|--pred|@csv/pred.csv",
        "@csv/gt_no_box_columns.csv:1:", "Expected box columns x1,y1,x2,y2 (or xmin,ymin,xmax,ymax), x,y,w,h or cx,cy,w,h, but got a header with image,class,left,top,width_px,height_px")]
    [InlineData("--gt|@csv/gt_rel_above_one.csv|--pred|@csv/pred.csv|--coords|rel",
        "@csv/gt_rel_above_one.csv:3: column 'x2':", "Expected a relative x2 between 0 and 1, but got 1.4")]
    [InlineData("--gt|@csv/gt_unclosed_quote.csv|--pred|@csv/pred.csv",
        "@csv/gt_unclosed_quote.csv:3:", "Expected 6 fields as in the header, but got 2 fields.")]
    [InlineData("--gt|@csv/gt.csv|--pred|@csv/pred_nan_score.csv",
        "@csv/pred_nan_score.csv:3: column 'score':", "Expected a number, but got 'NaN'.")]
    public void Malformed_csv_files_are_reported_in_one_line(string args, string location, string message) =>
        RunWithBadInput(args + "|--gt-format|csv|--pred-format|csv", location, message);

    [Theory]
    [InlineData("--gt|@labelme/gt_one_point|--pred|@labelme/pred",
        "@labelme/gt_one_point/img1.json:22:5: $.shapes[1].points:", "Expected a rectangle with 2 points [[x1, y1], [x2, y2]], but got 1 point")]
    [InlineData("--gt|@labelme/gt_string_coordinate|--pred|@labelme/pred",
        "@labelme/gt_string_coordinate/img1.json:10:11: $.shapes[0].points[0][1]:", "Expected a coordinate, a finite number, but got the string \"10\"")]
    [InlineData("--gt|@labelme/gt|--pred|@labelme/pred_without_score",
        "@labelme/pred_without_score/img1.json:23:5: $.shapes[1]:", "Expected a shape with a \"score\" (predictions need one), but got a shape without \"score\"")]
    [InlineData("--gt|@labelme/gt|--pred|@labelme/pred_unknown_class",
        "@labelme/pred_unknown_class/img1.json:23:5: $.shapes[1]:", "Expected a class of the ground truth (cat, dog), but got 'dgo'")]
    [InlineData("--gt|@labelme/gt_truncated|--pred|@labelme/pred",
        "@labelme/gt_truncated/img1.json:20:16: $.shapes[0].flags:", "Expected valid JSON, but got the end of the file inside an unfinished object or array (is the file cut short?).")]
    public void Malformed_labelme_files_are_reported_in_one_line(string args, string location, string message) =>
        RunWithBadInput(args + "|--gt-format|labelme|--pred-format|labelme", location, message);

    [Theory]
    [InlineData("--gt|@cvat/gt_box_without_xtl.xml|--pred|@cvat/pred.xml",
        "@cvat/gt_box_without_xtl.xml:15:6: /annotations/image[1]/box[2]:", "Expected a <box> with xtl, but got a <box> without xtl")]
    [InlineData("--gt|@cvat/gt_unknown_label.xml|--pred|@cvat/pred.xml",
        "@cvat/gt_unknown_label.xml:15:6: /annotations/image[1]/box[2]:", "(cat, dog), but got 'bird'")]
    [InlineData("--gt|@cvat/gt_video_track.xml|--pred|@cvat/pred.xml",
        "@cvat/gt_video_track.xml:12:4: /annotations/track:", "Expected CVAT for images 1.1 (boxes inside <image> elements), but got a <track> (CVAT for video)")]
    [InlineData("--gt|@cvat/gt_invalid_utf8.xml|--pred|@cvat/pred.xml",
        "@cvat/gt_invalid_utf8.xml:1:1:", "Expected well-formed XML, but got Invalid character in the given encoding.")]
    [InlineData("--gt|@cvat/gt_not_well_formed.xml|--pred|@cvat/pred.xml",
        "@cvat/gt_not_well_formed.xml:5:5:", "Expected well-formed XML, but got The 'box' start tag on line 4 position 6 does not match the end tag of 'image'.")]
    [InlineData("--gt|@cvat/gt.xml|--pred|@cvat/pred_score_not_a_number.xml",
        "@cvat/pred_score_not_a_number.xml:16:6: /annotations/image[1]/box[2]:", "Expected a score, a finite number, but got 'high'.")]
    public void Malformed_cvat_files_are_reported_in_one_line(string args, string location, string message) =>
        RunWithBadInput(args + "|--gt-format|cvat|--pred-format|cvat", location, message);

    [Theory]
    [InlineData("--gt|@openimages/gt_xmax_above_one.csv|--pred|@openimages/pred.csv",
        "@openimages/gt_xmax_above_one.csv:3: column 'XMax':", "Expected XMax between 0 and 1, but got 1.3")]
    [InlineData("--gt|@openimages/gt.csv|--pred|@openimages/pred_non_numeric.csv",
        "@openimages/pred_non_numeric.csv:3: column 'YMin':", "Expected a number, but got 'six'")]
    [InlineData("--gt|@openimages/gt_missing_column.csv|--pred|@openimages/pred.csv",
        "@openimages/gt_missing_column.csv:1:", "Expected an Open Images header with ImageID, LabelName, XMin, XMax, YMin, YMax, but got one without YMax")]
    [InlineData("--gt|@openimages/gt_image_without_size.csv|--pred|@openimages/pred.csv",
        "@openimages/gt_image_without_size.csv:3: column 'ImageID':", "Expected the size of image 'img9' in --image-sizes")]
    [InlineData("--gt|@openimages/gt.csv|--pred|@openimages/pred_nan_score.csv",
        "@openimages/pred_nan_score.csv:3: column 'Score':", "Expected a finite score, but got NaN.")]
    [InlineData("--gt|@openimages/gt_short_row.csv|--pred|@openimages/pred.csv",
        "@openimages/gt_short_row.csv:3:", "Expected 13 fields as in the header, but got 6 fields.")]
    public void Malformed_open_images_files_are_reported_in_one_line(string args, string location, string message) =>
        RunWithBadInput(args + "|--gt-format|openimages|--pred-format|openimages|--image-sizes|@openimages/sizes.txt", location, message);

    [Theory]
    [InlineData("txt/gt", "txt/pred", "txt", "")]
    [InlineData("yolo/labels", "yolo/predictions", "yolo", "|--names|@yolo/names.txt|--image-sizes|@yolo/sizes.txt")]
    [InlineData("voc/gt", "voc/results", "voc-xml", "")]
    [InlineData("csv/gt.csv", "csv/pred.csv", "csv", "")]
    [InlineData("labelme/gt", "labelme/pred", "labelme", "")]
    [InlineData("cvat/gt.xml", "cvat/pred.xml", "cvat", "")]
    [InlineData("openimages/gt.csv", "openimages/pred.csv", "openimages", "|--image-sizes|@openimages/sizes.txt|--class-map|@openimages/class-descriptions.csv")]
    public void The_valid_pair_next_to_the_malformed_files_is_detected_and_scores_one(string groundTruth, string predictions, string format, string extra)
    {
        CommandRun run = Deval.Run(["evaluate", "--metric", "voc", .. Arguments($"--gt|@{groundTruth}|--pred|@{predictions}{extra}")]);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains(" mAP (all-point) = 1.0000", run.Output);
        string predictionFormat = format == "voc-xml" ? "voc-results" : format;
        Assert.Contains($"{Malformed(groundTruth)}: read as {format} (", run.Error);
        Assert.Contains($"{Malformed(predictions)}: read as {predictionFormat} (", run.Error);
    }

    [Theory]
    [InlineData("ap_above_one.json", ": $.coco.AP:", "Expected a number from 0 to 1, or null, but got the number 1.5.")]
    [InlineData("truncated.json", ":64:16: $.voc:", "Expected valid JSON, but got the end of the file inside an unfinished object or array (is the file cut short?).")]
    [InlineData("unknown_iou_rule.json", ": $.voc.iouRule:", "Expected \"ge\" or \"gt\", but got the string \"greater\".")]
    public void Malformed_reports_given_to_the_gate_are_reported_in_one_line(string file, string location, string message)
    {
        string baseline = Malformed("report/" + file);
        CommandRun run = Deval.Run("gate", "--baseline", baseline, "--current", Malformed("report/valid.json"), "--min", "AP=0.1",
            "--junit", Path.Combine(_folder, "gate.xml"), "--markdown", Path.Combine(_folder, "gate.md"));
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Equal($"deval: error: {baseline}{location} {message}", Assert.Single(run.ErrorLines));
        Assert.True(Directory.GetFileSystemEntries(_folder).Length == 0, "no output file may be created");
    }

    /// <summary>The valid pairs and the files they need; everything else in tests/data/malformed breaks one rule and must have a test.</summary>
    private static readonly HashSet<string> NotMalformed = new(StringComparer.Ordinal)
    {
        "README.md", "coco/README.md", "coco/gt.json", "coco/dt.json", "coco/empty_dt.json", "txt/gt", "txt/pred", "txt/sizes.txt", "yolo/labels", "yolo/predictions",
        "yolo/names.txt", "yolo/sizes.txt", "voc/gt", "voc/results", "csv/gt.csv", "csv/pred.csv", "labelme/gt", "labelme/pred", "cvat/gt.xml",
        "cvat/pred.xml", "openimages/gt.csv", "openimages/pred.csv", "openimages/sizes.txt", "openimages/class-descriptions.csv", "report/valid.json",
    };

    [Fact]
    public void Every_malformed_input_is_asserted_by_a_test()
    {
        string root = Deval.TestData("malformed");
        string tests = string.Concat(Directory.EnumerateFiles(Path.Combine(ReferenceData.RepositoryRoot, "tests", "DetectionEval.Cli.Tests"), "*.cs").Select(File.ReadAllText));
        var entries = new List<string>();
        foreach (string format in Directory.EnumerateDirectories(root))
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries(format))
            {
                string relative = Path.GetRelativePath(root, entry).Replace(Path.DirectorySeparatorChar, '/');
                if (NotMalformed.Contains(relative)) continue;
                entries.Add(relative);
                string name = Path.GetFileName(entry);
                // The coco cases are named by file name alone, the others as @format/name or format/name.
                bool named = relative.StartsWith("coco/", StringComparison.Ordinal) || relative.StartsWith("report/", StringComparison.Ordinal)
                    ? tests.Contains($"\"{name}\"", StringComparison.Ordinal)
                    : tests.Contains(relative, StringComparison.Ordinal);
                Assert.True(named, $"tests/data/malformed/{relative} has no test");
            }
        }
        Assert.True(entries.Count >= 30, $"only {entries.Count} malformed inputs");
    }
}
