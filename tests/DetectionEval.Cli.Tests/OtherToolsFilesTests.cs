using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// Files written by other tools are read as those tools read them: COCO files with string ids (as
/// pycocotools takes them), --names next to COCO ground truth, and folders whose format auto-detection
/// must not guess.
/// </summary>
public sealed class OtherToolsFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-other-tools-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Temp(params string[] parts) => Path.Combine([_folder, .. parts]);

    private string Write(string relative, string text)
    {
        string path = Temp(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    private static readonly string SampleGt = Deval.Sample("coco-val2014-100", "instances_val2014_100.json");
    private static readonly string SampleDt = Deval.Sample("coco-val2014-100", "fakebbox100_results.json");

    private static string Padded(long id) => id.ToString("D12", CultureInfo.InvariantCulture);

    /// <summary>The sample ground truth with every image and annotation id a zero-padded string ("000000000042"), whose code-point order is the numbers' order.</summary>
    private string StringIdGroundTruth()
    {
        JsonNode gt = JsonNode.Parse(File.ReadAllText(SampleGt))!;
        foreach (JsonNode? image in gt["images"]!.AsArray()) image!["id"] = Padded(image["id"]!.GetValue<long>());
        foreach (JsonNode? annotation in gt["annotations"]!.AsArray())
        {
            annotation!["id"] = Padded(annotation["id"]!.GetValue<long>());
            annotation["image_id"] = Padded(annotation["image_id"]!.GetValue<long>());
        }
        return Write("gt-string-ids.json", gt.ToJsonString());
    }

    /// <summary>
    /// The sample results as pycocotools' users write them with json.dump (", " and ": " separators), image
    /// ids as zero-padded strings; the numbers keep their exact text.
    /// </summary>
    private string StringIdResults(string name = "dt-string-ids.json", bool asDataset = false)
    {
        using JsonDocument results = JsonDocument.Parse(File.ReadAllText(SampleDt));
        var lines = new List<string>();
        foreach (JsonElement d in results.RootElement.EnumerateArray())
        {
            string[] bbox = [.. d.GetProperty("bbox").EnumerateArray().Select(v => v.GetRawText())];
            lines.Add($"{{\"image_id\": \"{Padded(d.GetProperty("image_id").GetInt64())}\", \"category_id\": {d.GetProperty("category_id").GetRawText()}, "
                + $"\"bbox\": [{string.Join(", ", bbox)}], \"score\": {d.GetProperty("score").GetRawText()}}}");
        }
        string list = "[" + string.Join(", ", lines) + "]";
        return Write(name, asDataset ? $"{{\"info\": {{}}, \"annotations\": {list}}}" : list);
    }

    /// <summary>A JSON report without what names the input files (paths and the ground truth's fingerprint, which hashes the ids).</summary>
    private static JsonNode Numbers(CommandRun run)
    {
        Assert.True(run.ExitCode == 0, run.Error);
        JsonNode report = JsonNode.Parse(run.Output)!;
        JsonObject inputs = report["inputs"]!.AsObject();
        inputs.Remove("groundTruth");
        inputs.Remove("predictions");
        inputs.Remove("groundTruthFingerprint");
        return report;
    }

    [Fact]
    public void String_ids_give_exactly_the_json_report_numbers_of_the_same_files_with_integer_ids()
    {
        string gt = StringIdGroundTruth(), dt = StringIdResults();
        string[] all = ["--metric", "all", "--json", "-"];

        JsonNode integers = Numbers(Deval.Run(["evaluate", "--gt", SampleGt, "--pred", SampleDt, "--analysis", .. all]));
        JsonNode strings = Numbers(Deval.Run(["evaluate", "--gt", gt, "--pred", dt, "--analysis", .. all]));
        // The report names the worst images by id, as the file has them.
        foreach (JsonNode? worst in integers["analysis"]!["worstImages"]!.AsArray()) worst!["id"] = Padded(worst["id"]!.GetValue<long>());
        Assert.Equal(JsonValueKind.String, strings["analysis"]!["worstImages"]![0]!["id"]!.GetValueKind());
        Assert.True(JsonNode.DeepEquals(integers, strings), "The reports differ.");

        // The spilled run (the spilled fast path), and a dataset file used as predictions (the general reader).
        JsonNode integersLowMemory = Numbers(Deval.Run(["evaluate", "--gt", SampleGt, "--pred", SampleDt, "--low-memory", .. all]));
        Assert.True(JsonNode.DeepEquals(integersLowMemory, Numbers(Deval.Run(["evaluate", "--gt", gt, "--pred", dt, "--low-memory", .. all]))), "The low-memory reports differ.");
        string dataset = StringIdResults("dt-dataset.json", asDataset: true);
        Assert.True(JsonNode.DeepEquals(integersLowMemory, Numbers(Deval.Run(["evaluate", "--gt", gt, "--pred", dataset, .. all]))), "The dataset-file report differs.");
        Assert.Equal(734, strings["inputs"]!["detections"]!.GetValue<int>());
    }

    /// <summary>
    /// Two images with one object each and one detection each at the same score: a hit on image "9", a miss
    /// far away on image "10". COCO breaks the tie by image id order.
    /// </summary>
    private (string Gt, string Dt) TiePair(string name, string hitImage, string missImage)
    {
        string gt = Write($"{name}-gt.json", $$"""
            {"images": [{"id": {{hitImage}}}, {"id": {{missImage}}}],
             "annotations": [{"id": 1, "image_id": {{hitImage}}, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400},
                             {"id": 2, "image_id": {{missImage}}, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400}],
             "categories": [{"id": 1, "name": "cat"}]}
            """);
        string dt = Write($"{name}-dt.json", $$"""
            [{"image_id": {{hitImage}}, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.5},
             {"image_id": {{missImage}}, "category_id": 1, "bbox": [200, 200, 20, 20], "score": 0.5}]
            """);
        return (gt, dt);
    }

    private static double CocoAp(string gt, string dt)
    {
        CommandRun run = Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--metric", "coco", "--json", "-");
        Assert.True(run.ExitCode == 0, run.Error);
        return JsonNode.Parse(run.Output)!["coco"]!["AP"]!.GetValue<double>();
    }

    [Fact]
    public void Ties_between_images_go_by_the_code_point_order_of_string_ids()
    {
        // Numbers: 9 < 10, the hit comes first: precision 1 up to recall 0.5, AP 51/101.
        double numeric = CocoAp(TiePair("int", "9", "10").Gt, TiePair("int", "9", "10").Dt);
        Assert.Equal(51.0 / 101, numeric, 12);
        // Strings: "10" < "9" (Python's sorted()), the miss comes first: precision 0.5, AP 25.5/101.
        (string gt, string dt) = TiePair("str", "\"9\"", "\"10\"");
        double strings = CocoAp(gt, dt);
        Assert.Equal(25.5 / 101, strings, 12);
        // Exactly the numbers of integer ids in that order, and zero-padded strings keep the numbers' order.
        Assert.Equal(CocoAp(TiePair("int-reversed", "2", "1").Gt, TiePair("int-reversed", "2", "1").Dt), strings);
        Assert.Equal(numeric, CocoAp(TiePair("padded", "\"09\"", "\"10\"").Gt, TiePair("padded", "\"09\"", "\"10\"").Dt));
    }

    [Fact]
    public void Mixed_integer_and_string_image_ids_stop_the_run_with_one_line()
    {
        string gt = Write("mixed.json", """{"images": [{"id": 1}, {"id": "b"}], "annotations": [], "categories": [{"id": 1, "name": "cat"}]}""");
        CommandRun run = Deval.Run("evaluate", "--gt", gt, "--pred", SampleDt);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            $"deval: error: {gt}:1:31: $.images[1].id: Expected an image id of the same kind as the first one (1, an integer), but got the string \"b\". "
            + "Image ids must be all integers or all strings: pycocotools sorts them, and Python cannot order a number and a string.",
            Assert.Single(run.ErrorLines));
        Assert.Equal("", run.Output);
    }

    [Fact]
    public void Convert_keeps_string_ids_and_the_converted_files_evaluate_the_same()
    {
        string gt = StringIdGroundTruth(), dt = StringIdResults();
        string gtOut = Temp("gt-out.json"), dtOut = Temp("dt-out.json");
        Assert.Equal(0, Deval.Run("convert", "--to", "coco", gt, gtOut).ExitCode);
        Assert.Equal(0, Deval.Run("convert", "--to", "coco", dt, dtOut, "--gt", gt).ExitCode);
        JsonNode written = JsonNode.Parse(File.ReadAllText(gtOut))!, read = JsonNode.Parse(File.ReadAllText(gt))!;
        Assert.Equal(read["images"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()), written["images"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
        Assert.Equal(JsonValueKind.String, written["annotations"]![0]!["id"]!.GetValueKind());
        Assert.Equal(JsonValueKind.String, JsonNode.Parse(File.ReadAllText(dtOut))![0]!["image_id"]!.GetValueKind());
        string[] all = ["--metric", "all", "--json", "-"];
        Assert.True(JsonNode.DeepEquals(Numbers(Deval.Run(["evaluate", "--gt", gt, "--pred", dt, .. all])), Numbers(Deval.Run(["evaluate", "--gt", gtOut, "--pred", dtOut, .. all]))));
    }

    [Fact]
    public void Names_with_coco_ground_truth_and_coco_predictions_is_refused_with_the_reason()
    {
        string names = Deval.Sample("formats", "classes.txt");
        CommandRun run = Deval.Run("evaluate", "--gt", SampleGt, "--pred", SampleDt, "--names", names);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            $"deval: error: {names}: Expected --names with ground truth that does not name its classes (yolo, txt, csv, ...) or with yolo predictions, "
            + "but got COCO ground truth, whose \"categories\" name its classes, and no yolo predictions. Leave out --names.",
            Assert.Single(run.ErrorLines));
        Assert.Equal("", run.Output);
    }

    [Fact]
    public void Names_with_coco_ground_truth_name_the_class_indices_of_yolo_predictions()
    {
        // The sample's predictions as YOLO files: class indices into classes.txt (0 is person, COCO id 1).
        CommandRun yolo = Deval.Run("evaluate", "--gt", SampleGt, "--pred", Deval.Sample("formats", "yolo", "predictions"), "--names", Deval.Sample("formats", "classes.txt"), "--metric", "voc");
        CommandRun coco = Deval.Run("evaluate", "--gt", SampleGt, "--pred", SampleDt, "--metric", "voc");
        Assert.True(yolo.ExitCode == 0, yolo.Error);
        Assert.Equal($"deval: {Deval.Sample("formats", "yolo", "predictions")}: read as yolo (.txt files of 'class cx cy w h conf' in [0, 1])", Assert.Single(yolo.ErrorLines));
        Assert.Contains("100 images, 80 classes, 839 ground-truth boxes, 734 detections\n", yolo.Output);
        // The VOC numbers at four decimals: a box read back from fractions can move by an ulp.
        Assert.Equal(coco.Output.Split('\n').First(l => l.Contains("mAP (all-point)", StringComparison.Ordinal)),
            yolo.Output.Split('\n').First(l => l.Contains("mAP (all-point)", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_yolo_folder_stays_yolo_when_box_format_is_given_for_txt_predictions()
    {
        // The reported misread: --box-format for the txt predictions made the YOLO labels txt, read in pixels: AP 0, exit 0.
        string labels = Write("labels/a.txt", "0 0.5 0.5 0.2 0.2\n");
        string predictions = Write("predictions/a.txt", "0 0.9 40 40 20 20\n");
        string sizes = Write("sizes.txt", "a 100 100\n");
        CommandRun run = Deval.Run("evaluate", "--gt", Path.GetDirectoryName(labels)!, "--pred", Path.GetDirectoryName(predictions)!, "--box-format", "xywh", "--image-sizes", sizes, "--metric", "voc");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            [$"deval: {Temp("labels")}: read as yolo (.txt files of 'class cx cy w h' in [0, 1])", $"deval: {Temp("predictions")}: read as txt (.txt files of 'class score a b c d' boxes)"],
            run.ErrorLines);
        Assert.Contains(" mAP (all-point) = 1.0000\n", run.Output);
    }

    [Fact]
    public void The_yolo_sample_with_txt_predictions_and_box_format_reads_as_yolo_and_scores_as_the_yolo_sample()
    {
        string labels = Deval.Sample("formats", "yolo", "labels"), sizes = Deval.Sample("formats", "images.txt");
        CommandRun run = Deval.Run("evaluate", "--gt", labels, "--pred", Deval.Sample("formats", "txt", "detection-results"), "--box-format", "xyxy", "--image-sizes", sizes);
        CommandRun named = Deval.Run("evaluate", "--gt", labels, "--gt-format", "yolo", "--pred", Deval.Sample("formats", "txt", "detection-results"), "--pred-format", "txt", "--image-sizes", sizes);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal($"deval: {labels}: read as yolo (.txt files of 'class cx cy w h' in [0, 1])", run.ErrorLines[0]);
        Assert.Equal(named.Output, run.Output);
        Assert.Contains(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.502\n", run.Output);
    }

    [Fact]
    public void A_folder_that_reads_as_yolo_and_as_txt_with_coords_rel_stops_with_one_line_naming_both()
    {
        string labels = Deval.Sample("formats", "yolo", "labels");
        CommandRun run = Deval.Run("evaluate", "--gt", labels, "--pred", Deval.Sample("formats", "csv", "predictions.csv"), "--coords", "rel", "--image-sizes", Deval.Sample("formats", "images.txt"));
        Assert.Equal(2, run.ExitCode);
        string error = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"deval: error: {labels}: Expected input whose format can be told (yolo or txt here), but got lines of a class index and fractions ", error, StringComparison.Ordinal);
        Assert.EndsWith("Name it with --gt-format yolo or --gt-format txt.", error, StringComparison.Ordinal);
        Assert.Equal("", run.Output);
    }
}
