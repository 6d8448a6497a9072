using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;

namespace DetectionEval.Eval.Tests;

/// <summary>
/// The reference data in formats other than COCO json, read as published: the c02 renderings (VOC XML
/// with VOC results, YOLO) and the peer cases' original files. Each gives the reference numbers exactly.
/// </summary>
public sealed class ReferenceFormatTests
{
    private static string C02(params string[] parts) => ReferenceData.Case(Path.Combine(["cases", "c02_basic", "formats", .. parts]));

    private static string Peer(params string[] parts) => ReferenceData.Case(Path.Combine(["peer", .. parts]));

    [Fact]
    public void C02_voc_xml_with_voc_results_gives_the_c02_numbers()
    {
        // The VOC devkit fixes its class list; c02's is classes.txt (categories in ascending COCO id).
        var options = new LoadOptions { Names = ClassList.Read(C02("yolo", "classes.txt")) };
        Dataset dataset = ReferenceAssertions.Load(
            new AnnotationInput(C02("voc", "Annotations"), AnnotationFormat.VocXml),
            new AnnotationInput(C02("voc", "results"), AnnotationFormat.VocResults),
            options);
        Assert.Equal(50, dataset.Images.Count);
        Assert.Equal(184, dataset.GroundTruth.Count);
        Assert.Equal(356, dataset.Detections.Count);
        using JsonDocument expected = ReferenceAssertions.Expected("cases/c02_basic/expected.json");
        ReferenceAssertions.AssertMatches(dataset, expected.RootElement, "c02 voc");
    }

    [Fact]
    public void C02_yolo_with_an_image_size_list_gives_the_yolo_numbers()
    {
        var options = new LoadOptions
        {
            Names = ClassList.Read(C02("yolo", "classes.txt")),
            ImageSizes = ImageSizeTable.Read(C02("yolo", "images.txt")),
        };
        Dataset dataset = ReferenceAssertions.Load(
            new AnnotationInput(C02("yolo", "labels"), AnnotationFormat.Yolo),
            new AnnotationInput(C02("yolo", "predictions"), AnnotationFormat.Yolo),
            options);
        Assert.Equal(184, dataset.GroundTruth.Count);
        Assert.Equal(356, dataset.Detections.Count);
        using JsonDocument expected = ReferenceAssertions.Expected("cases/c02_basic/formats/yolo/expected_yolo.json");
        ReferenceAssertions.AssertMatches(dataset, expected.RootElement, "c02 yolo");
    }

    [Fact]
    public void Rafaelpadilla_test_case_1_gives_the_published_aps_at_every_threshold()
    {
        var options = new LoadOptions { BoxFormat = BoxFormat.Xywh };
        Dataset dataset = ReferenceAssertions.Load(
            new AnnotationInput(Peer("rp_test_case_1", "original", "gts"), AnnotationFormat.Txt),
            new AnnotationInput(Peer("rp_test_case_1", "original", "dets"), AnnotationFormat.Txt),
            options);
        using JsonDocument expected = ReferenceAssertions.Expected("peer/rp_test_case_1/expected.json");
        Assert.Equal(8, ReferenceAssertions.AssertPublished(dataset, expected.RootElement, "rp_test_case_1"));
        ReferenceAssertions.AssertMatches(dataset, expected.RootElement, "rp_test_case_1");
    }

    [Fact]
    public void Rafaelpadilla_toy_example_voc_xml_with_xywh_detections_gives_the_published_aps()
    {
        var options = new LoadOptions { BoxFormat = BoxFormat.Xywh };
        Dataset dataset = ReferenceAssertions.Load(
            new AnnotationInput(Peer("rp_toyexample", "original", "gts_vocpascal_format"), AnnotationFormat.VocXml),
            new AnnotationInput(Peer("rp_toyexample", "original", "dets_classname_abs_xywh"), AnnotationFormat.Txt),
            options);
        using JsonDocument expected = ReferenceAssertions.Expected("peer/rp_toyexample/expected.json");
        Assert.Equal(4, ReferenceAssertions.AssertPublished(dataset, expected.RootElement, "rp_toyexample"));
        ReferenceAssertions.AssertMatches(dataset, expected.RootElement, "rp_toyexample");
    }

    [Fact]
    public void Cartucho_input_folders_give_the_published_map_and_every_class()
    {
        // Cartucho/mAP skips the classes that only its detections have; deval drops them on request.
        var options = new LoadOptions { UnknownClasses = UnknownClassHandling.Ignore };
        LoadedAnnotations loaded = AnnotationLoader.Load(
            new AnnotationInput(Peer("cartucho", "original", "ground-truth"), AnnotationFormat.Txt),
            new AnnotationInput(Peer("cartucho", "original", "detection-results"), AnnotationFormat.Txt),
            options);
        Assert.Equal(
            ["keyboard", "knife", "lamp", "laptop", "oven", "refrigerator", "toilet", "toothbrush"],
            loaded.Builder.UnknownClassNames.Keys);
        Dataset dataset = loaded.Builder.Build();
        Assert.Equal(85, dataset.Images.Count);
        Assert.Equal(30, dataset.Categories.Count);
        using JsonDocument expected = ReferenceAssertions.Expected("peer/cartucho/expected.json");
        Assert.Equal(31, ReferenceAssertions.AssertPublished(dataset, expected.RootElement, "cartucho"));
        ReferenceAssertions.AssertMatches(dataset, expected.RootElement, "cartucho");
    }
}
