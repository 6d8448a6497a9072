using System.Globalization;

namespace DetectionEval.Eval.Synthetic;

// Deterministic synthetic COCO data: a ground-truth file and a results file with the structure of a real
// evaluation, for benchmarks and for stressing pipelines.
//
// Inputs: SynthSettings (images, classes, seed, dense mode, optional per-image means).
// Layout: image i (1-based id i) draws everything from its own xoshiro256** stream (seed, i), first its
// size, then its objects, then its detections, so the files do not depend on buffering or threads. The
// images section is written first by re-deriving only each image's size from the same stream.
// Structure (regular mode, after COCO val2017): ~7.3 objects per image (1 % of images empty, a long tail),
// Zipf-like class frequencies (the first class about a fifth of all objects with 80 classes), COCO's size
// mix (41 % small, 34 % medium, 25 % large), ~1 % crowd regions, an `area` field below w*h as a
// segmentation's would be; detections: 85 % of objects found with jittered boxes (5 % with the wrong
// class, 10 % found twice), poorly localised and random false positives up to ~100 per image, scores with
// three decimals so that ties occur. Dense mode: hundreds of small objects and thousands of detections per
// image (crowds, shelves, aerial imagery), most false positives near objects as a detector before NMS gives.
// Only +, -, *, / and sqrt are used on doubles, which IEEE 754 rounds identically everywhere, so the same
// seed gives byte-identical files on every machine.

/// <summary>What to generate.</summary>
/// <param name="Images">Number of images (ids 1..N).</param>
/// <param name="Classes">Number of categories (ids 1..K).</param>
/// <param name="Seed">The seed; the same seed gives byte-identical files.</param>
/// <param name="Dense">Dense scenes: hundreds of objects and thousands of detections per image.</param>
/// <param name="ObjectsPerImage">Mean ground-truth objects per image; null for the mode's default (7.3 or 300).</param>
/// <param name="DetectionsPerImage">Mean detections per image; null for the mode's default (100 or 3,000).</param>
public sealed record SynthSettings(
    int Images, int Classes, ulong Seed, bool Dense = false, double? ObjectsPerImage = null, double? DetectionsPerImage = null)
{
    /// <summary>
    /// Add masks: every ground truth gets the octagon inscribed in its box as a polygon, every detection the
    /// same octagon of its box as compressed RLE at its image's size (after its box, so the areas stay
    /// <c>w*h</c>). Boxes, scores and everything else are the files without masks, draw for draw.
    /// </summary>
    public bool Segm { get; init; }

    /// <summary>
    /// Add keypoints: COCO's 17 person keypoints on every object, at fixed places of its box (a standing figure),
    /// one in ten of a ground truth's unlabelled (v = 0, at 0, 0) and one in ten labelled but hidden (v = 1) by
    /// a rule on its id, none on crowd regions; every detection the same figure in its own box. Nothing is
    /// drawn for them, so everything else is the files without keypoints, draw for draw.
    /// </summary>
    public bool Keypoints { get; init; }

    /// <summary>Mean objects per image in regular mode (COCO val2017: 36,781 objects on 5,000 images).</summary>
    public const double RegularObjectsPerImage = 7.3;

    /// <summary>Mean detections per image in regular mode (a detector kept at 100 per image).</summary>
    public const double RegularDetectionsPerImage = 100;

    /// <summary>Mean objects per image in dense mode.</summary>
    public const double DenseObjectsPerImage = 300;

    /// <summary>Mean detections per image in dense mode.</summary>
    public const double DenseDetectionsPerImage = 3000;

    /// <summary>The mean number of objects per image in effect.</summary>
    public double MeanObjects => ObjectsPerImage ?? (Dense ? DenseObjectsPerImage : RegularObjectsPerImage);

    /// <summary>The mean number of detections per image in effect.</summary>
    public double MeanDetections => DetectionsPerImage ?? (Dense ? DenseDetectionsPerImage : RegularDetectionsPerImage);
}

/// <summary>What was generated.</summary>
/// <param name="Images">Images written.</param>
/// <param name="Classes">Categories written.</param>
/// <param name="GroundTruth">Ground-truth annotations written, crowd regions included.</param>
/// <param name="Crowd">Annotations with <c>iscrowd = 1</c>.</param>
/// <param name="Detections">Detections written.</param>
public sealed record SynthSummary(int Images, int Classes, long GroundTruth, long Crowd, long Detections);

/// <summary>Writes a deterministic synthetic COCO ground-truth file and results file.</summary>
public static class SyntheticCoco
{
    /// <summary>Generates the pair described by <paramref name="settings"/>.</summary>
    /// <param name="settings">What to generate.</param>
    /// <param name="groundTruth">Receives the COCO ground truth (<c>images</c>, <c>annotations</c>, <c>categories</c>).</param>
    /// <param name="detections">Receives the COCO results list.</param>
    /// <param name="progress">Called with the number of images done so far, now and then; may be null.</param>
    public static SynthSummary Write(SynthSettings settings, Stream groundTruth, Stream detections, Action<int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Images, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Classes, 1);
        using var gt = new JsonLineWriter(groundTruth);
        using var dt = new JsonLineWriter(detections);
        var scene = new SceneModel(settings);

        gt.Raw("{\"info\": {\"description\": \"deval synth --images " + settings.Images.ToString(CultureInfo.InvariantCulture) + " --classes " + settings.Classes.ToString(CultureInfo.InvariantCulture));
        gt.Raw(settings.Dense ? " --dense" : "");
        gt.Raw(" --seed " + settings.Seed.ToString(CultureInfo.InvariantCulture) + "\"},\n\"images\": [\n");
        for (int i = 1; i <= settings.Images; i++)
        {
            (int width, int height) = scene.ImageSize(new Xoshiro256StarStar(settings.Seed, (ulong)i));
            gt.Raw(i == 1 ? "{\"id\": " : ",\n{\"id\": ");
            gt.Number(i);
            gt.Raw(", \"file_name\": \"synth_" + i.ToString("D12", CultureInfo.InvariantCulture) + ".jpg\", \"width\": ");
            gt.Number(width);
            gt.Raw(", \"height\": ");
            gt.Number(height);
            gt.Raw("}");
        }
        gt.Raw("\n],\n\"annotations\": [\n");
        dt.Raw("[\n");

        var objects = new List<SceneObject>();
        var found = new List<SceneDetection>();
        long annotationId = 0, crowd = 0, detectionCount = 0;
        for (int i = 1; i <= settings.Images; i++)
        {
            var random = new Xoshiro256StarStar(settings.Seed, (ulong)i);
            (int width, int height) = scene.ImageSize(random);
            objects.Clear();
            scene.AddObjects(random, width, height, objects);
            foreach (SceneObject o in objects)
            {
                WriteAnnotation(gt, ++annotationId, i, o, settings.Segm, settings.Keypoints);
                if (o.Crowd) crowd++;
            }
            found.Clear();
            scene.AddDetections(random, width, height, objects, found);
            foreach (SceneDetection d in found) WriteDetection(dt, ++detectionCount == 1, i, d, settings.Segm ? (width, height) : null, settings.Keypoints);
            if (progress is not null && (i & 255) == 0) progress(i);
        }

        gt.Raw("\n],\n\"categories\": [\n");
        for (int k = 1; k <= settings.Classes; k++)
        {
            gt.Raw(k == 1 ? "{\"id\": " : ",\n{\"id\": ");
            gt.Number(k);
            gt.Raw(", \"name\": \"class_" + k.ToString("D3", CultureInfo.InvariantCulture) + "\", \"supercategory\": \"synthetic\"}");
        }
        gt.Raw("\n]}\n");
        dt.Raw("\n]\n");
        return new SynthSummary(settings.Images, settings.Classes, annotationId, crowd, detectionCount);
    }

    /// <summary>The octagon inscribed in a box: its corners cut at 30 % of each side, as flat [x1, y1, ...].</summary>
    private static double[] Octagon(SynthBox b)
    {
        double x0 = b.X, x1 = b.X + (b.Width * 0.3), x2 = b.X + (b.Width * 0.7), x3 = b.X + b.Width;
        double y0 = b.Y, y1 = b.Y + (b.Height * 0.3), y2 = b.Y + (b.Height * 0.7), y3 = b.Y + b.Height;
        return [x1, y0, x2, y0, x3, y1, x3, y2, x2, y3, x1, y3, x0, y2, x0, y1];
    }

    private static void WritePolygon(JsonLineWriter w, SynthBox box)
    {
        w.Raw(", \"segmentation\": [[");
        double[] xy = Octagon(box);
        for (int j = 0; j < xy.Length; j++)
        {
            if (j > 0) w.Raw(", ");
            // Two decimals, as the boxes are written.
            w.Number(Math.Round(xy[j] * 100) / 100);
        }
        w.Raw("]]");
    }

    private static void WriteMask(JsonLineWriter w, SynthBox box, (int Width, int Height) image)
    {
        double[] xy = Octagon(box);
        for (int j = 0; j < xy.Length; j++) xy[j] = Math.Round(xy[j] * 100) / 100;
        Matching.Masks.RunLengthMask mask = Matching.Masks.PolygonRaster.FromPolygon(xy, image.Height, image.Width);
        w.Raw(", \"segmentation\": {\"size\": [");
        w.Number(image.Height);
        w.Raw(", ");
        w.Number(image.Width);
        // Compressed counts use the characters '0' to 'o'; of those JSON escapes only the backslash.
        w.Raw("], \"counts\": \"" + Matching.Masks.CompressedCounts.Encode(mask.Counts).Replace("\\", "\\\\", StringComparison.Ordinal) + "\"}");
    }

    /// <summary>COCO's 17 person keypoints (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles) as fractions of a box, x then y.</summary>
    private static readonly double[] Figure =
    [
        0.5, 0.1, 0.45, 0.08, 0.55, 0.08, 0.4, 0.1, 0.6, 0.1, 0.35, 0.25, 0.65, 0.25, 0.25, 0.4, 0.75, 0.4,
        0.2, 0.55, 0.8, 0.55, 0.4, 0.55, 0.6, 0.55, 0.4, 0.75, 0.6, 0.75, 0.4, 0.95, 0.6, 0.95,
    ];

    /// <summary>
    /// The figure's keypoints in <paramref name="box"/>, two decimals, as (x, y, v) triples; a ground truth
    /// (<paramref name="annotationId"/> given) leaves keypoint k unlabelled when (id + k) % 10 is 0 and hidden when it
    /// is 1, a crowd region labels none; a detection's v is 1.
    /// </summary>
    private static void WriteKeypoints(JsonLineWriter w, SynthBox box, long? annotationId, bool crowd)
    {
        int labelled = 0;
        var values = new double[Figure.Length / 2 * 3];
        for (int k = 0; k < Figure.Length / 2; k++)
        {
            long rule = annotationId is long id ? (id + k) % 10 : 2;
            if (crowd || rule == 0) continue;
            values[(k * 3) + 0] = Math.Round((box.X + (box.Width * Figure[k * 2])) * 100) / 100;
            values[(k * 3) + 1] = Math.Round((box.Y + (box.Height * Figure[(k * 2) + 1])) * 100) / 100;
            values[(k * 3) + 2] = rule == 1 || annotationId is null ? 1 : 2;
            labelled++;
        }
        w.Raw(", \"keypoints\": [");
        for (int j = 0; j < values.Length; j++)
        {
            if (j > 0) w.Raw(", ");
            w.Number(values[j]);
        }
        w.Raw("]");
        if (annotationId is not null)
        {
            w.Raw(", \"num_keypoints\": ");
            w.Number(labelled);
        }
    }

    private static void WriteAnnotation(JsonLineWriter gt, long id, int image, SceneObject o, bool segm, bool keypoints)
    {
        gt.Raw(id == 1 ? "{\"id\": " : ",\n{\"id\": ");
        gt.Number(id);
        gt.Raw(", \"image_id\": ");
        gt.Number(image);
        gt.Raw(", \"category_id\": ");
        gt.Number(o.Category);
        WriteBox(gt, o.Box);
        gt.Raw(", \"area\": ");
        gt.Number(o.Area);
        if (segm) WritePolygon(gt, o.Box);
        if (keypoints) WriteKeypoints(gt, o.Box, id, o.Crowd);
        gt.Raw(o.Crowd ? ", \"iscrowd\": 1}" : ", \"iscrowd\": 0}");
    }

    private static void WriteDetection(JsonLineWriter dt, bool first, int image, SceneDetection d, (int Width, int Height)? maskSize, bool keypoints)
    {
        dt.Raw(first ? "{\"image_id\": " : ",\n{\"image_id\": ");
        dt.Number(image);
        dt.Raw(", \"category_id\": ");
        dt.Number(d.Category);
        WriteBox(dt, d.Box);
        if (maskSize is { } size) WriteMask(dt, d.Box, size);
        if (keypoints) WriteKeypoints(dt, d.Box, annotationId: null, crowd: false);
        dt.Raw(", \"score\": ");
        dt.Number(d.Score);
        dt.Raw("}");
    }

    private static void WriteBox(JsonLineWriter w, SynthBox box)
    {
        w.Raw(", \"bbox\": [");
        w.Number(box.X);
        w.Raw(", ");
        w.Number(box.Y);
        w.Raw(", ");
        w.Number(box.Width);
        w.Raw(", ");
        w.Number(box.Height);
        w.Raw("]");
    }
}

/// <summary>A generated box, already rounded to two decimals as written.</summary>
internal readonly record struct SynthBox(double X, double Y, double Width, double Height);

/// <summary>A generated ground-truth object.</summary>
internal readonly record struct SceneObject(int Category, SynthBox Box, double Area, bool Crowd);

/// <summary>A generated detection.</summary>
internal readonly record struct SceneDetection(int Category, SynthBox Box, double Score);
