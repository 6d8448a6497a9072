using System.Diagnostics;
using System.Globalization;
using DetectionEval.Eval;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Reports;
using DetectionEval.Eval.Synthetic;
using DetectionEval.Matching;
using DetectionEval.Matching.Gpu;
using DetectionEval.Matching.Voc;

// deval-gpu-bench: the measurements of the GPU engine, as one self-contained executable.
//   synth --images N --classes K --seed S --out DIR [--dense] [--objects-per-image M] [--detections-per-image D]
//   evaluate --gt FILE --pred FILE [--metric coco|voc|all] [--device cpu|gpu] [--threads N] [--json FILE] [--repeat R]
//   agree [--units U]
//   crossover
// Timings go to stdout as "stage seconds" lines; exit 0 on success, 1 on a disagreement, 2 on bad usage.
return args.Length == 0 ? Usage() : args[0] switch
{
    "synth" => Synth(new Arguments(args[1..])),
    "evaluate" => Evaluate(new Arguments(args[1..])),
    "agree" => Agree(new Arguments(args[1..])),
    "crossover" => Crossover(),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: deval-gpu-bench synth|evaluate|agree|crossover [options] (see Program.cs)");
    return 2;
}

static int Synth(Arguments a)
{
    var settings = new SynthSettings(a.Int("--images", 100), a.Int("--classes", 1), (ulong)a.Int("--seed", 1), a.Flag("--dense"),
        a.Double("--objects-per-image"), a.Double("--detections-per-image"));
    string dir = a.Text("--out") ?? throw new ArgumentException("--out is required");
    Directory.CreateDirectory(dir);
    var clock = Stopwatch.StartNew();
    using var gt = File.Create(Path.Combine(dir, "gt.json"));
    using var dt = File.Create(Path.Combine(dir, "dt.json"));
    SynthSummary s = SyntheticCoco.Write(settings, gt, dt);
    Console.WriteLine($"synth {clock.Elapsed.TotalSeconds:F3} s: {s.Images} images, {s.GroundTruth} ground truth, {s.Detections} detections");
    return 0;
}

static int Evaluate(Arguments a)
{
    var total = Stopwatch.StartNew();
    string gtPath = a.Text("--gt")!, dtPath = a.Text("--pred")!;
    MetricSet metrics = a.Text("--metric") switch { "coco" => MetricSet.Coco, "voc" => MetricSet.Voc, _ => MetricSet.All };
    bool gpu = a.Text("--device") == "gpu";
    int? threads = a.Int("--threads", 0) is int t && t > 0 ? t : null;
    int repeat = a.Int("--repeat", 1);

    IOverlapEngine? engine = null;
    if (gpu)
    {
        var open = Stopwatch.StartNew();
        if (!IlgpuOverlapEngine.TryCreateCuda(out IlgpuOverlapEngine? cuda, out string reason))
        {
            Console.Error.WriteLine($"deval-gpu-bench: no usable CUDA GPU: {reason}");
            return 2;
        }
        engine = cuda;
        Report("open-device", open);
        Console.WriteLine($"device {engine!.Name}");
    }

    var load = Stopwatch.StartNew();
    Dataset dataset = EvaluationPipeline.Load(new FileInputs(new AnnotationInput(gtPath, AnnotationFormat.Coco), [new AnnotationInput(dtPath, AnnotationFormat.Coco)], new LoadOptions())).Dataset;
    Report("load", load);
    var options = new EvaluationOptions { Metrics = metrics, Threads = threads, Engine = engine };
    Console.WriteLine($"pairs {PairCount(dataset, metrics):E3}");

    EvaluationResult? result = null;
    for (int r = 0; r < repeat; r++)
    {
        // The first repetition includes the kernels' compilation; later ones show the warm engine.
        var evaluate = Stopwatch.StartNew();
        var stages = new StageClock();
        result = EvaluationPipeline.Run(new EvaluationRequest(new DatasetInputs(dataset)) { Options = options }, stages).Result;
        ReportSeconds(r == 0 ? "match" : $"match-warm{r}", stages.Match);
        ReportSeconds(r == 0 ? "accumulate" : $"accumulate-warm{r}", stages.Accumulate);
        Report(r == 0 ? "evaluate" : $"evaluate-warm{r}", evaluate);
    }

    var write = Stopwatch.StartNew();
    if (a.Text("--json") is string json)
    {
        // The header names the engine-independent inputs only, so reports of two engines compare byte for byte.
        using var file = File.Create(json);
        JsonReport.Write(file, new ReportHeader("deval", "bench", gtPath, dtPath), result!);
    }
    Report("write", write);
    engine?.Dispose();
    Report("total-in-process", total);
    return 0;
}

static double PairCount(Dataset dataset, MetricSet metrics)
{
    double pairs = 0;
    foreach (EvaluationUnit u in dataset.Units)
    {
        if (metrics.HasFlag(MetricSet.Voc)) pairs += (double)u.DetectionCount * u.GroundTruthCount;
        if (metrics.HasFlag(MetricSet.Coco)) pairs += (double)Math.Min(u.DetectionCount, 100) * u.GroundTruthCount;
    }
    return pairs;
}

static void Report(string stage, Stopwatch clock) => ReportSeconds(stage, clock.Elapsed);

static void ReportSeconds(string stage, TimeSpan elapsed) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stage} {elapsed.TotalSeconds:F3}"));

static int Agree(Arguments a)
{
    if (!IlgpuOverlapEngine.TryCreateCuda(out IlgpuOverlapEngine? cuda, out string reason))
    {
        Console.Error.WriteLine($"deval-gpu-bench: no usable CUDA GPU: {reason}");
        return 2;
    }
    using IlgpuOverlapEngine engine = cuda!;
    var reference = new CpuOverlapEngine();
    int units = a.Int("--units", 2000), differences = 0;
    long slots = 0, candidates = 0;
    for (int seed = 1; seed <= 5; seed++)
    {
        Batch batch = Batch.Random(seed, units);
        foreach (double offset in new[] { 0.0, 1.0 })
        {
            var expected = new BestOverlap[batch.Detections.Length];
            var actual = new BestOverlap[batch.Detections.Length];
            reference.FindBestOverlaps(batch.Units, offset, expected);
            engine.FindBestOverlaps(batch.Units, offset, actual);
            for (int s = 0; s < expected.Length; s++)
            {
                if (expected[s].GroundTruth != actual[s].GroundTruth || BitConverter.DoubleToInt64Bits(expected[s].Iou) != BitConverter.DoubleToInt64Bits(actual[s].Iou)) differences++;
            }
            slots += expected.Length;
        }
        foreach (double floor in new[] { 0.5, 0.75, 0.0 })
        {
            CocoCandidates e = reference.FindCocoCandidates(batch.Units, floor), g = engine.FindCocoCandidates(batch.Units, floor);
            if (!e.Offsets.AsSpan().SequenceEqual(g.Offsets) || !e.GroundTruth.AsSpan().SequenceEqual(g.GroundTruth)
                || !e.Iou.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(g.Iou.Select(BitConverter.DoubleToInt64Bits))) differences++;
            candidates += e.Iou.Length;
        }
    }
    Console.WriteLine($"agree {engine.Name}: {slots} best overlaps and {candidates} candidates compared with the CPU engine, {differences} differences");
    return differences == 0 ? 0 : 1;
}

static int Crossover()
{
    // Candidate-search time of the plain CPU path (all cores) and of the GPU, for growing dense units, to
    // place --device auto's threshold. Each size: 10 units of G ground truth and 10 G detections.
    if (!IlgpuOverlapEngine.TryCreateCuda(out IlgpuOverlapEngine? cuda, out string reason))
    {
        Console.Error.WriteLine($"deval-gpu-bench: no usable CUDA GPU: {reason}");
        return 2;
    }
    using IlgpuOverlapEngine engine = cuda!;
    Console.WriteLine("pairs cpu-seconds gpu-seconds");
    foreach (int g in new[] { 30, 100, 300, 1000, 3000 })
    {
        Batch batch = Batch.Dense(10, g, 10 * g);
        var best = new BestOverlap[batch.Detections.Length];
        engine.FindBestOverlaps(batch.Units, 0.0, best);
        var gpuClock = Stopwatch.StartNew();
        engine.FindBestOverlaps(batch.Units, 0.0, best);
        double gpuSeconds = gpuClock.Elapsed.TotalSeconds;
        var cpuClock = Stopwatch.StartNew();
        batch.ParallelCpuBestOverlaps(best);
        double cpuSeconds = cpuClock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{10.0 * g * 10 * g:E2} {cpuSeconds:F4} {gpuSeconds:F4}"));
    }
    return 0;
}

/// <summary>Options as "--name value" pairs and bare flags.</summary>
internal sealed class Arguments(string[] args)
{
    public string? Text(string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public bool Flag(string name) => args.Contains(name);

    public int Int(string name, int fallback) => Text(name) is string s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

    public double? Double(string name) => Text(name) is string s ? double.Parse(s, CultureInfo.InvariantCulture) : null;
}

/// <summary>Units in the engines' flat layout.</summary>
internal sealed record Batch(Box[] GroundTruth, byte[] Crowd, int[] GroundTruthStart, int[] GroundTruthCount, Box[] Detections, int[] SlotStart)
{
    public OverlapUnits Units => new(GroundTruth, Crowd, GroundTruthStart, GroundTruthCount, Detections, SlotStart);

    /// <summary>Small units on a half-pixel grid, half the detections shrunk copies of objects: many IoUs land exactly on 0.5, 0.75, 0.9, 0.95.</summary>
    public static Batch Random(int seed, int units)
    {
        var random = new System.Random(seed);
        var gt = new List<Box>();
        var crowd = new List<byte>();
        var dt = new List<Box>();
        int[] start = new int[units], count = new int[units], slots = new int[units + 1];
        double[] fractions = [1.0, 0.5, 0.75, 0.95, 0.9];
        for (int u = 0; u < units; u++)
        {
            start[u] = gt.Count;
            count[u] = random.Next(0, 12);
            for (int g = 0; g < count[u]; g++)
            {
                gt.Add(new Box(random.Next(0, 40) * 0.5, random.Next(0, 40) * 0.5, random.Next(0, 30) * 0.5, random.Next(0, 30) * 0.5));
                crowd.Add(random.Next(10) == 0 ? (byte)1 : (byte)0);
            }
            slots[u] = dt.Count;
            int detections = random.Next(0, 20);
            for (int d = 0; d < detections; d++)
            {
                if (count[u] > 0 && random.Next(2) == 0)
                {
                    Box b = gt[start[u] + random.Next(count[u])];
                    double f = fractions[random.Next(fractions.Length)];
                    dt.Add(random.Next(2) == 0 ? b with { Height = b.Height * f } : b with { Width = b.Width * f });
                }
                else
                {
                    dt.Add(new Box(random.Next(0, 40) * 0.5, random.Next(0, 40) * 0.5, random.Next(0, 30) * 0.5, random.Next(0, 30) * 0.5));
                }
            }
        }
        slots[units] = dt.Count;
        return new Batch([.. gt], [.. crowd], start, count, [.. dt], slots);
    }

    /// <summary>Dense units: <paramref name="groundTruth"/> objects and <paramref name="detections"/> detections each.</summary>
    public static Batch Dense(int units, int groundTruth, int detections)
    {
        var random = new System.Random(7);
        Box Next() => new(random.Next(0, 4000), random.Next(0, 3000), 5 + random.Next(60), 5 + random.Next(60));
        Box[] gt = new Box[units * groundTruth], dt = new Box[units * detections];
        for (int i = 0; i < gt.Length; i++) gt[i] = Next();
        for (int i = 0; i < dt.Length; i++) dt[i] = Next();
        int[] start = [.. Enumerable.Range(0, units).Select(u => u * groundTruth)];
        int[] count = [.. Enumerable.Repeat(groundTruth, units)];
        int[] slots = [.. Enumerable.Range(0, units + 1).Select(u => u * detections)];
        return new Batch(gt, new byte[gt.Length], start, count, dt, slots);
    }

    /// <summary>The CPU's candidate search as the match stage runs it: units in parallel on all cores, the vector search where the matcher uses it.</summary>
    public void ParallelCpuBestOverlaps(BestOverlap[] best)
    {
        Parallel.For(0, SlotStart.Length - 1, u =>
        {
            ReadOnlySpan<Box> g = GroundTruth.AsSpan(GroundTruthStart[u], GroundTruthCount[u]);
            if (g.Length >= 8 && VocBestOverlapSimd.IsSupported)
            {
                var columns = new VocGroundTruthColumns();
                VocBestOverlapSimd.Prepare(g, 0.0, columns);
                for (int s = SlotStart[u]; s < SlotStart[u + 1]; s++) best[s] = VocBestOverlapSimd.FindBestOverlap(Detections[s], columns, 0.0);
                return;
            }
            for (int s = SlotStart[u]; s < SlotStart[u + 1]; s++) best[s] = VocMatcher.FindBestOverlap(Detections[s], g, 0.0);
        });
    }
}

/// <summary>The pipeline's match and accumulation stages, timed.</summary>
internal sealed class StageClock : EvaluationObserver
{
    public TimeSpan Match { get; private set; }

    public TimeSpan Accumulate { get; private set; }

    public override void StageFinished(EvaluationStage stage, TimeSpan elapsed)
    {
        if (stage is EvaluationStage.MatchCoco or EvaluationStage.MatchVoc) Match += elapsed;
        if (stage is EvaluationStage.AccumulateCoco or EvaluationStage.AccumulateVoc) Accumulate += elapsed;
    }
}
