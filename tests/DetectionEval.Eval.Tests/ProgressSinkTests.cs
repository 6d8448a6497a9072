using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Synthetic;
using DetectionEval.Matching;

namespace DetectionEval.Eval.Tests;

/// <summary>The loaders and the evaluation stages tell a progress sink their size first, then every piece of their work once.</summary>
public sealed class ProgressSinkTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-progress-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Sample(string relative) => Path.Combine(ReferenceData.RepositoryRoot, "samples", relative);

    private static long SizeOf(string file) => new FileInfo(file).Length;

    /// <summary>The files of a folder input that hold annotations (the class list beside them is not one).</summary>
    private static long SizeOfFolder(string folder, string pattern) =>
        Directory.GetFiles(folder, pattern).Where(f => Path.GetFileName(f) != "classes.txt").Sum(SizeOf);

    public static TheoryData<string, string, string, string> Formats => new()
    {
        // The folder formats count their annotation files only: not the classes.txt next to them.
        { "voc/Annotations", "*.xml", "voc/results", "*.txt" },
        { "yolo/labels", "*.txt", "yolo/predictions", "*.txt" },
        { "txt/ground-truth", "*.txt", "txt/detection-results", "*.txt" },
        { "labelme/gt", "*.json", "labelme/predictions", "*.json" },
        { "csv/gt.csv", "", "csv/predictions.csv", "" },
        { "cvat/annotations.xml", "", "cvat/predictions.xml", "" },
        { "openimages/boxes.csv", "", "openimages/predictions.csv", "" },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Every_format_announces_the_bytes_of_its_files_and_reads_each_byte_once(string gt, string gtFiles, string predictions, string predictionFiles)
    {
        string gtPath = Sample("formats/" + gt), predictionsPath = Sample("formats/" + predictions);
        long expected = (gtFiles.Length == 0 ? SizeOf(gtPath) : SizeOfFolder(gtPath, gtFiles))
            + (predictionFiles.Length == 0 ? SizeOf(predictionsPath) : SizeOfFolder(predictionsPath, predictionFiles));
        var sink = new RecordingSink();
        var options = new LoadOptions
        {
            Names = ClassList.Read(Sample("formats/classes.txt")),
            ImageSizes = ImageSizeTable.Read(Sample("formats/images.txt")),
            Progress = sink,
        };

        AnnotationLoader.Load(new AnnotationInput(gtPath), new AnnotationInput(predictionsPath), options);

        Assert.Equal([(WorkStage.Loading, expected)], sink.Stages);
        Assert.Equal(expected, sink.Done);
    }

    [Fact]
    public void A_coco_pair_counts_the_ground_truth_and_the_results_scanned_while_it_loads()
    {
        string gt = Sample("coco-val2014-100/instances_val2014_100.json"), dt = Sample("coco-val2014-100/fakebbox100_results.json");
        var sink = new RecordingSink();

        AnnotationLoader.Load(new AnnotationInput(gt), new AnnotationInput(dt), new LoadOptions { Progress = sink });

        Assert.Equal([(WorkStage.Loading, SizeOf(gt) + SizeOf(dt))], sink.Stages);
        Assert.Equal(SizeOf(gt) + SizeOf(dt), sink.Done);
    }

    [Fact]
    public void Results_the_scanner_hands_to_the_general_reader_are_counted_once()
    {
        string gt = Sample("coco-val2014-100/instances_val2014_100.json");
        // An extra key is not the scanner's shape: it gives up and the general reader reads the file again.
        string dt = Path.Combine(_folder, "dt.json");
        File.WriteAllText(dt, """[{"image_id": 42, "category_id": 18, "bbox": [1, 2, 30, 40], "score": 0.9, "extra": 1}]""");
        var sink = new RecordingSink();

        LoadedAnnotations loaded = AnnotationLoader.Load(new AnnotationInput(gt), new AnnotationInput(dt), new LoadOptions { Progress = sink });

        Assert.Equal(1, loaded.Builder.Build().Detections.Count);
        Assert.Equal(SizeOf(gt) + SizeOf(dt), sink.Done);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void A_results_file_scanned_in_segments_counts_each_byte_once(int threads)
    {
        string gt = Path.Combine(_folder, "gt.json"), dt = Path.Combine(_folder, "dt.json");
        using (FileStream g = File.Create(gt), d = File.Create(dt)) SyntheticCoco.Write(new SynthSettings(60, 5, 3), g, d);
        var sink = new RecordingSink();
        sink.Begin(WorkStage.Loading, SizeOf(dt));

        Assert.NotNull(CocoResultsFastPath.Scan(dt, threads, splitAbove: 0, progress: sink));

        Assert.Equal(SizeOf(dt), sink.Done);
    }

    [Fact]
    public void A_spilled_load_counts_the_results_once()
    {
        string gt = Sample("coco-val2014-100/instances_val2014_100.json"), dt = Sample("coco-val2014-100/fakebbox100_results.json");
        var sink = new RecordingSink();

        LoadedAnnotations loaded = AnnotationLoader.Load(
            new AnnotationInput(gt), new AnnotationInput(dt), new LoadOptions { Progress = sink, Spill = new SpillSettings(ImagesPerShard: 10, Folder: _folder) });
        loaded.Builder.Spill!.Dispose();

        Assert.Equal([(WorkStage.Loading, SizeOf(gt) + SizeOf(dt))], sink.Stages);
        Assert.Equal(SizeOf(gt) + SizeOf(dt), sink.Done);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_evaluation_tells_each_stage_its_units_or_classes_and_gives_the_reference_results(bool engine)
    {
        Dataset dataset = SampleDataset();
        var sink = new RecordingSink();

        var request = new EvaluationRequest(new DatasetInputs(dataset)) { Options = new EvaluationOptions { Engine = engine ? new CpuOverlapEngine() : null } };
        EvaluationResult counted = EvaluationPipeline.Run(request, new SinkObserver(sink)).Result;

        int units = dataset.Units.Length, classes = dataset.Categories.Count;
        Assert.Equal(
            [(WorkStage.MatchingCoco, units), (WorkStage.MatchingVoc, units), (WorkStage.AccumulatingCoco, classes), (WorkStage.AccumulatingVoc, classes)],
            sink.Stages);
        Assert.Equal([units, units, classes, classes], sink.DonePerStage);
        // The sample is reference case peer/coco_val2014_100: watching the run changes none of its numbers.
        using JsonDocument expected = GoldenParityTests.LoadExpected("peer/coco_val2014_100");
        JsonElement stats = expected.RootElement.GetProperty("coco").GetProperty("stats_list");
        for (int i = 0; i < 12; i++) GoldenParityTests.AssertCocoValue(stats[i], counted.Coco!.Summary.Stats[i], $"watched run {CocoSummary.StatNames[i]}");
        GoldenParityTests.AssertExact(expected.RootElement.GetProperty("voc").GetProperty("mAP_all"), counted.Voc!.MeanApAll, "watched run mAP_all");
    }

    [Fact]
    public void A_low_memory_run_counts_detections_matched_and_accumulated_not_the_shards_stages()
    {
        string gt = Sample("coco-val2014-100/instances_val2014_100.json"), dt = Sample("coco-val2014-100/fakebbox100_results.json");
        LoadedAnnotations loaded = AnnotationLoader.Load(
            new AnnotationInput(gt), new AnnotationInput(dt), new LoadOptions { Spill = new SpillSettings(ImagesPerShard: 10, Folder: _folder) });
        using DetectionSpill spill = loaded.Builder.Spill!;
        var sink = new RecordingSink();
        var options = new EvaluationOptions { Progress = sink };

        ShardedEvaluation.Accumulate(ShardedEvaluation.Match(loaded.Builder, loaded.Builder.Build(), options), options);

        // Both families keep every detection's match, so the accumulation goes through all of them.
        Assert.Equal([(WorkStage.MatchingShards, spill.Count), (WorkStage.AccumulatingShards, spill.Count)], sink.Stages);
        Assert.Equal([spill.Count, spill.Count], sink.DonePerStage);
    }

    [Fact]
    public void A_bootstrap_counts_its_replicates()
    {
        Dataset dataset = SampleDataset();
        var options = new EvaluationOptions();
        EvaluationRun run = Evaluations.Run(dataset, options);
        var sink = new RecordingSink();

        RunBootstrap.Compare(run, run, [new MetricKey(GateMetric.Ap)], new BootstrapSettings(40, 1), progress: sink);

        Assert.Equal([(WorkStage.Resampling, 40L)], sink.Stages);
        Assert.Equal([40L], sink.DonePerStage);
    }

    /// <summary>An observer that hands the stages' progress to a sink.</summary>
    private sealed class SinkObserver(IProgressSink sink) : EvaluationObserver
    {
        public override IProgressSink? Progress => sink;
    }

    private static Dataset SampleDataset() =>
        AnnotationLoader.Load(
            new AnnotationInput(Sample("coco-val2014-100/instances_val2014_100.json")),
            new AnnotationInput(Sample("coco-val2014-100/fakebbox100_results.json")),
            new LoadOptions()).Builder.Build();

    /// <summary>Records the stages begun and the work done in each, from any thread.</summary>
    private sealed class RecordingSink : IProgressSink
    {
        private readonly object _gate = new();
        private readonly List<(WorkStage Stage, long Total)> _stages = [];
        private readonly List<long> _done = [];

        public IReadOnlyList<(WorkStage Stage, long Total)> Stages
        {
            get
            {
                lock (_gate) return [.. _stages];
            }
        }

        public IReadOnlyList<long> DonePerStage
        {
            get
            {
                lock (_gate) return [.. _done];
            }
        }

        public long Done => DonePerStage.Sum();

        public void Begin(WorkStage stage, long total)
        {
            lock (_gate)
            {
                _stages.Add((stage, total));
                _done.Add(0);
            }
        }

        public void Advance(long done)
        {
            lock (_gate)
            {
                Assert.NotEmpty(_stages);
                _done[^1] += done;
            }
        }
    }
}
