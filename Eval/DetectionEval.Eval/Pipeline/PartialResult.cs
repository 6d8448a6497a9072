using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.IO;
using DetectionEval.Eval.Matches;
using DetectionEval.Matching;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Pipeline;

// A partial result: what one worker (a shard of a file run, or a rank of a training loop) matched, kept
// so that any number of them merge into the result of one run over every image.
//
// It holds exactly what accumulation reads (../../docs/distributed.md): per detection its stored match
// (score, image, input position, COCO rank in its unit and outcome bits, VOC outcome) and per class the
// ground truth that counts (COCO per area range, VOC's npos); plus the images it covers and their ground
// truth, from which the merge rebuilds the whole ground truth, its image ranks and its fingerprint. Images
// are numbered within the partial, in ascending id order; the merge renumbers them by the ranks of the
// whole set, so the order of the references' stable sort (score, image rank, input position) is restored
// exactly and the accumulation is the low-memory run's own (ShardedEvaluation.Accumulate).

/// <summary>The evaluation settings that shape match records; every partial of a merge must have the same.</summary>
/// <param name="Metrics">Metric families.</param>
/// <param name="Voc">The VOC matching rule.</param>
/// <param name="MaxDetections">COCO's three maxDets values.</param>
public sealed record PartialSettings(MetricSet Metrics, VocMatchSettings Voc, IReadOnlyList<int> MaxDetections)
{
    /// <summary>COCO's iou types, in report order.</summary>
    public IReadOnlyList<IouType> IouTypes { get; init; } = [IouType.Bbox];

    /// <summary>OKS's per-keypoint sigmas; null for COCO's 17 person keypoints (and without keypoints).</summary>
    public IReadOnlyList<double>? KeypointSigmas { get; init; }

    /// <summary>The settings of <paramref name="options"/>.</summary>
    public static PartialSettings Of(EvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.Metrics, options.Voc, [.. options.MaxDetections])
        {
            IouTypes = [.. options.IouTypes],
            // Sigmas shape keypoint matches only: without keypoints, partials with other sigmas were matched alike.
            KeypointSigmas = options.IouTypes.Contains(IouType.Keypoints) && options.KeypointSigmas is { } sigmas ? [.. sigmas] : null,
        };
    }

    /// <summary>The settings in words, e.g. <c>metrics coco+voc, VOC IoU >= 0.5, maxDets 1,10,100, iou types bbox</c>.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"metrics {Metrics switch { MetricSet.Coco => "coco", MetricSet.Voc => "voc", _ => "coco+voc" }}, VOC IoU {(Voc.Rule == VocIouRule.GreaterOrEqual ? ">=" : ">")} {Voc.IouThreshold:R}{(Voc.PlusOnePixel ? " +1 pixel" : "")}, maxDets {string.Join(',', MaxDetections)}, iou types {IouTypeList}{(KeypointSigmas is { } sigmas ? ", OKS sigmas " + Sigmas(sigmas) : "")}");

    /// <summary>The iou types as <c>--iou-type</c> writes them: <c>bbox,segm</c>.</summary>
    internal string IouTypeList => string.Join(',', IouTypes.Select(IouTypeNames.Name));

    private static string Sigmas(IReadOnlyList<double> sigmas) => string.Join(',', sigmas.Select(s => s.ToString("R", CultureInfo.InvariantCulture)));

    /// <summary>
    /// SHA-256 of the settings and of COCO's fixed parameters (IoU thresholds, area ranges), written as
    /// <c>sha256:</c> and 64 hex digits: partials with equal hashes were matched alike.
    /// </summary>
    public string Hash
    {
        get
        {
            string canonical = string.Create(CultureInfo.InvariantCulture,
                $"metrics={(int)Metrics};voc.iou={Voc.IouThreshold:R};voc.rule={Voc.Rule};voc.plusOne={Voc.PlusOnePixel};maxDets={string.Join(',', MaxDetections)};" +
                $"coco.iou={string.Join(',', CocoParameters.IouThresholds.Select(t => t.ToString("R", CultureInfo.InvariantCulture)))};" +
                $"coco.areas={string.Join(',', CocoParameters.AreaRanges.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Label}:{a.Lo:R}-{a.Hi:R}")))};" +
                $"iouTypes={IouTypeList};kpt.sigmas={(KeypointSigmas is { } sigmas ? Sigmas(sigmas) : "coco")}");
            return GroundTruthFingerprint.Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
        }
    }

    /// <summary>Evaluation options with these settings.</summary>
    public EvaluationOptions ToOptions() => new() { Metrics = Metrics, Voc = Voc, MaxDetections = MaxDetections, IouTypes = IouTypes, KeypointSigmas = KeypointSigmas };
}

/// <summary>A partial result cannot be read, or partials cannot be merged; the message says why in one line.</summary>
public sealed class PartialResultException(string message) : Exception(message);

/// <summary>
/// What one worker matched: a shard of a file run (<see cref="EvaluationPipeline.RunShard"/>) or one rank of a
/// training loop (<see cref="DetectionEvaluator.ToPartial"/>). <see cref="EvaluationPipeline.Merge(IEnumerable{PartialResult}, MergeOptions?)"/> turns
/// partials into the result of one run over all their images. <see cref="ToBytes"/> and <see cref="FromBytes"/>
/// carry it between processes and machines (Arrow IPC tables in a zip file, docs/distributed.md).
/// </summary>
public sealed class PartialResult
{
    /// <summary>The version of the stored layout this build writes and reads.</summary>
    public const int CurrentFormatVersion = 4;

    internal PartialResult(
        PartialSettings settings,
        IReadOnlyList<Category> categories,
        RecordId[] images,
        PartialGroundTruth groundTruth,
        PartialCounts counts,
        int[] recordClasses,
        StoredMatch[] records,
        IReadOnlyList<PartialShapeMatches> shapeMatches)
    {
        ShapeMatches = shapeMatches;
        Settings = settings;
        Categories = categories;
        Images = images;
        GroundTruth = groundTruth;
        Counts = counts;
        RecordClasses = recordClasses;
        Records = records;
    }

    /// <summary>The version of the build that made it.</summary>
    public string ToolVersion { get; init; } = BuildVersion;

    /// <summary>
    /// The ground truth's fingerprint (<see cref="Data.GroundTruthFingerprint"/>): of the whole ground truth for
    /// a shard of a file run, so that every shard names the same; of the partial's own images for a rank.
    /// </summary>
    public required string GroundTruthFingerprint { get; init; }

    /// <summary>The settings it was matched with.</summary>
    public PartialSettings Settings { get; }

    /// <summary>The shard of a file run it holds; null for a rank of a training loop.</summary>
    public ImageShard? Shard { get; init; }

    /// <summary>The ground-truth file as given to the run (reports name it); null for a rank.</summary>
    public string? GroundTruthPath { get; init; }

    /// <summary>The predictions as given to the run (reports name them); null for a rank.</summary>
    public string? PredictionsLabel { get; init; }

    /// <summary>Each predictions part's path as given to the worker, in reading order; null for a rank.</summary>
    public IReadOnlyList<string>? PredictionPaths { get; init; }

    /// <summary>The ground-truth file's size and SHA-256, as the worker read it; null for a rank.</summary>
    public InputDigest? GroundTruthDigest { get; init; }

    /// <summary>
    /// Each predictions part's size and SHA-256, as the worker read it; null for a rank. Shards merge when
    /// their predictions have the same content, wherever each machine found them.
    /// </summary>
    public IReadOnlyList<InputDigest>? PredictionDigests { get; init; }

    /// <summary>The categories, in ascending id order.</summary>
    public IReadOnlyList<Category> Categories { get; }

    /// <summary>Images covered, in ascending id order.</summary>
    public int ImageCount => Images.Length;

    /// <summary>Detections matched (of its images and known categories).</summary>
    public long Detections => Counts.Detections;

    /// <summary>The ids of the images covered, in ascending id order; records name them by index.</summary>
    internal RecordId[] Images { get; }

    /// <summary>
    /// Each image's index in the ground truth it was matched in, in the order of <see cref="Images"/>: for a shard,
    /// its place in the whole ground-truth file, by which a bootstrap draws images as the single run does.
    /// </summary>
    internal int[] ImageIndices { get; init; } = [];

    internal PartialGroundTruth GroundTruth { get; }

    internal PartialCounts Counts { get; }

    /// <summary>Each record's class (index into <see cref="Categories"/>).</summary>
    internal int[] RecordClasses { get; }

    /// <summary>The box records (empty without bbox); <see cref="StoredMatch.ImageRank"/> is an index into <see cref="Images"/>.</summary>
    internal StoredMatch[] Records { get; }

    /// <summary>The COCO records of each mask or keypoint iou type asked for, in report order.</summary>
    internal IReadOnlyList<PartialShapeMatches> ShapeMatches { get; }

    /// <summary>
    /// Whether it keeps what the error analysis reads (a shard written with <c>--analysis</c>), so that a merge
    /// with <see cref="MergeOptions.Analysis"/> gives the single run's analysis.
    /// </summary>
    public bool HasAnalysis => Analysis is not null;

    /// <summary>What the error analysis reads of its images; null when not asked for.</summary>
    internal PartialAnalysis? Analysis { get; init; }

    /// <summary>The partial written as bytes (the layout of docs/distributed.md).</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        PartialFile.Write(stream, this);
        return stream.ToArray();
    }

    /// <summary>Writes the partial to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream) => PartialFile.Write(stream, this);

    /// <summary>Reads a partial written by <see cref="ToBytes"/>.</summary>
    /// <exception cref="PartialResultException">The bytes are not a partial result this build reads.</exception>
    public static PartialResult FromBytes(byte[] bytes, string source = "partial result")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        return PartialFile.Read(stream, source);
    }

    /// <summary>Reads a partial written by <see cref="WriteTo"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="PartialResultException">The stream does not hold a partial result this build reads.</exception>
    public static PartialResult ReadFrom(Stream stream, string source) => PartialFile.Read(stream, source);

    /// <summary>Reads everything of a partial but its records (its header, images, ground truth and the analysis's records).</summary>
    /// <exception cref="PartialResultException">The stream does not hold a partial result this build reads.</exception>
    public static PartialResult ReadHeaderFrom(Stream stream, string source) => PartialFile.Read(stream, source, withRecords: false);

    /// <summary>What it is, for messages: the shard, or the rank's images.</summary>
    internal string Describe() => Shard is { } shard ? $"shard {shard}" : $"a partial of {Counting.Of(ImageCount, "image")}";

    private static string BuildVersion
    {
        get
        {
            string? version = typeof(PartialResult).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            if (string.IsNullOrEmpty(version)) return "0.0.0";
            int plus = version.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? version : version[..plus];
        }
    }

    /// <summary>
    /// The images <paramref name="holds"/> accepts of <paramref name="dataset"/> and their ground truth, as a
    /// partial keeps them; and each image rank's index among them (-1 for an image not held), by which
    /// <see cref="CollectRecords"/> renumbers the records.
    /// </summary>
    /// <param name="dataset">The dataset the records were matched in (ground truth at least); record image ranks are its ranks.</param>
    /// <param name="holds">Whether an image (by dataset index) belongs to the partial.</param>
    /// <returns>The partial's image ids, their dataset indices (in the partial's order), its ground truth, and each image rank's index among them.</returns>
    internal static (RecordId[] Images, int[] Indices, PartialGroundTruth GroundTruth, int[] LocalOfRank) CollectImages(Dataset dataset, Func<int, bool> holds)
    {
        int imageCount = dataset.Images.Count;
        int[] imageOfRank = new int[imageCount];
        for (int i = 0; i < imageCount; i++) imageOfRank[dataset.ImageRank(i)] = i;
        int[] localOfImage = new int[imageCount];
        Array.Fill(localOfImage, -1);
        var ids = new List<RecordId>();
        var indices = new List<int>();
        int[] localOfRank = new int[imageCount];
        for (int rank = 0; rank < imageCount; rank++)
        {
            int image = imageOfRank[rank];
            localOfRank[rank] = -1;
            if (!holds(image)) continue;
            localOfImage[image] = localOfRank[rank] = ids.Count;
            ids.Add(dataset.Images[image].Id);
            indices.Add(image);
        }

        GroundTruthTable gt = dataset.GroundTruth;
        var rows = new List<int>();
        for (int row = 0; row < gt.Count; row++)
        {
            if (localOfImage[gt.Images[row]] >= 0) rows.Add(row);
        }
        var groundTruth = new PartialGroundTruth(
            [.. rows.Select(r => localOfImage[gt.Images[r]])],
            [.. rows.Select(r => gt.Categories[r])],
            [.. rows.Select(r => gt.Boxes[r])],
            [.. rows.Select(r => gt.Areas[r])],
            [.. rows.Select(r => gt.Flags[r])]);
        return ([.. ids], [.. indices], groundTruth, localOfRank);
    }

    /// <summary>The records <paramref name="store"/> kept (released on the way), their images renumbered by <paramref name="localOfRank"/>.</summary>
    internal static (int[] Classes, StoredMatch[] Records) CollectRecords(ClassMatchStore store, int[] localOfRank)
    {
        int total = 0;
        for (int k = 0; k < store.Classes; k++) total += store.CountOf(k);
        int[] classes = new int[total];
        var records = new StoredMatch[total];
        int next = 0;
        for (int k = 0; k < store.Classes; k++)
        {
            foreach (StoredMatch m in store.Release(k))
            {
                classes[next] = k;
                records[next++] = m.Renumbered(localOfRank[m.ImageRank], m.InputPosition);
            }
        }
        return (classes, records);
    }

    /// <summary>The per-unit counts <paramref name="store"/> kept, their images renumbered by <paramref name="localOfRank"/>.</summary>
    internal static PartialUnits CollectUnits(ClassMatchStore store, int[] localOfRank)
    {
        UnitGroundTruth units = store.Units ?? throw new InvalidOperationException("The store kept no per-unit counts.");
        return new PartialUnits([.. units.Images.Select(rank => localOfRank[rank])], [.. units.Classes], [.. units.Countable], [.. units.Positives]);
    }
}

/// <summary>The ground truth that counts per unit (image and class) with any, which a bootstrap weighs image by image.</summary>
/// <param name="Images">Each unit's image (index into the partial's images).</param>
/// <param name="Classes">Each unit's class (index into the categories).</param>
/// <param name="Countable">COCO's ground truth that counts, per (unit, area range).</param>
/// <param name="Positives">VOC's npos per unit.</param>
internal sealed record PartialUnits(int[] Images, int[] Classes, int[] Countable, int[] Positives)
{
    public int Count => Images.Length;
}

/// <summary>The COCO match records of one mask or keypoint iou type of a partial.</summary>
/// <param name="IouType">Segm or keypoints.</param>
/// <param name="AreaRanges">The iou type's area ranges (the width of <paramref name="Countable"/>'s rows): 4 for masks, 3 for keypoints.</param>
/// <param name="Countable">The ground truth that counts, per (class, area range).</param>
/// <param name="Units">The ground truth that counts, per unit.</param>
/// <param name="Classes">Each record's class (index into the categories).</param>
/// <param name="Records">The records (no VOC outcome); <see cref="StoredMatch.ImageRank"/> is an index into the partial's images.</param>
internal sealed record PartialShapeMatches(IouType IouType, int AreaRanges, int[] Countable, PartialUnits Units, int[] Classes, StoredMatch[] Records);

/// <summary>The ground truth of a partial's images, in the dataset's row order (image, then class, then input order).</summary>
/// <param name="Images">Each row's image (index into the partial's images).</param>
/// <param name="Categories">Each row's class (index into the categories).</param>
/// <param name="Boxes">The boxes.</param>
/// <param name="Areas">The areas COCO's size ranges use.</param>
/// <param name="Flags">Crowd, difficult, ignore.</param>
internal sealed record PartialGroundTruth(int[] Images, int[] Categories, Box[] Boxes, double[] Areas, GroundTruthFlags[] Flags)
{
    public int Count => Images.Length;
}

/// <summary>The counts of a partial that the merge adds up.</summary>
/// <param name="AreaRanges">COCO's area ranges (the width of <paramref name="Countable"/>'s rows).</param>
/// <param name="Countable">COCO's ground truth that counts, per (class, area range).</param>
/// <param name="Positives">VOC's npos per class.</param>
/// <param name="Units">The ground truth that counts, per unit.</param>
/// <param name="Detections">Detections matched.</param>
/// <param name="DetectionsOfUnknownCategories">Detections dropped for their category: of the whole predictions when every shard read them all (<paramref name="SharedPredictions"/>), else of this partial's.</param>
/// <param name="DetectionsOverMaxDets">Detections COCO left out beyond the last maxDets value.</param>
/// <param name="SharedPredictions">
/// Every partial of the run read the same predictions, so input positions number all of them (a shard of a
/// file run); otherwise (a rank) positions number the partial's own detections and the merge offsets them.
/// </param>
internal sealed record PartialCounts(
    int AreaRanges, int[] Countable, int[] Positives, PartialUnits Units, long Detections, int DetectionsOfUnknownCategories, int DetectionsOverMaxDets, bool SharedPredictions);
