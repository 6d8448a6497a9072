using System.Diagnostics;
using System.Globalization;
using System.Text;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;

/*
 * Loader benchmark: generates ground truth and predictions of N boxes each (default 1,000,000 over
 * 10,000 images of 640x480, 80 classes, fixed seed) as one CSV file and as YOLO txt folders, then times
 * AnnotationLoader.Load (reading into a DatasetBuilder) and Build (grouping into a Dataset) for each,
 * several times, and prints the best and the median. Run (see docs/benchmarks.md, section Loaders):
 *   dotnet run -c Release --project tests/DetectionEval.LoaderBenchmark -- [--boxes N] [--images N] [--repeat N] [--keep DIR]
 */

int boxes = 1_000_000, images = 10_000, repeat = 5;
string? keep = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--boxes": boxes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--images": images = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--repeat": repeat = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--keep": keep = args[++i]; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

string root = keep ?? Directory.CreateTempSubdirectory("deval-loader-bench-").FullName;
Directory.CreateDirectory(root);
try
{
    var data = new Generated(boxes, images, seed: 20240601);
    Stopwatch generate = Stopwatch.StartNew();
    data.WriteCsv(Path.Combine(root, "gt.csv"), scored: false);
    data.WriteCsv(Path.Combine(root, "pred.csv"), scored: true);
    data.WriteYolo(Path.Combine(root, "labels"), scored: false);
    data.WriteYolo(Path.Combine(root, "predictions"), scored: true);
    data.WriteSizes(Path.Combine(root, "sizes.txt"));
    data.WriteNames(Path.Combine(root, "names.txt"));
    Console.WriteLine($"generated {boxes:N0} ground-truth boxes and {boxes:N0} predictions over {images:N0} images in {generate.Elapsed.TotalSeconds:F1} s ({root})");
    Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} logical cores, best and median of {repeat} runs");
    Console.WriteLine();
    Console.WriteLine("| input | boxes read | load (best / median) | load + build (best / median) |");
    Console.WriteLine("|---|---|---|---|");

    var csvOptions = new LoadOptions();
    var yoloOptions = new LoadOptions { Names = ClassList.Read(Path.Combine(root, "names.txt")), ImageSizes = ImageSizeTable.Read(Path.Combine(root, "sizes.txt")) };
    Time("CSV ground truth", boxes, repeat, () => AnnotationLoader.Load(new(Path.Combine(root, "gt.csv"), AnnotationFormat.Csv), null, csvOptions));
    Time("CSV ground truth + predictions", 2 * boxes, repeat, () => AnnotationLoader.Load(new(Path.Combine(root, "gt.csv"), AnnotationFormat.Csv), new(Path.Combine(root, "pred.csv"), AnnotationFormat.Csv), csvOptions));
    Time("YOLO labels", boxes, repeat, () => AnnotationLoader.Load(new(Path.Combine(root, "labels"), AnnotationFormat.Yolo), null, yoloOptions));
    Time("YOLO labels + predictions", 2 * boxes, repeat, () => AnnotationLoader.Load(new(Path.Combine(root, "labels"), AnnotationFormat.Yolo), new(Path.Combine(root, "predictions"), AnnotationFormat.Yolo), yoloOptions));
    return 0;
}
finally
{
    if (keep is null) Directory.Delete(root, recursive: true);
}

static void Time(string name, int expected, int repeat, Func<LoadedAnnotations> load)
{
    var loads = new List<double>();
    var totals = new List<double>();
    for (int run = 0; run < repeat; run++)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Stopwatch watch = Stopwatch.StartNew();
        LoadedAnnotations loaded = load();
        double loadSeconds = watch.Elapsed.TotalSeconds;
        Dataset dataset = loaded.Builder.Build();
        double totalSeconds = watch.Elapsed.TotalSeconds;
        int read = dataset.GroundTruth.Count + dataset.Detections.Count;
        if (read != expected) throw new InvalidOperationException($"{name}: read {read} boxes, expected {expected}");
        loads.Add(loadSeconds);
        totals.Add(totalSeconds);
    }
    Console.WriteLine($"| {name} | {expected:N0} | {Best(loads)} / {Median(loads)} | {Best(totals)} / {Median(totals)} |");
}

static string Best(List<double> seconds) => $"{seconds.Min():F2} s";

static string Median(List<double> seconds)
{
    double[] sorted = [.. seconds.Order()];
    return $"{sorted[sorted.Length / 2]:F2} s";
}

/// <summary>Deterministic boxes: integer-pixel ground truth and jittered, scored predictions.</summary>
internal sealed class Generated
{
    private const int Width = 640, Height = 480, Classes = 80;
    private readonly int _boxes, _images;
    private readonly int _seed;

    public Generated(int boxes, int images, int seed)
    {
        _boxes = boxes;
        _images = images;
        _seed = seed;
    }

    private static string Image(int i) => $"img{i:D6}";

    private static string ClassName(int k) => $"class{k:D2}";

    /// <summary>Box i of image i % images: class, pixel corners and a score.</summary>
    private IEnumerable<(int Image, int Class, double X1, double Y1, double X2, double Y2, double Score)> Boxes(bool scored)
    {
        var random = new Random(_seed + (scored ? 1 : 0));
        int perImage = (_boxes + _images - 1) / _images;
        for (int i = 0; i < _boxes; i++)
        {
            int image = i / perImage;
            double x1 = random.Next(0, Width - 40), y1 = random.Next(0, Height - 40);
            double x2 = x1 + random.Next(8, 40), y2 = y1 + random.Next(8, 40);
            if (scored)
            {
                x1 += Math.Round(random.NextDouble(), 2);
                y1 += Math.Round(random.NextDouble(), 2);
            }
            yield return (image, random.Next(Classes), x1, y1, x2, y2, Math.Round(random.NextDouble(), 4));
        }
    }

    public void WriteCsv(string path, bool scored)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20) { NewLine = "\n" };
        writer.WriteLine(scored ? "image,class,x1,y1,x2,y2,score" : "image,class,x1,y1,x2,y2");
        foreach (var b in Boxes(scored))
        {
            string line = string.Create(CultureInfo.InvariantCulture, $"{Image(b.Image)},{ClassName(b.Class)},{b.X1},{b.Y1},{b.X2},{b.Y2}");
            writer.WriteLine(scored ? string.Create(CultureInfo.InvariantCulture, $"{line},{b.Score}") : line);
        }
    }

    public void WriteYolo(string folder, bool scored)
    {
        Directory.CreateDirectory(folder);
        var text = new StringBuilder();
        int current = -1;
        void Flush()
        {
            if (current >= 0) File.WriteAllText(Path.Combine(folder, Image(current) + ".txt"), text.ToString());
            text.Clear();
        }
        foreach (var b in Boxes(scored))
        {
            if (b.Image != current)
            {
                Flush();
                current = b.Image;
            }
            double cx = (b.X1 + b.X2) / 2 / Width, cy = (b.Y1 + b.Y2) / 2 / Height;
            double w = (b.X2 - b.X1) / Width, h = (b.Y2 - b.Y1) / Height;
            text.Append(CultureInfo.InvariantCulture, $"{b.Class} {cx:0.######} {cy:0.######} {w:0.######} {h:0.######}");
            if (scored) text.Append(CultureInfo.InvariantCulture, $" {b.Score}");
            text.Append('\n');
        }
        Flush();
    }

    public void WriteSizes(string path) =>
        File.WriteAllLines(path, Enumerable.Range(0, _images).Select(i => $"{Image(i)} {Width} {Height}"));

    public void WriteNames(string path) =>
        File.WriteAllLines(path, Enumerable.Range(0, Classes).Select(ClassName));
}
