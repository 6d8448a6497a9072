using DetectionEval.Eval.Data;
using DetectionEval.Matching;

namespace DetectionEval.Eval.Tests.Reports;

/// <summary>The ground-truth fingerprint: equal for the same content in any file order, different for any change a metric would see.</summary>
public sealed class GroundTruthFingerprintTests
{
    private sealed record Annotation(long Image, long Category, Box Box, GroundTruthFlags Flags = GroundTruthFlags.None);

    private static readonly Annotation[] Annotations =
    [
        new(1, 1, new Box(10, 10, 50, 40)),
        new(1, 2, new Box(0, 0, 5, 5), GroundTruthFlags.Crowd),
        new(2, 1, new Box(3, 4, 30, 30)),
        new(1, 1, new Box(60, 10, 20, 20)),
    ];

    private static string Fingerprint(
        IEnumerable<long> imageOrder, IEnumerable<Annotation> annotations, IEnumerable<Category>? categories = null, long firstAnnotationId = 1)
    {
        var builder = new DatasetBuilder();
        foreach (Category c in categories ?? [new Category(2, "dog"), new Category(1, "person")]) builder.TryAddCategory(c, out _);
        foreach (long id in imageOrder) builder.TryAddImage(new ImageInfo(id, $"{id}.jpg"), out _);
        long annotationId = firstAnnotationId;
        foreach (Annotation a in annotations)
        {
            builder.TryGetImage(a.Image, out int image);
            builder.TryGetCategory(a.Category, out int category);
            builder.AddGroundTruth(image, category, a.Box, a.Box.Area, a.Flags, annotationId++);
        }
        return GroundTruthFingerprint.Of(builder.Build());
    }

    [Fact]
    public void Image_order_category_order_and_annotation_ids_do_not_change_it()
    {
        string reference = Fingerprint([1, 2, 3], Annotations);
        Assert.Matches("^sha256:[0-9a-f]{64}$", reference);
        Assert.Equal(reference, Fingerprint([3, 2, 1], Annotations));
        Assert.Equal(reference, Fingerprint([1, 2, 3], Annotations, [new Category(1, "person"), new Category(2, "dog")]));
        Assert.Equal(reference, Fingerprint([1, 2, 3], Annotations, firstAnnotationId: 100));
        // Annotations of different images or classes may come in any order; within one (image, class) the order matters to matching.
        Assert.Equal(reference, Fingerprint([1, 2, 3], [Annotations[2], Annotations[1], Annotations[0], Annotations[3]]));
    }

    [Fact]
    public void Anything_a_metric_reads_changes_it()
    {
        string reference = Fingerprint([1, 2, 3], Annotations);
        Assert.NotEqual(reference, Fingerprint([1, 2], Annotations));
        Assert.NotEqual(reference, Fingerprint([1, 2, 3], Annotations, [new Category(2, "cat"), new Category(1, "person")]));
        Assert.NotEqual(reference, Fingerprint([1, 2, 3], [.. Annotations.Take(3), Annotations[3] with { Box = new Box(60, 10, 20, 21) }]));
        Assert.NotEqual(reference, Fingerprint([1, 2, 3], [.. Annotations.Take(3), Annotations[3] with { Flags = GroundTruthFlags.Difficult }]));
        Assert.NotEqual(reference, Fingerprint([1, 2, 3], [Annotations[3], Annotations[1], Annotations[2], Annotations[0]]));
        Assert.NotEqual(reference, Fingerprint([1, 2, 3], Annotations.Take(3)));
    }
}
