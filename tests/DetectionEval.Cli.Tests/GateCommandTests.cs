using System.Text.Json.Nodes;
using System.Xml.Linq;
using DetectionEval.Eval.Formats;

namespace DetectionEval.Cli.Tests;

/// <summary><c>deval gate</c> end to end: exit codes, the verdict line, and the files it writes.</summary>
public sealed class GateCommandTests : IDisposable
{
    private static readonly string SampleGroundTruth = Deval.Sample("coco-val2014-100", "instances_val2014_100.json");
    private static readonly string SamplePredictions = Deval.Sample("coco-val2014-100", "fakebbox100_results.json");
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-gate-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Path_(string name) => Path.Combine(_folder, name);

    /// <summary>Writes the sample's predictions filtered by <paramref name="keep"/> (index, prediction) and returns the path.</summary>
    private string Predictions(string name, Func<int, JsonNode, bool> keep)
    {
        JsonArray all = JsonNode.Parse(File.ReadAllText(SamplePredictions))!.AsArray();
        var kept = new JsonArray([.. all.Select((p, i) => (p, i)).Where(x => keep(x.i, x.p!)).Select(x => x.p!.DeepClone())]);
        string path = Path_(name);
        File.WriteAllText(path, kept.ToJsonString());
        return path;
    }

    /// <summary>Evaluates into a report and returns its path.</summary>
    private string Report(string name, string predictions, params string[] options)
    {
        string path = Path_(name);
        CommandRun run = Deval.Run(["evaluate", "--gt", SampleGroundTruth, "--pred", predictions, "--json", path, .. options]);
        Assert.Equal(0, run.ExitCode);
        return path;
    }

    private string Baseline() => Report("base.json", SamplePredictions);

    private string WithoutDogs() => Predictions("nodog.json", (_, p) => (int)p["category_id"]! != 18);

    private static void AssertOneErrorLine(CommandRun run, string file, string path, string message)
    {
        Assert.Equal(2, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("deval: error: " + file, line);
        Assert.Contains(path, line);
        Assert.Contains(message, line);
        Assert.DoesNotContain("Exception", run.Error);
    }

    // ---- acceptance: pass, fail, tolerance ----

    [Fact]
    public void Identical_runs_pass()
    {
        string baseline = Baseline();
        CommandRun run = Deval.Run("gate", "--baseline", baseline, "--current", baseline, "--max-drop", "AP=0,mAPAll=0", "--per-class-max-drop", "0");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("deval: gate passed: 142 of 142 checks within limits, 20 not applicable", Assert.Single(run.ErrorLines));
        Assert.EndsWith("PASS\n", run.Output);
    }

    [Fact]
    public void Dropping_one_class_fails_with_exit_1_and_a_message_naming_the_class_and_metric()
    {
        string baseline = Baseline(), current = Report("cur.json", WithoutDogs());
        CommandRun run = Deval.Run("gate", "--baseline", baseline, "--current", current, "--per-class-max-drop", "0.02");
        Assert.Equal(1, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.Equal(
            "deval: gate FAILED: 2 of 140 checks failed: AP of class 18 \"dog\": baseline 0.6337, current 0.0000, drop 0.6337 > allowed 0.0200; " +
            "apAll of class 18 \"dog\": baseline 1.0000, current 0.0000, drop 1.0000 > allowed 0.0200", line);
        Assert.Contains("FAIL  AP of class 18 \"dog\"", run.Output);
        Assert.EndsWith("FAIL\n", run.Output);
    }

    [Fact]
    public void A_change_within_tolerance_passes()
    {
        // The ten lowest-scoring detections gone: AP moves, but by far less than 0.005.
        JsonArray all = JsonNode.Parse(File.ReadAllText(SamplePredictions))!.AsArray();
        double cut = all.Select(p => (double)p!["score"]!).Order().ElementAt(10);
        string current = Report("cur.json", Predictions("fewer.json", (_, p) => (double)p["score"]! >= cut));
        string baseline = Baseline();

        CommandRun tolerant = Deval.Run("gate", "--baseline", baseline, "--current", current, "--max-drop", "AP=0.005,AP50=0.005");
        Assert.Equal(0, tolerant.ExitCode);
        CommandRun strict = Deval.Run("gate", "--baseline", baseline, "--current", current, "--max-drop", "AP=0");
        Assert.Equal(1, strict.ExitCode);
    }

    [Fact]
    public void Floors_fail_below_their_minimum()
    {
        string baseline = Baseline();
        CommandRun run = Deval.Run("gate", "--baseline", baseline, "--current", baseline, "--min", "AP=0.30,AP50=0.75");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("deval: gate FAILED: 1 of 2 checks failed: AP50: current 0.6970 < minimum 0.7500", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public void Evaluating_predictions_gives_the_verdict_of_their_report()
    {
        string baseline = Baseline(), predictions = WithoutDogs(), current = Report("cur.json", predictions);
        string[] rules = ["--max-drop", "AP=0.005", "--per-class-max-drop", "0.02", "--min", "AP=0.3"];
        CommandRun fromReport = Deval.Run(["gate", "--baseline", baseline, "--current", current, .. rules]);
        CommandRun fromPredictions = Deval.Run(["gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", predictions, "--json", Path_("next.json"), .. rules]);
        Assert.Equal(1, fromPredictions.ExitCode);
        Assert.Equal(fromReport.Error.Replace(current, predictions, StringComparison.Ordinal), fromPredictions.Error);
        Assert.Equal(fromReport.Output.Replace(current, predictions, StringComparison.Ordinal), fromPredictions.Output);
        // The run's own report, the next baseline, is what evaluate writes.
        Assert.Equal(File.ReadAllText(current), File.ReadAllText(Path_("next.json")));
    }

    [Fact]
    public void Low_memory_gives_the_same_verdict_and_report_and_refuses_a_paired_run()
    {
        string baseline = Baseline(), predictions = WithoutDogs();
        string[] rules = ["--max-drop", "AP=0.005", "--per-class-max-drop", "0.02", "--min", "AP=0.3"];
        CommandRun inMemory = Deval.Run(["gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", predictions, "--json", Path_("a.json"), "--low-memory", "false", .. rules]);
        CommandRun spilled = Deval.Run(["gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", predictions, "--json", Path_("b.json"), "--low-memory", .. rules]);
        Assert.Equal(1, inMemory.ExitCode);
        Assert.Equal((inMemory.ExitCode, inMemory.Output, inMemory.Error), (spilled.ExitCode, spilled.Output, spilled.Error));
        Assert.Equal(File.ReadAllText(Path_("a.json")), File.ReadAllText(Path_("b.json")));

        CommandRun paired = Deval.Run(["gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", predictions, "--baseline-pred", SamplePredictions, "--low-memory", .. rules]);
        Assert.Equal(2, paired.ExitCode);
        Assert.Equal(
            "deval: error: --low-memory: Expected --gt and --pred without --baseline-pred (the paired run keeps every match for the bootstrap), but got --baseline-pred.",
            Assert.Single(paired.ErrorLines));
    }

    // ---- acceptance: bad and mismatched baselines exit 2 ----

    [Fact]
    public void A_malformed_baseline_exits_2_with_file_and_json_path()
    {
        string baseline = Baseline();
        string broken = Path_("broken.json");
        File.WriteAllText(broken, File.ReadAllText(baseline).Replace("\"AP50\": 0.6969727247299577", "\"AP50\": \"high\"", StringComparison.Ordinal));
        CommandRun run = Deval.Run("gate", "--baseline", broken, "--current", baseline, "--max-drop", "AP=0", "--junit", Path_("gate.xml"));
        AssertOneErrorLine(run, broken, "$.coco.AP50", "Expected a number or null, but got the string \"high\"");
        Assert.False(File.Exists(Path_("gate.xml")));

        string truncated = Path_("truncated.json");
        File.WriteAllText(truncated, File.ReadAllText(baseline)[..500]);
        AssertOneErrorLine(Deval.Run("gate", "--baseline", truncated, "--current", baseline, "--max-drop", "AP=0"), truncated, ": $", "Expected valid JSON");
    }

    [Fact]
    public void A_baseline_of_other_ground_truth_exits_2()
    {
        JsonNode gt = JsonNode.Parse(File.ReadAllText(SampleGroundTruth))!;
        gt["annotations"]![0]!["bbox"]![0] = (double)gt["annotations"]![0]!["bbox"]![0]! + 1;
        string otherGroundTruth = Path_("other_gt.json");
        File.WriteAllText(otherGroundTruth, gt.ToJsonString());
        string baseline = Path_("base.json");
        Assert.Equal(0, Deval.Run("evaluate", "--gt", otherGroundTruth, "--pred", SamplePredictions, "--json", baseline).ExitCode);
        string current = Report("cur.json", SamplePredictions);

        CommandRun run = Deval.Run("gate", "--baseline", baseline, "--current", current, "--max-drop", "AP=0.005");
        AssertOneErrorLine(run, baseline, "$.inputs.groundTruthFingerprint", $"Expected the ground truth of {current} (sha256:");
        Assert.Contains("but got other ground truth", run.Error);
        CommandRun evaluating = Deval.Run("gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--max-drop", "AP=0.005",
            "--json", Path_("next.json"), "--junit", Path_("gate.xml"));
        AssertOneErrorLine(evaluating, baseline, "$.inputs.groundTruthFingerprint", "but got other ground truth");
        Assert.False(File.Exists(Path_("next.json")) || File.Exists(Path_("gate.xml")), "a gate that stops on bad input writes no file");
    }

    [Fact]
    public void A_baseline_of_other_classes_exits_2()
    {
        JsonNode gt = JsonNode.Parse(File.ReadAllText(SampleGroundTruth))!;
        gt["categories"]![3]!["name"] = "motorbike";
        string otherGroundTruth = Path_("other_gt.json");
        File.WriteAllText(otherGroundTruth, gt.ToJsonString());
        string baseline = Path_("base.json");
        Assert.Equal(0, Deval.Run("evaluate", "--gt", otherGroundTruth, "--pred", SamplePredictions, "--json", baseline).ExitCode);
        string current = Report("cur.json", SamplePredictions);

        AssertOneErrorLine(Deval.Run("gate", "--baseline", baseline, "--current", current, "--max-drop", "AP=0"),
            baseline, "$.coco.perClass[3]",
            $"Expected class 4 \"motorcycle\" as in {SampleGroundTruth} (the ground truth of {current}), but got class 4 \"motorbike\" from {otherGroundTruth} (the ground truth of {baseline}).");
    }

    [Fact]
    public void A_baseline_of_another_metric_set_exits_2()
    {
        string vocOnly = Report("voc.json", SamplePredictions, "--metric", "voc");
        string cocoOnly = Report("coco.json", SamplePredictions, "--metric", "coco");
        AssertOneErrorLine(Deval.Run("gate", "--baseline", vocOnly, "--current", cocoOnly, "--max-drop", "mAPAll=0"),
            cocoOnly, "$.voc", "Expected VOC results (the metric set compared is voc), but got null");
        AssertOneErrorLine(Deval.Run("gate", "--baseline", cocoOnly, "--current", Baseline(), "--metric-set", "all", "--max-drop", "AP=0"),
            cocoOnly, "$.voc", "Expected VOC results (the metric set compared is coco+voc), but got null");
        // A COCO-only baseline gates COCO, whatever else the current run holds.
        Assert.Equal(0, Deval.Run("gate", "--baseline", cocoOnly, "--current", Baseline(), "--max-drop", "AP=0").ExitCode);
    }

    [Fact]
    public void A_baseline_of_another_evaluation_profile_exits_2()
    {
        string strict = Report("strict.json", SamplePredictions, "--iou", "0.75");
        string current = Report("cur.json", SamplePredictions);
        AssertOneErrorLine(Deval.Run("gate", "--baseline", strict, "--current", current, "--max-drop", "mAPAll=0"),
            strict, "$.voc", "Expected the VOC profile of " + current + " (IoU >= 0.50, continuous coordinates), but got another profile (IoU >= 0.75, continuous coordinates)");
        AssertOneErrorLine(Deval.Run("gate", "--baseline", strict, "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--iou", "0.5", "--max-drop", "mAPAll=0"),
            strict, "$.voc.iou", "Expected 0.5 (--iou), but got 0.75");
        // Without --iou the gate evaluates like the baseline, and the same predictions pass.
        Assert.Equal(0, Deval.Run("gate", "--baseline", strict, "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--max-drop", "mAPAll=0").ExitCode);
        string capped = Report("capped.json", SamplePredictions, "--max-dets", "1,5,20");
        AssertOneErrorLine(Deval.Run("gate", "--baseline", capped, "--current", current, "--max-drop", "AP=0"),
            capped, "$.coco.maxDets", "Expected [1, 10, 100] as in " + current + ", but got [1, 5, 20]");
    }

    // ---- bootstrap ----

    [Fact]
    public void The_bootstrap_is_deterministic_for_a_seed_and_reports_intervals()
    {
        string baseline = Baseline(), predictions = WithoutDogs();
        string[] args = ["gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", predictions, "--baseline-pred", SamplePredictions,
            "--max-drop", "AP=0.005", "--per-class-max-drop", "0.02", "--bootstrap", "100", "--seed", "3"];
        CommandRun first = Deval.Run([.. args, "--json", Path_("next.json")]), second = Deval.Run([.. args, "--threads", "1"]);
        Assert.Equal(1, first.ExitCode);
        Assert.Equal(first.Output, second.Output);
        Assert.Equal(first.Error, second.Error);
        Assert.Contains("paired bootstrap: 100 replicates, seed 3; a drop fails only when its 95% interval lies above the allowance", first.Output);
        // Removing dogs lowers AP by 0.0091, but only in resamples that draw a dog: the interval reaches below the allowance.
        Assert.Matches(@"pass  AP: baseline 0\.5046, current 0\.4955, drop 0\.0091 \(95% interval 0\.00[0-4]\d to 0\.0\d{3}\) > allowed 0\.0050, but not significantly\n", first.Output);
        Assert.Contains("FAIL  AP of class 18 \"dog\"", first.Output);
        Assert.NotEqual(first.Output, Deval.Run([.. args[..^1], "4"]).Output);
        // The run's own report is what evaluate writes, bootstrap or not.
        Assert.Equal(File.ReadAllText(Report("cur.json", predictions)), File.ReadAllText(Path_("next.json")));
    }

    [Fact]
    public void A_class_drop_above_the_allowance_that_the_bootstrap_cannot_tell_from_noise_is_named_in_every_output()
    {
        // Two detections fewer (the best car and the best cup): cup's AP and car's and cup's apAll drop by more
        // than 0.02, but only in the resamples that draw those images, so each interval starts at 0.
        string predictions = Deval.Sample("coco-val2014-100", "gate", "two_fewer_results.json");
        string baseline = Deval.Sample("coco-val2014-100", "gate", "baseline.json");
        string[] args = ["gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", predictions, "--baseline-pred", SamplePredictions,
            "--bootstrap", "200", "--seed", "1", "--max-drop", "AP=0.005", "--per-class-max-drop", "0.02"];
        CommandRun run = Deval.Run([.. args, "--junit", Path_("gate.xml"), "--markdown", Path_("gate.md")]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            $"deval gate: baseline {baseline}, current {predictions} (coco+voc, 80 classes, 100 images)\n" +
            "paired bootstrap: 200 replicates, seed 1; a drop fails only when its 95% interval lies above the allowance\n" +
            "pass  AP: baseline 0.5046, current 0.5041, drop 0.0005 (95% interval 0.0000 to 0.0026), allowed 0.0050\n" +
            "pass  AP of class 47 \"cup\": baseline 0.5056, current 0.4814, drop 0.0242 (95% interval 0.0000 to 0.1497) > allowed 0.0200, but not significantly\n" +
            "pass  AP of all 70 classes: no drop significantly above 0.0200; measured above it: class 47 \"cup\" 0.0242 (10 classes without ground truth not checked)\n" +
            "pass  apAll of class 3 \"car\": baseline 0.7228, current 0.6692, drop 0.0536 (95% interval 0.0000 to 0.0800) > allowed 0.0200, but not significantly\n" +
            "pass  apAll of class 47 \"cup\": baseline 0.7480, current 0.7202, drop 0.0279 (95% interval 0.0000 to 0.1852) > allowed 0.0200, but not significantly\n" +
            "pass  apAll of all 70 classes: no drop significantly above 0.0200; measured above it: class 3 \"car\" 0.0536, class 47 \"cup\" 0.0279 (10 classes without ground truth not checked)\n" +
            "PASS\n",
            run.Output);
        Assert.Equal("deval: gate passed: 141 of 141 checks within limits (3 drops above the allowance, but not significantly), 20 not applicable", Assert.Single(run.ErrorLines));
        Assert.DoesNotContain("every drop within", run.Output);

        string markdown = File.ReadAllText(Path_("gate.md"));
        Assert.Contains(
            "| pass | AP | 0.5046 | 0.5041 | 0.0005 | 0.0050 | 0.0000 to 0.0026 |\n" +
            "| pass (not significant) | AP of class 47 \"cup\" | 0.5056 | 0.4814 | 0.0242 | 0.0200 | 0.0000 to 0.1497 |\n" +
            "| pass (not significant) | apAll of class 3 \"car\" | 0.7228 | 0.6692 | 0.0536 | 0.0200 | 0.0000 to 0.0800 |\n" +
            "| pass (not significant) | apAll of class 47 \"cup\" | 0.7480 | 0.7202 | 0.0279 | 0.0200 | 0.0000 to 0.1852 |\n" +
            "| pass | AP of all 70 classes: no drop significantly above 0.0200; measured above it: class 47 \"cup\" 0.0242 (10 classes without ground truth not checked) | | | | 0.0200 | |\n" +
            "| pass | apAll of all 70 classes: no drop significantly above 0.0200; measured above it: class 3 \"car\" 0.0536, class 47 \"cup\" 0.0279 (10 classes without ground truth not checked) | | | | 0.0200 | |\n",
            markdown);
        Assert.DoesNotContain("every drop within", markdown);

        XDocument junit = XDocument.Load(Path_("gate.xml"));
        Assert.Equal(0, (int)junit.Root!.Attribute("failures")!);
        XElement car = junit.Descendants("testcase").Single(c => (string)c.Attribute("name")! == "apAll of class 3 \"car\" drop not significantly above 0.0200");
        Assert.Equal(
            "apAll of class 3 \"car\": baseline 0.7228, current 0.6692, drop 0.0536 (95% interval 0.0000 to 0.0800) > allowed 0.0200, but not significantly\n" +
            "metric: apAll of class 3 \"car\"\nbaseline: 0.7228\ncurrent: 0.6692\ndrop: 0.0536\nallowed: 0.0200\n95% interval of the drop: 0.0000 to 0.0800\n",
            (string)car.Element("system-out")!);
        Assert.Equal(["AP of class 47 \"cup\"", "apAll of class 3 \"car\"", "apAll of class 47 \"cup\""],
            junit.Descendants("system-out").Select(o => ((string)o).Split(':')[0]));
        Assert.Equal("AP drop not significantly above 0.0050", (string)junit.Descendants("testcase").First().Attribute("name")!);

        // Judged by the measured drops alone, the same three are regressions.
        CommandRun measured = Deval.Run("gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", predictions, "--max-drop", "AP=0.005", "--per-class-max-drop", "0.02");
        Assert.Equal(1, measured.ExitCode);
        Assert.StartsWith("deval: gate FAILED: 3 of 141 checks failed: AP of class 47 \"cup\": baseline 0.5056, current 0.4814, drop 0.0242 > allowed 0.0200;", Assert.Single(measured.ErrorLines));
    }

    [Theory]
    [InlineData(1, 1, "bbox")]
    [InlineData(2, 2, "bbox")]
    [InlineData(3, 2, "bbox")]
    [InlineData(3, 1, "segm")]
    public void The_bootstrap_from_both_runs_shards_gives_the_single_runs_verdict_and_files_byte_for_byte(int currentShards, int baselineShards, string iouType)
    {
        bool masks = iouType == "segm";
        string baseline = masks ? Report("segm.json", SegmPredictions, "--iou-type", "segm") : Deval.Sample("coco-val2014-100", "gate", "baseline.json");
        string predictions = masks ? SegmRegressed : Deval.Sample("coco-val2014-100", "gate", "two_fewer_results.json");
        string baselinePredictions = masks ? SegmPredictions : SamplePredictions;
        string[] worker = masks ? ["--iou-type", "segm"] : [];
        string[] rules = masks ? ["--per-class-max-drop", "segm.AP=0.02"] : ["--max-drop", "AP=0.005", "--per-class-max-drop", "0.02"];
        string[] outputs(string name) => ["--json", Path_(name + ".json"), "--junit", Path_(name + ".xml"), "--markdown", Path_(name + ".md")];
        CommandRun single = Deval.Run(["gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", predictions, "--baseline-pred", baselinePredictions,
            "--bootstrap", "200", "--seed", "1", .. rules, .. outputs("single")]);

        CommandRun merged = Deval.Run(["gate", "--baseline", baseline,
            "--current-partials", .. Shards("cur", predictions, currentShards, worker), "--baseline-partials", .. Shards("base", baselinePredictions, baselineShards, worker),
            "--bootstrap", "200", "--seed", "1", .. rules, .. outputs("merged")]);

        Assert.Equal(0, single.ExitCode);
        Assert.Contains("but not significantly", single.Output, StringComparison.Ordinal);
        Assert.Equal((single.ExitCode, single.Output, single.Error), (merged.ExitCode, merged.Output, merged.Error));
        foreach (string extension in new[] { ".json", ".xml", ".md" })
        {
            Assert.Equal(File.ReadAllBytes(Path_("single" + extension)), File.ReadAllBytes(Path_("merged" + extension)));
        }
    }

    [Fact]
    public void The_bootstrap_from_shards_needs_both_runs_shards_and_they_must_match_the_baseline()
    {
        string baseline = Deval.Sample("coco-val2014-100", "gate", "baseline.json"), predictions = WithoutDogs();
        string[] current = Shards("cur", predictions, 2), ofBaseline = Shards("base", SamplePredictions, 2);
        string[] rules = ["--max-drop", "AP=0.005", "--bootstrap", "100"];

        CommandRun alone = Deval.Run(["gate", "--baseline", baseline, "--current-partials", .. current, .. rules]);
        Assert.Equal((2, "deval: error: --bootstrap: Expected --baseline-partials with --current-partials (resampling needs both runs' match records), but got none."),
            (alone.ExitCode, Assert.Single(alone.ErrorLines)));
        CommandRun twice = Deval.Run(["gate", "--baseline", baseline, "--current", baseline, "--current-partials", .. current, "--baseline-partials", .. ofBaseline, .. rules]);
        Assert.Equal((2, "deval: error: --current-partials: Expected the current run once, as --current-partials, --current or --gt with --pred, but got --current too."),
            (twice.ExitCode, Assert.Single(twice.ErrorLines)));
        CommandRun noCurrent = Deval.Run(["gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", predictions, "--baseline-partials", .. ofBaseline, .. rules]);
        Assert.Equal((2, "deval: error: --baseline-partials: Expected --current-partials with it (the bootstrap pairs the shards of both runs), but got none."),
            (noCurrent.ExitCode, Assert.Single(noCurrent.ErrorLines)));

        // The baseline's shards must reproduce it; the current run's must be evaluated like it, on its ground truth.
        AssertOneErrorLine(Deval.Run(["gate", "--baseline", baseline, "--current-partials", .. current, "--baseline-partials", .. current, .. rules]),
            baseline, "$.coco.AP:", "Expected 0.4955");
        AssertOneErrorLine(Deval.Run(["gate", "--baseline", baseline, "--current-partials", .. Shards("iou", predictions, 2, ["--iou", "0.75"]), "--baseline-partials", .. ofBaseline, .. rules]),
            baseline, "$.voc:", "(IoU >= 0.75, continuous coordinates), but got another profile (IoU >= 0.50");
        string otherGroundTruth = Path_("other-gt.json");
        JsonNode gt = JsonNode.Parse(File.ReadAllText(SampleGroundTruth))!;
        gt["annotations"]![0]!["bbox"]![0] = 1.5;
        File.WriteAllText(otherGroundTruth, gt.ToJsonString());
        AssertOneErrorLine(Deval.Run(["gate", "--baseline", baseline, "--current-partials", .. current,
            "--baseline-partials", .. Shards("other", SamplePredictions, 2, groundTruth: otherGroundTruth), .. rules]),
            baseline, "$.inputs.groundTruthFingerprint", "Expected the ground truth of ");
    }

    /// <summary>Evaluates <paramref name="predictions"/> as <paramref name="count"/> shards (deval evaluate --shard I/N --partial); returns the partials' paths.</summary>
    private string[] Shards(string name, string predictions, int count, string[]? options = null, string? groundTruth = null)
    {
        string[] paths = [.. Enumerable.Range(0, count).Select(i => Path_($"{name}-{i}-of-{count}.part"))];
        for (int i = 0; i < count; i++)
        {
            CommandRun worker = Deval.Run(["evaluate", "--gt", groundTruth ?? SampleGroundTruth, "--pred", predictions, "--shard", $"{i}/{count}", "--partial", paths[i], .. options ?? []]);
            Assert.Equal(0, worker.ExitCode);
        }
        return paths;
    }

    [Fact]
    public void The_bootstrap_needs_the_baseline_predictions_and_they_must_reproduce_the_baseline()
    {
        string baseline = Baseline(), predictions = WithoutDogs();
        CommandRun missing = Deval.Run("gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", predictions, "--max-drop", "AP=0.005", "--bootstrap", "100");
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal("deval: error: --bootstrap: Expected --gt, --pred and --baseline-pred with it (resampling needs both runs' predictions), but got no --baseline-pred.", Assert.Single(missing.ErrorLines));

        CommandRun wrong = Deval.Run("gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", predictions, "--baseline-pred", predictions,
            "--max-drop", "AP=0.005", "--bootstrap", "100");
        AssertOneErrorLine(wrong, baseline, "$.coco.AP:", $"Expected 0.4955");
        Assert.Contains($"the value of {predictions}, but got 0.5045806987249628. The baseline predictions must be the ones the baseline report was written from.", wrong.Error);
    }

    // ---- outputs ----

    [Fact]
    public void Junit_and_markdown_files_are_written()
    {
        string baseline = Baseline(), current = Report("cur.json", WithoutDogs());
        CommandRun run = Deval.Run("gate", "--baseline", baseline, "--current", current, "--per-class-max-drop", "0.02",
            "--junit", Path_("gate.xml"), "--markdown", Path_("gate.md"));
        Assert.Equal(1, run.ExitCode);
        string xml = File.ReadAllText(Path_("gate.xml"));
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites name=\"deval gate\" tests=\"160\" failures=\"2\"", xml);
        string markdown = File.ReadAllText(Path_("gate.md"));
        Assert.StartsWith("## deval gate: FAILED (2 of 140 checks)\n", markdown);
        Assert.Contains("| **FAIL** | AP of class 18 \"dog\" | 0.6337 | 0.0000 | 0.6337 | 0.0200 |", markdown);
        Assert.Contains("<details><summary>AP per class: 80 classes</summary>", markdown);
    }

    [Fact]
    public void The_gate_reads_the_annotation_formats_evaluate_reads()
    {
        string annotations = Deval.Sample("formats", "voc", "Annotations"), results = Deval.Sample("formats", "voc", "results");
        string baseline = Path_("voc.json");
        Assert.Equal(0, Deval.Run("evaluate", "--gt", annotations, "--pred", results, "--json", baseline).ExitCode);
        CommandRun run = Deval.Run("gate", "--baseline", baseline, "--gt", annotations, "--pred", results, "--baseline-pred", results,
            "--gt-format", "voc-xml", "--bootstrap", "20", "--max-drop", "AP=0,mAPAll=0");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            [$"deval: {results}: read as voc-results (a folder of *_det_* results files)",
             $"deval: class names from {Path.Combine(annotations, "classes.txt")}",
             "deval: gate passed: 2 of 2 checks within limits"],
            run.ErrorLines);
    }

    // ---- the sample files of docs/gate-and-compare.md ----

    [Fact]
    public void The_gate_samples_are_the_sample_without_dogs_and_what_evaluate_writes()
    {
        JsonArray all = JsonNode.Parse(File.ReadAllText(SamplePredictions))!.AsArray();
        JsonArray regressed = JsonNode.Parse(File.ReadAllText(Deval.Sample("coco-val2014-100", "gate", "regressed_results.json")))!.AsArray();
        Assert.Equal(all.Where(p => (int)p!["category_id"]! != 18).Select(p => p!.ToJsonString()), regressed.Select(p => p!.ToJsonString()));
        Assert.Equal(4, all.Count - regressed.Count);

        // two_fewer_results.json: without the highest-scoring car (3) and cup (47) detections, the rest as it was.
        JsonArray twoFewer = JsonNode.Parse(File.ReadAllText(Deval.Sample("coco-val2014-100", "gate", "two_fewer_results.json")))!.AsArray();
        JsonNode[] best = [.. new[] { 3, 47 }.Select(c => all.Where(p => (int)p!["category_id"]! == c).MaxBy(p => (double)p!["score"]!)!)];
        Assert.Equal(all.Where(p => !best.Contains(p)).Select(p => p!.ToJsonString()), twoFewer.Select(p => p!.ToJsonString()));
        Assert.Equal(2, all.Count - twoFewer.Count);

        foreach ((string report, string predictions) in new[]
        {
            ("baseline.json", SamplePredictions),
            ("regressed.json", Deval.Sample("coco-val2014-100", "gate", "regressed_results.json")),
        })
        {
            string written = Report("written.json", predictions);
            string relative = File.ReadAllText(written)
                .Replace(Deval.Sample(), "samples", StringComparison.Ordinal)
                .Replace(Path.DirectorySeparatorChar, '/');
            Assert.Equal(File.ReadAllText(Deval.Sample("coco-val2014-100", "gate", report)), relative);
        }
    }

    // ---- masks: segm.AP and the like ----

    private static readonly string SegmPredictions = Deval.Sample("coco-val2014-100", "fakesegm100_results.json");
    private static readonly string SegmRegressed = Deval.Sample("coco-val2014-100", "gate", "segm_regressed_results.json");

    [Fact]
    public void The_segm_gate_sample_is_the_mask_sample_without_dogs_and_what_evaluate_writes()
    {
        JsonArray all = JsonNode.Parse(File.ReadAllText(SegmPredictions))!.AsArray();
        JsonArray regressed = JsonNode.Parse(File.ReadAllText(SegmRegressed))!.AsArray();
        Assert.Equal(all.Where(p => (int)p!["category_id"]! != 18).Select(p => p!.ToJsonString()), regressed.Select(p => p!.ToJsonString()));
        Assert.Equal(4, all.Count - regressed.Count);
        string written = Report("written.json", SegmPredictions, "--iou-type", "segm");
        string relative = File.ReadAllText(written).Replace(Deval.Sample(), "samples", StringComparison.Ordinal).Replace(Path.DirectorySeparatorChar, '/');
        Assert.Equal(File.ReadAllText(Deval.Sample("coco-val2014-100", "gate", "segm_baseline.json")), relative);
    }

    [Fact]
    public void A_mask_regression_fails_the_gate_on_segm_metrics_and_names_the_class()
    {
        string baseline = Report("segm.json", SegmPredictions, "--iou-type", "segm");
        CommandRun run = Deval.Run("gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", SegmRegressed,
            "--min", "segm.AP=0.30", "--max-drop", "segm.AP=0.005", "--per-class-max-drop", "0.02");
        Assert.Equal(1, run.ExitCode);
        // pycocotools: segm AP 0.31951..., the dog's 0.2; without dogs the dog's AP is 0 and the mean over 70 classes drops by 0.2 / 70.
        Assert.Equal(
            [$"deval gate: baseline {baseline}, current {SegmRegressed} (segm, 80 classes, 100 images)",
             "pass  segm.AP: current 0.3167, minimum 0.3000",
             "pass  segm.AP: baseline 0.3195, current 0.3167, drop 0.0029, allowed 0.0050",
             "FAIL  segm.AP of class 18 \"dog\": baseline 0.2000, current 0.0000, drop 0.2000 > allowed 0.0200",
             "pass  segm.AP of 69 other classes: every drop within 0.0200 (10 classes without ground truth not checked)",
             "FAIL"],
            run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("deval: gate FAILED: 1 of 72 checks failed: segm.AP of class 18 \"dog\": baseline 0.2000, current 0.0000, drop 0.2000 > allowed 0.0200", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public void A_segm_rule_on_a_box_baseline_is_an_input_error_naming_the_section()
    {
        string baseline = Baseline();
        CommandRun run = Deval.Run("gate", "--baseline", baseline, "--current", baseline, "--max-drop", "segm.AP=0.01");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Equal($"deval: error: {baseline}: $.cocoSegm: Expected COCO segm results (segm.AP is gated), but got none. Write the baseline with deval evaluate --iou-type including segm.", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public void A_low_memory_gate_of_a_mask_baseline_gives_the_in_memory_verdict_and_report()
    {
        string baseline = Deval.Sample("coco-val2014-100", "gate", "segm_baseline.json");
        string[] rules = ["--max-drop", "segm.AP=0.005", "--per-class-max-drop", "0.02"];
        CommandRun inMemory = Deval.Run(["gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", SegmRegressed, "--json", Path_("a.json"), "--low-memory", "false", .. rules]);
        CommandRun spilled = Deval.Run(["gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", SegmRegressed, "--json", Path_("b.json"), "--low-memory", .. rules]);
        Assert.Equal(1, inMemory.ExitCode);
        Assert.Contains("FAIL  segm.AP of class 18 \"dog\"", inMemory.Output, StringComparison.Ordinal);
        Assert.Equal((inMemory.ExitCode, inMemory.Output, inMemory.Error), (spilled.ExitCode, spilled.Output, spilled.Error));
        Assert.Equal(File.ReadAllText(Path_("a.json")), File.ReadAllText(Path_("b.json")));
    }

    [Fact]
    public void The_bootstrap_judges_segm_drops_from_the_mask_matches()
    {
        string baseline = Report("segm.json", SegmPredictions, "--iou-type", "segm");
        CommandRun run = Deval.Run("gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--pred", SegmRegressed, "--baseline-pred", SegmPredictions,
            "--bootstrap", "50", "--seed", "1", "--per-class-max-drop", "segm.AP=0.02");
        Assert.Equal(0, run.ExitCode);
        // Three of the 100 images hold dogs: a resample without them sees no drop, so the interval reaches 0.
        Assert.Contains("pass  segm.AP of class 18 \"dog\": baseline 0.2000, current 0.0000, drop 0.2000 (95% interval 0.0000 to ", run.Output, StringComparison.Ordinal);
        Assert.Contains(") > allowed 0.0200, but not significantly\n", run.Output, StringComparison.Ordinal);
    }

    // ---- usage ----

    [Theory]
    [InlineData("--min", "AP", "--min: Expected NAME=VALUE pairs like AP=0.3,AP50=0.5, but got 'AP'.")]
    [InlineData("--min", "AQ=0.3", "--min: Expected a metric (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl, mAP07, mAPAll; masks and keypoints as segm.AP, keypoints.AP50, ...), but got 'AQ'.")]
    [InlineData("--max-drop", "AP=2", "--max-drop: Expected values from 0 to 1, but got '2' in 'AP=2'.")]
    [InlineData("--per-class-max-drop", "AR1=0.1", "--per-class-max-drop: Expected a per-class metric (AP, AP50, AP75, APs, APm, APl, AR100, ap07, apAll; masks and keypoints as segm.AP, keypoints.AP50, ...), but got 'AR1'.")]
    [InlineData("--per-class-max-drop", "keypoints.AR50=0.1", "--per-class-max-drop: Expected a per-class metric (AP, AP50, AP75, APs, APm, APl, AR100, ap07, apAll; masks and keypoints as segm.AP, keypoints.AP50, ...), but got 'keypoints.AR50'.")]
    public void A_malformed_rule_is_one_error_line(string option, string value, string message)
    {
        string baseline = Baseline();
        CommandRun run = Deval.Run("gate", "--baseline", baseline, "--current", baseline, option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("deval: error: " + message, Assert.Single(run.ErrorLines));
    }

    [Fact]
    public void Help_says_which_formats_the_predictions_may_be_in()
    {
        CommandRun run = Deval.Run("gate", "--help");
        Assert.Equal(0, run.ExitCode);
        string line = run.Output.Split('\n').Single(l => l.TrimStart().StartsWith("--pred <", StringComparison.Ordinal));
        Assert.Contains("The current predictions, evaluated with the baseline's settings: a file or folder in any format of --pred-format (", line);
        foreach (string format in AnnotationFormats.Names) Assert.Contains(format, line);
        Assert.DoesNotContain("(COCO results json)", run.Output);
    }

    [Fact]
    public void A_gate_needs_a_rule_and_one_current_run()
    {
        string baseline = Baseline();
        Assert.Equal("deval: error: Expected at least one rule (--min, --max-drop or --per-class-max-drop), but got none.",
            Assert.Single(Deval.Run("gate", "--baseline", baseline, "--current", baseline).ErrorLines));
        Assert.Equal("deval: error: --current: Expected either --current or --gt with --pred, but got both.",
            Assert.Single(Deval.Run("gate", "--baseline", baseline, "--current", baseline, "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--max-drop", "AP=0").ErrorLines));
        Assert.Equal("deval: error: Expected --gt and --pred together, but got only --gt.",
            Assert.Single(Deval.Run("gate", "--baseline", baseline, "--gt", SampleGroundTruth, "--max-drop", "AP=0").ErrorLines));
        Assert.Equal("deval: error: Expected rules on coco metrics (the metric set gated), but got mAPAll, a voc metric; use --metric-set all.",
            Assert.Single(Deval.Run("gate", "--baseline", baseline, "--current", baseline, "--metric-set", "coco", "--max-drop", "mAPAll=0").ErrorLines));
    }
}
