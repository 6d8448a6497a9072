using System.Text;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Synthetic;

using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Matches;
namespace DetectionEval.Eval.Tests;

/// <summary>A cancelled token stops loading, evaluation and the bootstrap with <see cref="OperationCanceledException"/>.</summary>
public sealed class CancellationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-cancel-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CancellationToken Cancelled => new(canceled: true);

    private (string Gt, string Dt) Synth(int images)
    {
        string gt = Path.Combine(_folder, "gt.json"), dt = Path.Combine(_folder, "dt.json");
        using (var g = File.Create(gt))
        using (var d = File.Create(dt))
        {
            SyntheticCoco.Write(new SynthSettings(images, 5, 3), g, d);
        }
        return (gt, dt);
    }

    [Fact]
    public void A_cancelled_token_stops_every_loader()
    {
        (string gt, string dt) = Synth(20);
        Assert.Throws<OperationCanceledException>(() => CocoJson.ReadGroundTruth(gt, new DatasetBuilder(), Cancelled));
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(gt, builder);
        Assert.Throws<OperationCanceledException>(() => CocoJson.ReadDetections(dt, builder, Cancelled));
        Assert.Equal(0, builder.DetectionCount);

        var options = new LoadOptions { Cancellation = Cancelled };
        string malformed = Path.Combine(ReferenceData.RepositoryRoot, "tests", "data", "malformed");
        foreach ((string path, AnnotationFormat format) in new[]
        {
            ("voc/gt", AnnotationFormat.VocXml), ("txt/gt", AnnotationFormat.Txt), ("csv/gt.csv", AnnotationFormat.Csv),
            ("labelme/gt", AnnotationFormat.LabelMe), ("cvat/gt.xml", AnnotationFormat.Cvat),
        })
        {
            Assert.Throws<OperationCanceledException>(() => AnnotationLoader.Load(new AnnotationInput(Path.Combine(malformed, path), format), null, options));
        }
    }

    /// <summary>Image sizes that cancel the run when the first one is asked for: a cancellation in the middle of loading.</summary>
    private sealed class CancellingSizes(CancellationTokenSource source) : IImageSizeSource
    {
        public string Description => "sizes that cancel";

        public IReadOnlyCollection<string> ImageNames => ["img1", "img2"];

        public bool TryGetSize(string image, out ImageSize size)
        {
            source.Cancel();
            size = new ImageSize(100, 100);
            return true;
        }
    }

    [Fact]
    public void Loading_stops_at_the_next_file_after_a_cancellation_in_the_middle()
    {
        string labels = Path.Combine(_folder, "labels");
        Directory.CreateDirectory(labels);
        File.WriteAllText(Path.Combine(labels, "img1.txt"), "0 0.5 0.5 0.2 0.2\n");
        File.WriteAllText(Path.Combine(labels, "img2.txt"), "0 0.5 0.5 0.2 0.2\n");
        using var source = new CancellationTokenSource();
        var options = new LoadOptions { ImageSizes = new CancellingSizes(source), Cancellation = source.Token };
        Assert.Throws<OperationCanceledException>(() => AnnotationLoader.Load(new AnnotationInput(labels, AnnotationFormat.Yolo), null, options));
        Assert.True(source.IsCancellationRequested);
    }

    [Fact]
    public void A_cancelled_evaluation_stops_each_stage()
    {
        (string gt, string dt) = Synth(30);
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruthAndDetections(gt, dt, builder);
        Dataset dataset = builder.Build();
        var cancelled = new EvaluationOptions { Cancellation = Cancelled };
        Assert.Throws<OperationCanceledException>(() => Evaluations.Of(dataset, cancellation: Cancelled));
        Assert.Throws<OperationCanceledException>(() => VocMatchStage.Match(dataset, cancelled));
        CocoMatches matches = CocoMatchStage.Match(dataset, new EvaluationOptions());
        Assert.Throws<OperationCanceledException>(() => CocoAccumulation.Accumulate(matches, cancelled));
        // The same dataset without a cancellation evaluates as before.
        Assert.NotNull(Evaluations.Of(dataset).Coco);
    }

    [Fact]
    public void A_cancelled_bootstrap_stops()
    {
        (string gt, string dt) = Synth(30);
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruthAndDetections(gt, dt, builder);
        EvaluationRun run = Evaluations.Run(builder.Build(), new EvaluationOptions());
        IReadOnlyList<MetricKey> keys = Comparison.Keys(MetricSet.All, run.Dataset.Categories.Count);
        Assert.Throws<OperationCanceledException>(() => RunBootstrap.Compare(run, run, keys, new BootstrapSettings(50, 1), cancellation: Cancelled));
    }

    [Fact]
    public void A_results_file_in_memory_reads_as_the_file_does()
    {
        (string gt, string dt) = Synth(40);
        var fromFile = new DatasetBuilder();
        CocoJson.ReadGroundTruthAndDetections(gt, dt, fromFile);
        var fromMemory = new DatasetBuilder();
        CocoJson.ReadGroundTruth(gt, fromMemory);
        CocoJson.ReadDetections(File.ReadAllBytes(dt), "dt.json", fromMemory, maxThreads: 3, splitAbove: 0);
        Dataset a = fromFile.Build(), b = fromMemory.Build();
        Assert.True(a.Detections.Boxes.SequenceEqual(b.Detections.Boxes));
        Assert.True(a.Detections.Scores.SequenceEqual(b.Detections.Scores));
        Assert.True(a.Detections.InputPositions.SequenceEqual(b.Detections.InputPositions));
        Assert.Equal(Encoding.UTF8.GetString(File.ReadAllBytes(dt)).Count(c => c == '{'), b.Detections.Count);
    }
}
