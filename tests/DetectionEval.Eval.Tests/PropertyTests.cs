using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Tests;

/*
 * Properties of AP, checked with FsCheck on random scenes (FsCheck's default 100 scenes per property).
 * A scene: 1 to 3 classes, 1 to 6 images with distinct random ids, up to 4 ground-truth boxes and 6
 * detections per image on a small grid (so that boxes overlap at every IoU), some detections copied from
 * a ground truth with a small shift, some crowd and difficult ground truth, and distinct scores: equal
 * scores are ordered by file position, image rank and image id, so a property that moves detections or
 * images holds only without ties. The split property that keeps ties checks what stays invariant with
 * them (COCO always; VOC against the concatenated parts). Results are compared as their JSON reports
 * without "inputs", i.e. every AP, AR, precision, recall and operating point, bit for bit.
 */

/// <summary>A detection or ground-truth box of a scene, with its class index.</summary>
public sealed record SceneBox(int Class, Box Box, double Score = 0, GroundTruthFlags Flags = GroundTruthFlags.None);

/// <summary>One image of a scene.</summary>
public sealed record SceneImage(long Id, SceneBox[] Truth, SceneBox[] Detections);

/// <summary>A random evaluation problem.</summary>
public sealed record Scene(int Classes, SceneImage[] Images)
{
    /// <summary>The scene's detections in file order: image by image.</summary>
    public IEnumerable<(SceneImage Image, SceneBox Detection)> DetectionsInOrder => Images.SelectMany(i => i.Detections.Select(d => (i, d)));

    public override string ToString() => $"{Classes} classes, images {string.Join(" ", Images.Select(i => $"{i.Id}({i.Truth.Length} gt, {i.Detections.Length} dt)"))}";
}

/// <summary>The generators of the properties.</summary>
public static class Scenes
{
    private static Gen<Box> AnyBox =>
        from x in Gen.Choose(0, 120)
        from y in Gen.Choose(0, 120)
        from w in Gen.Choose(2, 80)
        from h in Gen.Choose(2, 80)
        select new Box(x / 2.0, y / 2.0, w / 2.0, h / 2.0);

    private static Gen<Box> Near(Box box) =>
        from dx in Gen.Choose(-3, 3)
        from dy in Gen.Choose(-3, 3)
        from dw in Gen.Choose(-3, 3)
        from dh in Gen.Choose(-3, 3)
        select new Box(box.X + dx / 2.0, box.Y + dy / 2.0, Math.Max(1, box.Width + dw / 2.0), Math.Max(1, box.Height + dh / 2.0));

    private static Gen<GroundTruthFlags> Flags => Gen.Frequency(
        (12, Gen.Constant(GroundTruthFlags.None)), (1, Gen.Constant(GroundTruthFlags.Crowd)), (1, Gen.Constant(GroundTruthFlags.Difficult)));

    private static Gen<SceneBox> Truth(int classes) =>
        from c in Gen.Choose(0, classes - 1)
        from box in AnyBox
        from flags in Flags
        select new SceneBox(c, box, Flags: flags);

    /// <summary>A detection: near one of the image's ground truths (its class, or another), or anywhere.</summary>
    private static Gen<SceneBox> Detection(int classes, SceneBox[] truth)
    {
        Gen<SceneBox> anywhere = from c in Gen.Choose(0, classes - 1) from box in AnyBox select new SceneBox(c, box);
        if (truth.Length == 0) return anywhere;
        Gen<SceneBox> near =
            from g in Gen.Elements(truth)
            from box in Near(g.Box)
            from sameClass in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
            from other in Gen.Choose(0, classes - 1)
            select new SceneBox(sameClass ? g.Class : other, box);
        return Gen.Frequency((3, near), (1, anywhere));
    }

    private static Gen<SceneImage> Image(long id, int classes) =>
        from gts in Gen.Choose(0, 4)
        from truth in Truth(classes).ArrayOf(gts)
        from dts in Gen.Choose(0, 6)
        from detections in Detection(classes, truth).ArrayOf(dts)
        select new SceneImage(id, truth, detections);

    /// <summary>Distinct scores: a shuffled ladder of thousandths, so no two detections tie.</summary>
    private static Gen<Scene> WithDistinctScores(Scene scene)
    {
        int count = scene.Images.Sum(i => i.Detections.Length);
        return Gen.Shuffle(Enumerable.Range(1, count).ToArray()).Select(ranks =>
        {
            int next = 0;
            SceneImage[] images = [.. scene.Images.Select(i => i with { Detections = [.. i.Detections.Select(d => d with { Score = ranks[next++] / 1000.0 })] })];
            return scene with { Images = images };
        });
    }

    private static Gen<Scene> Raw =>
        from classes in Gen.Choose(1, 3)
        from imageCount in Gen.Choose(1, 6)
        from ids in Gen.Shuffle(Enumerable.Range(1, 999).ToArray())
        from images in Gen.CollectToArray(ids.Take(imageCount).Select(id => Image(id, classes)))
        select new Scene(classes, images);

    /// <summary>Scenes whose scores are all distinct.</summary>
    public static Arbitrary<Scene> Distinct() => Raw.SelectMany(WithDistinctScores).ToArbitrary();
}

/// <summary>Scenes with ties: scores among 0.1, 0.2, ..., 0.5.</summary>
public static class TiedScenes
{
    public static Arbitrary<Scene> Tied() =>
        Scenes.Distinct().Generator.SelectMany(scene =>
            Gen.Choose(1, 5).ArrayOf(scene.Images.Sum(i => i.Detections.Length)).Select(levels =>
            {
                int next = 0;
                return scene with { Images = [.. scene.Images.Select(i => i with { Detections = [.. i.Detections.Select(d => d with { Score = levels[next++] / 10.0 })] })] };
            })).ToArbitrary();
}

/// <summary>Scenes whose detections are exactly their ground truths (no flags, distinct boxes per image and class).</summary>
public static class PerfectScenes
{
    public static Arbitrary<Scene> Perfect() =>
        Scenes.Distinct().Generator
            .Select(scene => scene with
            {
                Images = [.. scene.Images.Select(i =>
                {
                    SceneBox[] truth = [.. i.Truth.Select(g => g with { Flags = GroundTruthFlags.None }).DistinctBy(g => (g.Class, g.Box))];
                    return i with { Truth = truth, Detections = [.. truth.Select((g, k) => new SceneBox(g.Class, g.Box, (k + 1) / 1000.0 + i.Id))] };
                })],
            })
            .Where(scene => scene.Images.Any(i => i.Truth.Length > 0))
            .ToArbitrary();
}

public sealed class PropertyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-properties-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The scene as a dataset: images in <paramref name="order"/> (indices into the scene), then <paramref name="empty"/> images at the given insertion positions.</summary>
    private static Dataset Build(Scene scene, IReadOnlyList<int>? order = null, IReadOnlyList<(int At, long Id)>? empty = null, SceneBox? extra = null, int extraImage = -1)
    {
        var builder = new DatasetBuilder();
        for (int k = 0; k < scene.Classes; k++) builder.TryAddCategory(new Category(k + 1, $"class{k + 1}"), out _);
        var images = (order ?? [.. Enumerable.Range(0, scene.Images.Length)]).Select(i => (Scene: (SceneImage?)scene.Images[i], Id: scene.Images[i].Id)).ToList();
        foreach ((int at, long id) in empty ?? []) images.Insert(Math.Min(at, images.Count), (null, id));
        long annotation = 1;
        foreach ((SceneImage? image, long id) in images)
        {
            Assert.True(builder.TryAddImage(new ImageInfo(id, $"{id}.jpg", 640, 480), out int index));
            if (image is null) continue;
            foreach (SceneBox g in image.Truth) builder.AddGroundTruth(index, g.Class, g.Box, g.Box.Area, g.Flags, annotation++);
            foreach (SceneBox d in image.Detections) builder.AddDetection(index, d.Class, d.Box, d.Score);
            if (extra is not null && image == scene.Images[extraImage]) builder.AddDetection(index, extra.Class, extra.Box, extra.Score);
        }
        return builder.Build();
    }

    private static EvaluationResult Evaluate(Dataset dataset) => Evaluations.Of(dataset);

    /// <summary>Every number of the evaluation: its JSON report without the "inputs" object.</summary>
    private static string Numbers(EvaluationResult result)
    {
        using var stream = new MemoryStream();
        JsonReport.Write(stream, new ReportHeader("deval", "test", "gt", "dt"), result);
        JsonObject report = JsonNode.Parse(stream.ToArray())!.AsObject();
        report.Remove("inputs");
        return report.ToJsonString();
    }

    [Property(Arbitrary = [typeof(Scenes)])]
    public void Ap_does_not_depend_on_the_order_of_the_images(Scene scene, int seed)
    {
        int[] order = [.. Enumerable.Range(0, scene.Images.Length).OrderBy(i => HashCode.Combine(seed, i))];
        Assert.Equal(Numbers(Evaluate(Build(scene))), Numbers(Evaluate(Build(scene, order))));
    }

    [Property(Arbitrary = [typeof(Scenes)])]
    public void Images_without_ground_truth_or_detections_change_no_ap(Scene scene, byte count, int seed)
    {
        var used = new HashSet<long>(scene.Images.Select(i => i.Id));
        var random = new Random(seed);
        var empty = new List<(int, long)>();
        for (int n = 0; n < count % 6 + 1; n++)
        {
            long id;
            do id = random.Next(1, 2000); while (!used.Add(id));
            empty.Add((random.Next(0, scene.Images.Length + 1), id));
        }
        Assert.Equal(Numbers(Evaluate(Build(scene))), Numbers(Evaluate(Build(scene, empty: empty))));
    }

    [Property(Arbitrary = [typeof(PerfectScenes)])]
    public void Perfect_predictions_score_one(Scene scene)
    {
        EvaluationResult result = Evaluate(Build(scene));
        CocoSummary coco = result.Coco!.Summary;
        // pycocotools' precision is tp / (tp + fp + 2^-52): one detection short of 1 by an ulp or two.
        foreach (double? value in new[] { coco.Ap, coco.Ap50, coco.Ap75, coco.Ar100 }) Assert.InRange(value!.Value, 1 - 1e-12, 1 + 1e-12);
        foreach (CocoClassResult c in result.Coco.PerClass.Where(c => c.Ap is not null)) Assert.InRange(c.Ap!.Value, 1 - 1e-12, 1 + 1e-12);
        // VOC's precision is exactly 1, and its all-point AP adds recall steps that sum to exactly 1; the
        // 11-point AP adds eleven elevenths, which is 1 or 1.0000000000000002 (docs/conventions.md, VOC).
        Assert.Equal(1.0, result.Voc!.MeanApAll);
        foreach (VocClassResult c in result.Voc.PerClass.Where(c => c.ApAll is not null))
        {
            Assert.Equal(1.0, c.ApAll);
            Assert.True(c.Ap07 is 1.0 or 1.0000000000000002, $"AP07 {c.Ap07:R}");
        }
    }

    [Property(Arbitrary = [typeof(Scenes)])]
    public void Without_predictions_every_ap_is_zero(Scene scene)
    {
        Scene empty = scene with { Images = [.. scene.Images.Select(i => i with { Detections = [] })] };
        EvaluationResult result = Evaluate(Build(empty));
        foreach (CocoClassResult c in result.Coco!.PerClass) Assert.True(c.Ap is null or 0.0, $"class {c.Category.Id}: AP {c.Ap:R}");
        Assert.True(result.Coco.Summary.Ap is null or 0.0);
        foreach (VocClassResult c in result.Voc!.PerClass)
        {
            Assert.True(c.ApAll is null or 0.0, $"class {c.Category.Id}: APall {c.ApAll:R}");
            Assert.True(c.Ap07 is null or 0.0, $"class {c.Category.Id}: AP07 {c.Ap07:R}");
        }
        Assert.True(result.Voc.MeanApAll is null or 0.0);
    }

    [Property(Arbitrary = [typeof(Scenes)])]
    public void A_false_positive_scored_below_every_detection_never_raises_ap(Scene scene, byte image, byte cls, byte size)
    {
        double lowest = scene.Images.SelectMany(i => i.Detections).Select(d => d.Score).DefaultIfEmpty(1).Min();
        // Far from every box of the scene, so it matches nothing and is a false positive in COCO and VOC.
        var fp = new SceneBox(cls % scene.Classes, new Box(1000 + size, 1000, 1 + size % 50, 1 + size % 70), lowest / 2);
        EvaluationResult before = Evaluate(Build(scene));
        EvaluationResult after = Evaluate(Build(scene, extra: fp, extraImage: image % scene.Images.Length));
        Assert.True(Le(after.Coco!.Summary.Ap, before.Coco!.Summary.Ap), $"COCO AP {before.Coco.Summary.Ap:R} -> {after.Coco.Summary.Ap:R}");
        for (int k = 0; k < scene.Classes; k++)
        {
            Assert.True(Le(after.Coco.PerClass[k].Ap, before.Coco.PerClass[k].Ap), $"class {k + 1} COCO AP");
            Assert.True(Le(after.Voc!.PerClass[k].ApAll, before.Voc!.PerClass[k].ApAll), $"class {k + 1} VOC APall");
            Assert.True(Le(after.Voc.PerClass[k].Ap07, before.Voc.PerClass[k].Ap07), $"class {k + 1} VOC AP07");
        }
        Assert.True(Le(after.Voc!.MeanApAll, before.Voc!.MeanApAll));
    }

    private static bool Le(double? after, double? before) => after is null ? before is null : before is not null && after <= before;

    // ---- split and merged prediction files ----

    private string WriteGroundTruth(Scene scene)
    {
        var json = new StringBuilder("{\"images\": [");
        json.AppendJoin(", ", scene.Images.Select(i => $"{{\"id\": {i.Id}}}"));
        json.Append("], \"annotations\": [");
        long id = 1;
        json.AppendJoin(", ", scene.Images.SelectMany(i => i.Truth.Select(g => string.Create(CultureInfo.InvariantCulture,
            $"{{\"id\": {id++}, \"image_id\": {i.Id}, \"category_id\": {g.Class + 1}, \"bbox\": {BoxJson(g.Box)}, \"iscrowd\": {(g.Flags == GroundTruthFlags.Crowd ? 1 : 0)}, \"difficult\": {(g.Flags == GroundTruthFlags.Difficult ? 1 : 0)}}}"))));
        json.Append("], \"categories\": [");
        json.AppendJoin(", ", Enumerable.Range(1, scene.Classes).Select(k => $"{{\"id\": {k}, \"name\": \"class{k}\"}}"));
        json.Append("]}");
        string path = Path.Combine(_folder, $"gt-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToString());
        return path;
    }

    private string WriteResults(IEnumerable<(SceneImage Image, SceneBox Detection)> detections)
    {
        string path = Path.Combine(_folder, $"dt-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "[" + string.Join(",\n", detections.Select(x => string.Create(CultureInfo.InvariantCulture,
            $"{{\"image_id\": {x.Image.Id}, \"category_id\": {x.Detection.Class + 1}, \"bbox\": {BoxJson(x.Detection.Box)}, \"score\": {x.Detection.Score:R}}}"))) + "]");
        return path;
    }

    private static string BoxJson(Box b) => string.Create(CultureInfo.InvariantCulture, $"[{b.X:R}, {b.Y:R}, {b.Width:R}, {b.Height:R}]");

    private static string Load(string gt, params string[] predictions) =>
        Numbers(Evaluate(AnnotationLoader.LoadParts(new AnnotationInput(gt), [.. predictions.Select(p => new AnnotationInput(p))], new LoadOptions()).Builder.Build()));

    /// <summary>
    /// The detections in a file order that mixes the images (each image's own detections keep their order),
    /// and their split by image into parts: part k holds the images assigned to k, in that file order.
    /// </summary>
    private static ((SceneImage, SceneBox)[] File, (SceneImage, SceneBox)[][] Parts) Split(Scene scene, int seed)
    {
        var random = new Random(seed);
        var queues = scene.Images.Select(i => new Queue<SceneBox>(i.Detections)).ToArray();
        var file = new List<(SceneImage, SceneBox)>();
        while (queues.Any(q => q.Count > 0))
        {
            int[] open = [.. Enumerable.Range(0, queues.Length).Where(i => queues[i].Count > 0)];
            int pick = open[random.Next(open.Length)];
            file.Add((scene.Images[pick], queues[pick].Dequeue()));
        }
        int partCount = 2 + random.Next(2);
        var part = scene.Images.ToDictionary(i => i.Id, _ => random.Next(partCount));
        return ([.. file], [.. Enumerable.Range(0, partCount).Select(k => file.Where(x => part[x.Item1.Id] == k).ToArray())]);
    }

    [Property(Arbitrary = [typeof(Scenes)], MaxTest = 100)]
    public void Predictions_split_by_image_into_files_give_the_results_of_the_whole_file(Scene scene, int seed)
    {
        ((SceneImage, SceneBox)[] file, (SceneImage, SceneBox)[][] parts) = Split(scene, seed);
        string gt = WriteGroundTruth(scene);
        string whole = Load(gt, WriteResults(file));
        Assert.Equal(whole, Load(gt, [.. parts.Select(WriteResults)]));
    }

    [Property(Arbitrary = [typeof(TiedScenes)], MaxTest = 100)]
    public void With_ties_split_predictions_give_coco_of_the_whole_file_and_voc_of_the_parts_concatenated(Scene scene, int seed)
    {
        ((SceneImage, SceneBox)[] file, (SceneImage, SceneBox)[][] parts) = Split(scene, seed);
        string gt = WriteGroundTruth(scene);
        string split = Load(gt, [.. parts.Select(WriteResults)]);
        // COCO breaks ties by image id, then by file order within the image, which a split by image keeps.
        JsonNode Coco(string numbers) => JsonNode.Parse(numbers)!["coco"]!;
        Assert.Equal(Coco(Load(gt, WriteResults(file))).ToJsonString(), Coco(split).ToJsonString());
        // VOC breaks ties by file order across images: the parts read one after the other are their concatenation.
        Assert.Equal(Load(gt, WriteResults(parts.SelectMany(p => p))), split);
    }
}
