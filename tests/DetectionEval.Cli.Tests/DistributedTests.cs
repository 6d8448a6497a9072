using System.Diagnostics;
using System.Runtime.InteropServices;
using DetectionEval.Cli.Runs;
using DetectionEval.Eval.Data;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// A run split into image shards (<c>deval evaluate --shard I/N --partial FILE</c>) and merged
/// (<c>deval merge</c>) prints and writes exactly what one run does, the error analysis too when the workers
/// keep its records (<c>--analysis</c>); partials that do not make one run are
/// refused with one line and exit 2; <c>--shard auto</c> reads the schedulers' environment.
/// </summary>
public sealed class DistributedTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-distributed-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, string> CasesAndProfiles()
    {
        var data = new TheoryData<string, string>();
        foreach (string c in ReferenceData.CocoJsonCases())
        {
            foreach (string profile in new[] { "", "--voc-iou-rule gt --voc-plus-one --iou 0.75", "--max-dets 1,2,3 --metric coco", "--metric voc" }) data.Add(c, profile);
        }
        // Masks and keypoints: fce_keypoints has one image, so all of its shards but one hold none.
        foreach (string profile in new[] { "--iou-type segm", "--iou-type bbox,segm --max-dets 1,5,20", "--iou-type segm,bbox --metric coco" }) data.Add("protocols/coco_val2014_100_segm", profile);
        foreach (string profile in new[] { "--iou-type keypoints", "--iou-type bbox,keypoints --metric coco", "--iou-type keypoints --kpt-sigmas " + string.Join(',', Enumerable.Repeat("0.05", 17)) }) data.Add("protocols/fce_keypoints", profile);
        return data;
    }

    [Theory]
    [MemberData(nameof(CasesAndProfiles))]
    public void Every_reference_case_split_into_1_2_3_and_7_shards_merges_to_the_single_run_json_and_table_with_the_analysis_byte_for_byte(string caseName, string profile)
    {
        string gt = ReferenceData.Case(Path.Combine(caseName, "gt.json")), dt = ReferenceData.Case(Path.Combine(caseName, "dt.json"));
        AssertShardsMergeToTheSingleRun(gt, dt, profile.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Boxes_masks_and_keypoints_together_split_into_shards_merge_to_the_single_run()
    {
        // fce_keypoints with each person's box as its mask polygon; the detections' masks are their boxes (pycocotools' loadRes).
        string folder = ReferenceData.Case("protocols/fce_keypoints");
        var gt = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "gt.json")))!;
        foreach (System.Text.Json.Nodes.JsonNode? annotation in gt["annotations"]!.AsArray())
        {
            double[] b = [.. annotation!["bbox"]!.AsArray().Select(v => v!.GetValue<double>())];
            annotation["segmentation"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonArray(b[0], b[1], b[0] + b[2], b[1], b[0] + b[2], b[1] + b[3], b[0], b[1] + b[3]));
        }
        string withMasks = Path.Combine(_folder, "gt-with-masks.json");
        File.WriteAllText(withMasks, gt.ToJsonString());
        AssertShardsMergeToTheSingleRun(withMasks, Path.Combine(folder, "dt.json"), ["--iou-type", "bbox,segm,keypoints"]);
    }

    /// <summary>
    /// The run split into 1, 2, 3 and 7 shards and merged (the partials in any order) gives the single run's JSON
    /// and table byte for byte, with the error analysis wherever partials keep it.
    /// </summary>
    private void AssertShardsMergeToTheSingleRun(string gt, string dt, string[] options)
    {
        string[] analysis = AnalysisOf(options);
        CommandRun json = Deval.Run(["evaluate", "--gt", gt, "--pred", dt, "--json", "-", "--score-threshold", "0.5", .. options, .. analysis]);
        CommandRun table = Deval.Run(["evaluate", "--gt", gt, "--pred", dt, .. options, .. analysis]);
        Assert.Equal(0, json.ExitCode);
        Assert.Contains("\"groundTruthFingerprint\": \"sha256:", json.Output);
        Assert.Equal(analysis.Length > 0, json.Output.Contains("\"confusionMatrix\": {", StringComparison.Ordinal));
        foreach (int n in new[] { 1, 2, 3, 7 })
        {
            string[] partials = Split(gt, dt, n, [.. options, .. analysis], out _);
            CommandRun merged = Deval.Run(["merge", .. partials.Reverse(), "--json", "-", "--score-threshold", "0.5", .. analysis]);
            Assert.Equal((0, ""), (merged.ExitCode, merged.Error));
            Assert.Equal(json.Output.Length, merged.Output.Length);
            Assert.Equal(json.Output, merged.Output);
            CommandRun mergedTable = Deval.Run(["merge", .. partials, .. analysis]);
            Assert.Equal((0, table.Output), (mergedTable.ExitCode, mergedTable.Output));
        }
    }

    /// <summary>
    /// <c>--analysis</c> wherever partials keep the error analysis: with the VOC matches, which it reads, and
    /// boxes among the iou types (a single run of masks alone analyses masks, which partials do not keep).
    /// </summary>
    private static string[] AnalysisOf(string[] options)
    {
        int iouType = Array.IndexOf(options, "--iou-type");
        bool boxes = iouType < 0 || options[iouType + 1].Split(',').Contains("bbox");
        int metric = Array.IndexOf(options, "--metric");
        bool voc = metric < 0 || options[metric + 1] != "coco";
        return boxes && voc ? ["--analysis"] : [];
    }

    [Theory]
    [InlineData("--gt samples/formats/voc/Annotations --pred samples/formats/voc/results")]
    [InlineData("--gt samples/formats/txt/ground-truth --pred samples/formats/txt/detection-results")]
    [InlineData("--gt samples/formats/csv/gt.csv --pred samples/formats/csv/predictions.csv --names samples/formats/classes.txt")]
    public void Other_formats_and_their_string_image_ids_merge_to_the_single_run(string inputs)
    {
        string[] args = [.. inputs.Split(' ').Select(a => a.StartsWith("samples/", StringComparison.Ordinal) ? Deval.Sample(a["samples/".Length..]) : a)];
        CommandRun single = Deval.Run(["evaluate", .. args, "--json", "-"]);
        Assert.Equal(0, single.ExitCode);
        var partials = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            partials.Add(Path.Combine(_folder, $"format-{i}.part"));
            Assert.Equal(0, Deval.Run(["evaluate", .. args, "--shard", $"{i}/3", "--partial", partials[^1]]).ExitCode);
        }
        CommandRun merged = Deval.Run(["merge", .. partials, "--json", "-"]);
        Assert.Equal((0, single.Output), (merged.ExitCode, merged.Output));
    }

    [Fact]
    public void Shards_without_detections_and_without_images_merge_like_the_rest()
    {
        // c10_empty_dt has no detections at all; in 50 shards of c02_basic's 50 images, shard 3 holds an image
        // without detections; in 97 shards, 47 hold no image.
        // coco_val2014_100_segm's image of rank 80 has no detections, so shard 80/103 holds it alone; 3 of 103 shards hold no image.
        // Each is merged without and with the analysis.
        foreach ((string caseName, int shards, string[] options) in new[]
        {
            ("cases/c10_empty_dt", 7, []), ("cases/c02_basic", 50, []), ("cases/c02_basic", 97, []),
            ("protocols/coco_val2014_100_segm", 103, new[] { "--iou-type", "bbox,segm" }),
        })
        {
            string gt = ReferenceData.Case(Path.Combine(caseName, "gt.json")), dt = ReferenceData.Case(Path.Combine(caseName, "dt.json"));
            foreach (string[] analysis in new[] { Array.Empty<string>(), ["--analysis"] })
            {
                string[] partials = Split(gt, dt, shards, [.. options, .. analysis], out string[] lines);
                Assert.Contains(lines, line => line.Contains(" 0 detections matched", StringComparison.Ordinal));
                string file = Path.Combine(_folder, "merged.json");
                Assert.Equal(0, Deval.Run(["merge", .. partials, "--json", file, .. analysis]).ExitCode);
                Assert.Equal(Deval.Run(["evaluate", "--gt", gt, "--pred", dt, "--json", "-", .. options, .. analysis]).Output, File.ReadAllText(file));
            }
        }
        string c02 = ReferenceData.Case("cases/c02_basic/gt.json");
        CommandRun last = Deval.Run("evaluate", "--gt", c02, "--pred", ReferenceData.Case("cases/c02_basic/dt.json"), "--shard", "96/97", "--partial", Path.Combine(_folder, "last"));
        Assert.Equal((0, $"shard 96/97: 0 images, 0 detections matched; wrote {Path.Combine(_folder, "last")}\n"), (last.ExitCode, last.Output));
    }

    [Fact]
    public void A_worker_prints_its_shard_and_the_merge_writes_markdown_and_csv_as_evaluate_does()
    {
        string gt = ReferenceData.Case("cases/c06_ties_duplicates/gt.json"), dt = ReferenceData.Case("cases/c06_ties_duplicates/dt.json");
        CommandRun worker = Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--shard", "1/3", "--partial", Path.Combine(_folder, "one.part"));
        Assert.Equal((0, $"shard 1/3: 27 images, 248 detections matched; wrote {Path.Combine(_folder, "one.part")}\n", ""), (worker.ExitCode, worker.Output, worker.Error));
        CommandRun analysing = Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--shard", "1/3", "--partial", Path.Combine(_folder, "two.part"), "--analysis");
        Assert.Equal(
            (0, $"shard 1/3: 27 images, 248 detections matched, with the error analysis's records; wrote {Path.Combine(_folder, "two.part")}\n", ""),
            (analysing.ExitCode, analysing.Output, analysing.Error));

        string[] partials = Split(gt, dt, 3, [], out _);
        Assert.Equal(0, Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--markdown", Path.Combine(_folder, "single.md"), "--csv", Path.Combine(_folder, "single.csv")).ExitCode);
        Assert.Equal(0, Deval.Run(["merge", .. partials, "--markdown", Path.Combine(_folder, "merged.md"), "--csv", Path.Combine(_folder, "merged.csv")]).ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_folder, "single.md")), File.ReadAllBytes(Path.Combine(_folder, "merged.md")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_folder, "single.csv")), File.ReadAllBytes(Path.Combine(_folder, "merged.csv")));
    }

    [Theory]
    [InlineData("cases/c06_ties_duplicates", "--score-threshold 0.5")]
    [InlineData("cases/c02_basic", "--voc-iou-rule gt --voc-plus-one --iou 0.75")]
    [InlineData("protocols/coco_val2014_100_segm", "--iou-type bbox,segm")]
    public void The_merge_draws_the_charts_and_the_html_report_of_the_single_run_file_for_file(string caseName, string profile)
    {
        string gt = ReferenceData.Case(Path.Combine(caseName, "gt.json")), dt = ReferenceData.Case(Path.Combine(caseName, "dt.json"));
        string[] options = profile.Split(' ');
        string[] accumulation = profile.StartsWith("--score-threshold", StringComparison.Ordinal) ? options : [];
        string[] workers = accumulation.Length == 0 ? options : [];
        string single = Path.Combine(_folder, "single"), merged = Path.Combine(_folder, "merged");
        string[] Outputs(string folder) =>
        [
            "--plots", Path.Combine(folder, "plots"), "--report", Path.Combine(folder, "report.html"), "--json", Path.Combine(folder, "report.json"),
            "--analysis", "--confusion-csv", Path.Combine(folder, "confusion.csv"), "--worst", "7",
        ];
        CommandRun one = Deval.Run(["evaluate", "--gt", gt, "--pred", dt, .. Outputs(single), .. options]);
        string[] partials = Split(gt, dt, 3, [.. workers, "--analysis"], out _);
        CommandRun merge = Deval.Run(["merge", .. partials.Reverse(), .. Outputs(merged), .. accumulation]);

        Assert.Equal((0, one.Output, ""), (merge.ExitCode, merge.Output, merge.Error));
        Assert.Contains("Images with the most errors", one.Output, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(Path.Combine(single, "report.json")), File.ReadAllBytes(Path.Combine(merged, "report.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(single, "confusion.csv")), File.ReadAllBytes(Path.Combine(merged, "confusion.csv")));
        string[] charts = [.. Directory.GetFiles(Path.Combine(single, "plots")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.Contains("pr_all_classes.png", charts);
        Assert.Contains("confidence_all_classes.svg", charts);
        Assert.Equal(charts, Directory.GetFiles(Path.Combine(merged, "plots")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (string chart in charts)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(single, "plots", chart)).SequenceEqual(File.ReadAllBytes(Path.Combine(merged, "plots", chart))), $"{chart} differs");
        }
        // The report is the single run's but for the command line it shows; its inputs' sizes and SHA-256 are those the workers hashed.
        string[] singleHtml = File.ReadAllLines(Path.Combine(single, "report.html")), mergedHtml = File.ReadAllLines(Path.Combine(merged, "report.html"));
        Assert.Equal(singleHtml.Length, mergedHtml.Length);
        string[] differing = [.. singleHtml.Zip(mergedHtml).Where(pair => pair.First != pair.Second).SelectMany(pair => new[] { pair.First, pair.Second })];
        Assert.Equal(2, differing.Length);
        Assert.StartsWith("<p>Command line:</p><pre>deval evaluate --gt ", differing[0], StringComparison.Ordinal);
        Assert.StartsWith($"<p>Command line:</p><pre>deval merge {partials[^1]} ", differing[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Overlays_from_partials_and_the_analysis_from_partials_without_its_records_are_refused_with_a_line_saying_how_to_get_them()
    {
        string gt = ReferenceData.Case("cases/c02_basic/gt.json"), dt = ReferenceData.Case("cases/c02_basic/dt.json");
        string[] partials = Split(gt, dt, 2, [], out _);
        AssertRefused(["merge", .. partials, "--overlays", Path.Combine(_folder, "overlays")],
            "deval: error: --overlays: Expected a single run (deval evaluate --overlays on one machine, which holds every box), but got partials: they keep each detection's match outcomes, not its boxes.");
        AssertRefused(["merge", .. partials, "--analysis", "--json", Path.Combine(_folder, "out.json")],
            $"deval: error: {partials[0]}: Expected a partial that keeps the error analysis's records (deval evaluate --shard I/N --partial FILE --analysis), but got one without them.");
        string withAnalysis = Worker(gt, dt, "0/2", "with-analysis.part", "--analysis");
        AssertRefused(["merge", withAnalysis, partials[1], "--confusion-csv", Path.Combine(_folder, "confusion.csv")],
            $"deval: error: {partials[1]}: Expected a partial that keeps the error analysis's records (deval evaluate --shard I/N --partial FILE --analysis), but got one without them.");
        string segm = ReferenceData.Case("protocols/coco_val2014_100_segm/gt.json"), segmDt = ReferenceData.Case("protocols/coco_val2014_100_segm/dt.json");
        string[] masks = Split(segm, segmDt, 2, ["--iou-type", "segm"], out _);
        AssertRefused(["merge", .. masks, "--analysis", "--json", Path.Combine(_folder, "out.json")],
            "deval: error: Expected the error analysis of boxes (a partial keeps what it reads of box matches), but got partials of --iou-type segm; run it with 'deval evaluate --analysis' on one machine.");
        Assert.False(Directory.Exists(Path.Combine(_folder, "overlays")) || File.Exists(Path.Combine(_folder, "out.json")) || File.Exists(Path.Combine(_folder, "confusion.csv")));
    }

    [Fact]
    public void Gate_and_compare_read_a_merged_report_as_the_single_runs()
    {
        string gt = ReferenceData.Case("cases/c06_ties_duplicates/gt.json"), dt = ReferenceData.Case("cases/c06_ties_duplicates/dt.json");
        string single = Path.Combine(_folder, "single.json"), merged = Path.Combine(_folder, "merged.json");
        Assert.Equal(0, Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--json", single).ExitCode);
        Assert.Equal(0, Deval.Run(["merge", .. Split(gt, dt, 3, [], out _), "--json", merged]).ExitCode);

        CommandRun gate = Deval.Run("gate", "--baseline", single, "--current", merged, "--max-drop", "AP=0", "--per-class-max-drop", "0");
        CommandRun gateOfSingle = Deval.Run("gate", "--baseline", single, "--current", single, "--max-drop", "AP=0", "--per-class-max-drop", "0");
        Assert.Equal((0, gateOfSingle.Output.Replace(single, merged, StringComparison.Ordinal)), (gate.ExitCode, gate.Output.Replace(single, merged, StringComparison.Ordinal)));
        Assert.Contains("PASS", gate.Output, StringComparison.Ordinal);
        CommandRun compare = Deval.Run("compare", single, merged);
        Assert.Equal((0, Deval.Run("compare", single, single).Output.Replace(single, merged, StringComparison.Ordinal)), (compare.ExitCode, compare.Output.Replace(single, merged, StringComparison.Ordinal)));
    }

    [Fact]
    public void Missing_repeated_and_foreign_shards_are_refused_with_one_line_and_exit_2_writing_nothing()
    {
        string gt = ReferenceData.Case("cases/c06_ties_duplicates/gt.json"), dt = ReferenceData.Case("cases/c06_ties_duplicates/dt.json");
        string[] p = Split(gt, dt, 3, [], out _);
        string iou = Worker(gt, dt, "1/3", "iou.part", "--iou", "0.75");
        string otherGt = Worker(ReferenceData.Case("cases/c02_basic/gt.json"), ReferenceData.Case("cases/c02_basic/dt.json"), "1/3", "other-gt.part");
        string ofFour = Worker(gt, dt, "1/4", "of-four.part");
        string notPartial = Path.Combine(_folder, "not-a-partial.part");
        File.WriteAllText(notPartial, "[]");
        string json = Path.Combine(_folder, "out.json");

        AssertRefused(["merge", p[0], p[1], "--json", json], "deval: error: Expected all 3 shards, but got 2: missing 2/3.");
        AssertRefused(["merge", p[0], p[1], p[1], p[2], "--json", json], $"deval: error: {p[1]}: Expected each shard once, but got shard 1/3 twice (also {p[1]}).");
        AssertRefused(["merge", p[0], iou, p[2], "--json", json],
            $"deval: error: {iou}: Expected the settings of {p[0]} (metrics coco+voc, VOC IoU >= 0.5, maxDets 1,10,100, iou types bbox), but got metrics coco+voc, VOC IoU >= 0.75, maxDets 1,10,100, iou types bbox.");
        AssertRefused(["merge", p[0], otherGt, p[2], "--json", json], $"deval: error: {otherGt}: Expected the ground truth of {p[0]} (sha256:", prefixOnly: true);
        AssertRefused(["merge", p[0], ofFour, p[2], "--json", json], $"deval: error: {ofFour}: Expected a shard of 3 like {p[0]}, but got shard 1/4.");
        AssertRefused(["merge", p[0], notPartial, "--json", json], $"deval: error: {notPartial}: Expected a partial result written by 'deval evaluate --partial', but got an unreadable file (", prefixOnly: true);
        AssertRefused(["merge", p[0], Path.Combine(_folder, "missing.part"), "--json", json], $"deval: error: {Path.Combine(_folder, "missing.part")}: Expected a partial result file, but got no such file.");
        Assert.False(File.Exists(json));
    }

    [Fact]
    public void Shards_of_other_iou_types_or_keypoint_sigmas_are_refused_with_one_line_naming_them()
    {
        string gt = ReferenceData.Case("protocols/fce_keypoints/gt.json"), dt = ReferenceData.Case("protocols/fce_keypoints/dt.json");
        string sigmas = string.Join(',', Enumerable.Repeat("0.05", 17));
        string keypoints = Worker(gt, dt, "0/2", "keypoints.part", "--iou-type", "keypoints");
        string otherSigmas = Worker(gt, dt, "1/2", "sigmas.part", "--iou-type", "keypoints", "--kpt-sigmas", sigmas);
        string both = Worker(gt, dt, "1/2", "both.part", "--iou-type", "bbox,keypoints");
        string json = Path.Combine(_folder, "out.json");
        const string Common = "metrics coco+voc, VOC IoU >= 0.5, maxDets 1,10,100";

        AssertRefused(["merge", keypoints, both, "--json", json], $"deval: error: {both}: Expected the settings of {keypoints} ({Common}, iou types keypoints), but got {Common}, iou types bbox,keypoints.");
        AssertRefused(["merge", keypoints, otherSigmas, "--json", json],
            $"deval: error: {otherSigmas}: Expected the settings of {keypoints} ({Common}, iou types keypoints), but got {Common}, iou types keypoints, OKS sigmas {sigmas}.");
        Assert.False(File.Exists(json));
    }

    [Fact]
    public void Shards_that_read_copies_of_the_predictions_at_other_paths_merge_and_other_content_is_refused()
    {
        string gt = ReferenceData.Case("cases/c06_ties_duplicates/gt.json"), dt = ReferenceData.Case("cases/c06_ties_duplicates/dt.json");
        // Two machines that mount the same predictions at different paths.
        string here = Path.Combine(_folder, "machine-a", "dt.json"), there = Path.Combine(_folder, "machine-b", "predictions.json");
        Directory.CreateDirectory(Path.GetDirectoryName(here)!);
        Directory.CreateDirectory(Path.GetDirectoryName(there)!);
        File.Copy(dt, here);
        File.Copy(dt, there);
        string first = Worker(gt, here, "0/2", "a.part"), second = Worker(gt, there, "1/2", "b.part");
        CommandRun merged = Deval.Run("merge", first, second, "--json", "-");
        // The report names the first shard's predictions, as a single run over them does.
        Assert.Equal((0, Deval.Run("evaluate", "--gt", gt, "--pred", here, "--json", "-").Output, ""), (merged.ExitCode, merged.Output, merged.Error));

        // One more line at the end: the same detections, but not the same file.
        string changed = Path.Combine(_folder, "machine-b", "changed.json");
        File.WriteAllText(changed, File.ReadAllText(dt) + "\n");
        string other = Worker(gt, changed, "1/2", "changed.part");
        AssertRefused(["merge", first, other, "--json", Path.Combine(_folder, "out.json")],
            $"deval: error: {other}: Expected the predictions of {first} ({here}: {Content(here)}), but got {changed}: {Content(changed)}; every shard must read the same predictions.");
        Assert.False(File.Exists(Path.Combine(_folder, "out.json")));

        static string Content(string file) =>
            $"{new FileInfo(file).Length.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes, sha256:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)))[..12]}";
    }

    [Fact]
    public void Worker_options_that_cannot_work_are_refused_with_one_line_and_exit_2()
    {
        string gt = ReferenceData.Case("cases/c02_basic/gt.json"), dt = ReferenceData.Case("cases/c02_basic/dt.json");
        string part = Path.Combine(_folder, "p.part");
        AssertRefused(["evaluate", "--gt", gt, "--pred", dt, "--shard", "1/3"], "deval: error: --shard: Expected --partial FILE to write the shard's records to, but got none.");
        AssertRefused(["evaluate", "--gt", gt, "--pred", dt, "--shard", "3/3", "--partial", part], "deval: error: --shard: Expected I/N with 0 <= I < N (e.g. 0/8), or auto, but got '3/3'.");
        AssertRefused(["evaluate", "--gt", gt, "--pred", dt, "--shard", "0/2", "--partial", part, "--json", "x.json"],
            "deval: error: --partial: Expected no report options (deval merge writes the reports), but got --json.");
        AssertRefused(["evaluate", "--gt", gt, "--pred", dt, "--shard", "0/2", "--partial", part, "--analysis", "--confusion-csv", "c.csv"],
            "deval: error: --partial: Expected no report options (deval merge writes the reports), but got --confusion-csv.");
        AssertRefused(["evaluate", "--gt", gt, "--pred", dt, "--shard", "0/2", "--partial", part, "--analysis", "--metric", "coco"],
            "deval: error: --analysis: Expected the VOC matches (--metric voc or all), but got --metric coco.");
        AssertRefused(["evaluate", "--gt", gt, "--pred", dt, "--shard", "0/2", "--partial", part, "--analysis", "--iou-type", "segm"],
            "deval: error: --analysis: Expected bbox among --iou-type (a partial keeps the error analysis of box matches), but got --iou-type segm; run the analysis of masks with 'deval evaluate --analysis' on one machine.");
        AssertRefused(["evaluate", "--gt", gt, "--pred", dt, "--shard", "0/2", "--partial", gt], $"deval: error: {gt}: Expected an output file for --partial, but got one of the inputs.");
        Assert.False(File.Exists(part));
    }

    [Fact]
    public void Shard_auto_reads_a_kubernetes_indexed_job_or_a_slurm_array()
    {
        static Func<string, string?> Env(params (string Name, string Value)[] variables) => name => variables.FirstOrDefault(v => v.Name == name).Value;
        Assert.Equal(new ImageShard(2, 8), ShardChoice.Resolve("auto", 8, Env(("JOB_COMPLETION_INDEX", "2"))));
        Assert.Equal(new ImageShard(3, 4), ShardChoice.Resolve("auto", null, Env(("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "4"))));
        // sbatch --array=1-4 numbers its tasks from 1.
        Assert.Equal(new ImageShard(0, 4), ShardChoice.Resolve("auto", null, Env(("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "4"))));
        Assert.Equal(new ImageShard(1, 5), ShardChoice.Resolve("1/5", null, Env()));
        Assert.Equal(ImageShard.Whole, ShardChoice.Resolve(null, null, Env()));

        Assert.Equal(
            "--shard auto: Expected --shards N with JOB_COMPLETION_INDEX (a Kubernetes Indexed Job; N = its completions), but got no --shards.",
            Assert.Throws<UsageException>(() => ShardChoice.Resolve("auto", null, Env(("JOB_COMPLETION_INDEX", "2")))).Message);
        Assert.Equal(
            "--shard auto: Expected JOB_COMPLETION_INDEX (a Kubernetes Indexed Job, with --shards N) or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm array), but got neither.",
            Assert.Throws<UsageException>(() => ShardChoice.Resolve("auto", 4, Env())).Message);
        Assert.Equal(
            "--shard auto: Expected a shard index from 0 to 3, but got 4 from JOB_COMPLETION_INDEX=4 with --shards 4.",
            Assert.Throws<UsageException>(() => ShardChoice.Resolve("auto", 4, Env(("JOB_COMPLETION_INDEX", "4")))).Message);
        Assert.Equal(
            "--shard auto: Expected SLURM_ARRAY_TASK_ID to be a whole number, but got 'x'.",
            Assert.Throws<UsageException>(() => ShardChoice.Resolve("auto", null, Env(("SLURM_ARRAY_TASK_ID", "x")))).Message);
    }

    [Theory]
    [InlineData("kubernetes")]
    [InlineData("slurm")]
    public async Task Parallel_worker_processes_with_the_schedulers_environment_merge_to_the_single_run(string scheduler)
    {
        string gt = ReferenceData.Case("cases/c06_ties_duplicates/gt.json"), dt = ReferenceData.Case("cases/c06_ties_duplicates/dt.json");
        const int Shards = 4;
        var workers = new List<Task<(int Exit, string Output, string Error)>>();
        for (int i = 0; i < Shards; i++)
        {
            string partial = Path.Combine(_folder, $"{scheduler}-{i}.part");
            (string, string)[] environment = scheduler == "kubernetes"
                ? [("JOB_COMPLETION_INDEX", $"{i}")]
                : [("SLURM_ARRAY_TASK_ID", $"{i + 1}"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", $"{Shards}")];
            string[] shards = scheduler == "kubernetes" ? ["--shards", $"{Shards}"] : [];
            workers.Add(RunProcess(["evaluate", "--gt", gt, "--pred", dt, "--shard", "auto", .. shards, "--partial", partial], environment));
        }
        (int Exit, string Output, string Error)[] done = await Task.WhenAll(workers);
        for (int i = 0; i < Shards; i++)
        {
            Assert.Equal((0, ""), (done[i].Exit, done[i].Error));
            Assert.StartsWith($"shard {i}/{Shards}: ", done[i].Output, StringComparison.Ordinal);
        }
        CommandRun merged = Deval.Run(["merge", .. Enumerable.Range(0, Shards).Select(i => Path.Combine(_folder, $"{scheduler}-{i}.part")), "--json", "-"]);
        Assert.Equal((0, Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--json", "-").Output), (merged.ExitCode, merged.Output));
    }

    private static Task<(int, string, string)> RunProcess(string[] args, (string Name, string Value)[] environment)
    {
        string dotnet = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        var start = new ProcessStartInfo(dotnet) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(DevalApp).Assembly.Location);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        foreach (string name in new[] { "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT" }) start.Environment.Remove(name);
        foreach ((string name, string value) in environment) start.Environment[name] = value;
        return Task.Run(async () =>
        {
            using Process process = Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output, await error);
        });
    }

    private string[] Split(string gt, string dt, int shards, string[] options, out string[] lines)
    {
        var paths = new string[shards];
        lines = new string[shards];
        for (int i = 0; i < shards; i++)
        {
            paths[i] = Path.Combine(_folder, $"{Guid.NewGuid():N}-{i}.part");
            CommandRun worker = Deval.Run(["evaluate", "--gt", gt, "--pred", dt, "--shard", $"{i}/{shards}", "--partial", paths[i], .. options]);
            // Warnings about the inputs (empty predictions) are the single run's own.
            Assert.Equal((0, true), (worker.ExitCode, worker.ErrorLines.All(l => l.StartsWith("deval: warning: ", StringComparison.Ordinal))));
            lines[i] = worker.Output;
        }
        return paths;
    }

    private string Worker(string gt, string dt, string shard, string name, params string[] options)
    {
        string path = Path.Combine(_folder, name);
        Assert.Equal(0, Deval.Run(["evaluate", "--gt", gt, "--pred", dt, "--shard", shard, "--partial", path, .. options]).ExitCode);
        return path;
    }

    private static void AssertRefused(string[] args, string line, bool prefixOnly = false)
    {
        CommandRun run = Deval.Run(args);
        Assert.Equal((2, ""), (run.ExitCode, run.Output));
        Assert.Single(run.ErrorLines);
        if (prefixOnly) Assert.True(run.ErrorLines[0].StartsWith(line, StringComparison.Ordinal), $"Expected a line starting {line}, but got {run.ErrorLines[0]}");
        else Assert.Equal(line, run.ErrorLines[0]);
    }
}
