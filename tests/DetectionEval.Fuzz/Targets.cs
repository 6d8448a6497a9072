using System.Text;
using System.Xml;
using CsvHelper;
using DetectionEval.Eval;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Reports;
using DetectionEval.Eval.IO;

namespace DetectionEval.Fuzz;

/*
 * The fuzz targets: one per loader and role, each reading one input from memory through the loader's
 * stream entry point (the code the file path entry point runs after opening the file). Prediction
 * targets read against a fixed valid ground truth, built afresh for every execution. Options a format
 * has (box layout, coordinates, unknown classes) are drawn per execution from the campaign's stream.
 * After a successful read the dataset is evaluated (COCO and VOC, one thread), its JSON report written
 * and read back by the gate's reader, so that values a loader lets through cannot crash a later stage.
 * A target returns a short signature of what it read; the campaign keeps inputs with new signatures.
 */

/// <summary>One loader under test.</summary>
/// <param name="Name">The target's name on the command line and its corpus folder.</param>
/// <param name="Loader">What it reads, for the report.</param>
/// <param name="Tokens">Words of the format the mutator inserts.</param>
/// <param name="Run">Reads one input; <c>choice</c> picks the options. Returns a signature of the outcome.</param>
internal sealed record FuzzTarget(string Name, string Loader, string[] Tokens, Func<byte[], ulong, string> Run);

internal static class Targets
{
    private const string Input = "input";

    private static readonly string[] JsonTokens =
        ["{", "}", "[", "]", "\"images\"", "\"annotations\"", "\"categories\"", "\"id\"", "\"image_id\"", "\"category_id\"", "\"bbox\"", "\"score\"", "\"area\"",
         "\"iscrowd\"", "\"ignore\"", "\"difficult\"", "\"name\"", "\"file_name\"", "\"width\"", "\"height\"", ":", "[1, 2, 3, 4]", "{}", "[]", "\"\\u00e9\"", "\"img1\"", "\"img2\"", "\"{\""];

    private static readonly string[] LabelMeTokens =
        [.. JsonTokens, "\"shapes\"", "\"label\"", "\"points\"", "\"shape_type\"", "\"rectangle\"", "\"polygon\"", "\"flags\"", "\"imagePath\"", "\"imageWidth\"", "\"imageHeight\"", "[[1, 2], [3, 4]]"];

    private static readonly string[] ReportTokens =
        [.. JsonTokens, "\"tool\"", "\"deval\"", "\"version\"", "\"inputs\"", "\"coco\"", "\"voc\"", "\"perClass\"", "\"maxDets\"", "\"AP\"", "\"iouRule\"", "\"ge\"", "\"gt\"",
         "\"plusOne\"", "\"mAP07\"", "\"mAPAll\"", "\"classesInMean\"", "\"npos\"", "\"groundTruthFingerprint\"", "\"sha256:0000000000000000000000000000000000000000000000000000000000000000\""];

    private static readonly string[] XmlTokens =
        ["<annotation>", "</annotation>", "<object>", "</object>", "<name>", "</name>", "<bndbox>", "</bndbox>", "<xmin>", "</xmin>", "<ymax>", "<difficult>1</difficult>",
         "<iscrowd>1</iscrowd>", "<size><width>0</width><height>0</height></size>", "<annotations>", "<image name=\"a\">", "</image>", "<box label=\"cat\" xtl=\"1\" ytl=\"1\" xbr=\"2\" ybr=\"2\">",
         "</box>", "<attribute name=\"score\">", "</attribute>", "<track>", "<meta>", "<labels><label><name>x</name></label></labels>", "xtl=\"", "label=\"", "=\"", "/>", "<a>", "</a>"];

    private static readonly string[] TextTokens =
        [" ", "  ", "\t", "\n", "\r\n", "difficult", "cat", "dog", "0", "1", "0.5", "-0.5", "1.5", ".5", "5.", "img1", "img2", "img9", "a b c", "#"];

    private static readonly string[] CsvTokens =
        [.. TextTokens, ",", ";", "|", "\"", "\"\"", "image", "class", "x1", "y1", "x2", "y2", "x", "y", "w", "h", "cx", "cy", "score", "width", "height", "iscrowd",
         "ImageID", "LabelName", "XMin", "XMax", "YMin", "YMax", "IsGroupOf", "Score", "Confidence", "/m/01yrx", "yes", "no"];

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("coco-gt", "COCO json ground truth (CocoJson.ReadGroundTruth)", JsonTokens, CocoGroundTruth),
        new("coco-results", "COCO results: byte scanner (CocoResultsFastPath) and general reader", JsonTokens, CocoResults),
        new("coco-results-spilled", "COCO results into a low-memory run's spill (the byte scanner in batches), against the in-memory scan", JsonTokens, CocoResultsSpilled),
        new("voc-xml", "Pascal VOC annotation XML", XmlTokens, VocXml),
        new("voc-results", "Pascal VOC results txt", TextTokens, VocResults),
        new("yolo-gt", "YOLO labels", TextTokens, YoloGroundTruth),
        new("yolo-pred", "YOLO predictions", TextTokens, YoloPredictions),
        new("txt-gt", "txt ground truth (Cartucho, rafaelpadilla)", TextTokens, TxtGroundTruth),
        new("txt-pred", "txt predictions", TextTokens, TxtPredictions),
        new("csv-gt", "CSV ground truth", CsvTokens, CsvGroundTruth),
        new("csv-pred", "CSV predictions", CsvTokens, CsvPredictions),
        new("labelme-gt", "LabelMe json ground truth", LabelMeTokens, LabelMeGroundTruth),
        new("labelme-pred", "LabelMe json predictions", LabelMeTokens, LabelMePredictions),
        new("cvat-gt", "CVAT for images 1.1 XML ground truth", XmlTokens, CvatGroundTruth),
        new("cvat-pred", "CVAT for images 1.1 XML predictions", XmlTokens, CvatPredictions),
        new("openimages-gt", "Open Images CSV ground truth", CsvTokens, OpenImagesGroundTruth),
        new("openimages-pred", "Open Images CSV predictions", CsvTokens, OpenImagesPredictions),
        new("json-report", "JSON report (JsonReport.Read, the gate's baseline reader)", ReportTokens, JsonReport),
        new("names", "class lists (--names: names.txt, data.yaml)", [.. TextTokens, "names:", "- ", "0: ", "[", "]", "'", "\""], ClassNames),
        new("image-sizes", "image sizes (--image-sizes)", TextTokens, ImageSizes),
        new("class-map", "class renames (--class-map)", CsvTokens, ClassMapFile),
    ];

    // ---- fixed ground truths of the prediction targets ----

    private const string CocoGt = """
        {"images": [{"id": 1, "file_name": "img1.jpg", "width": 100, "height": 100}, {"id": 2, "file_name": "img2.jpg", "width": 100, "height": 100}],
         "annotations": [
          {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 40, 40], "area": 1600, "iscrowd": 0},
          {"id": 2, "image_id": 1, "category_id": 2, "bbox": [60, 60, 30, 30], "area": 900, "iscrowd": 0},
          {"id": 3, "image_id": 2, "category_id": 1, "bbox": [5, 5, 15, 15], "area": 225, "iscrowd": 1}
         ],
         "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}
        """;

    private const string CocoGtStringIds = """
        {"images": [{"id": "img1", "file_name": "img1.jpg", "width": 100, "height": 100}, {"id": "img2", "file_name": "img2.jpg", "width": 100, "height": 100}],
         "annotations": [
          {"id": "a1", "image_id": "img1", "category_id": 1, "bbox": [10, 10, 40, 40], "area": 1600, "iscrowd": 0},
          {"id": "a2", "image_id": "img1", "category_id": 2, "bbox": [60, 60, 30, 30], "area": 900, "iscrowd": 0},
          {"id": "a3", "image_id": "img2", "category_id": 1, "bbox": [5, 5, 15, 15], "area": 225, "iscrowd": 1}
         ],
         "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}
        """;

    private static readonly (string Stem, string Text)[] VocGt =
    [
        ("img1", "<annotation><filename>img1.jpg</filename><size><width>100</width><height>100</height></size><object><name>cat</name><difficult>0</difficult><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>50</xmax><ymax>50</ymax></bndbox></object><object><name>dog</name><difficult>1</difficult><bndbox><xmin>60</xmin><ymin>60</ymin><xmax>90</xmax><ymax>90</ymax></bndbox></object></annotation>"),
        ("img2", "<annotation><filename>img2.jpg</filename><object><name>cat</name><bndbox><xmin>5</xmin><ymin>5</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object></annotation>"),
    ];

    private static readonly (string Stem, string Text)[] TxtGt = [("img1", "cat 10 10 50 50\ndog 60 60 90 90 difficult\n"), ("img2", "cat 5 5 20 20\n")];

    private static readonly (string Stem, string Text)[] YoloGt = [("img1", "0 0.3 0.3 0.4 0.4\n1 0.75 0.75 0.3 0.3\n"), ("img2", "0 0.125 0.125 0.15 0.15\n")];

    private const string CsvGt = "image,class,xmin,ymin,xmax,ymax,difficult,width,height\nimg1,cat,10,10,50,50,0,100,100\nimg1,dog,60,60,90,90,1,100,100\nimg2,cat,5,5,20,20,0,100,100\nimg3,,,,,,,100,100\n";

    private const string LabelMeGt = """{"shapes": [{"label": "cat", "points": [[10, 10], [50, 50]], "shape_type": "rectangle"}, {"label": "dog", "points": [[90, 90], [60, 60]], "shape_type": "rectangle", "flags": {"difficult": true}}], "imagePath": "img1.jpg", "imageWidth": 100, "imageHeight": 100}""";

    private const string CvatGt = """
        <annotations><meta><task><labels><label><name>cat</name></label><label><name>dog</name></label></labels></task></meta>
        <image id="0" name="img1.jpg" width="100" height="100"><box label="cat" xtl="10" ytl="10" xbr="50" ybr="50"></box><box label="dog" xtl="60" ytl="60" xbr="90" ybr="90"><attribute name="difficult">true</attribute></box></image>
        <image id="1" name="img2.jpg" width="100" height="100"><box label="cat" xtl="5" ytl="5" xbr="20" ybr="20"/></image></annotations>
        """;

    private const string OpenImagesGt = "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\nimg1,xclick,/m/01yrx,1,0.1,0.5,0.1,0.5,0,0,0,0,0\nimg1,xclick,/m/0bt9lr,1,0.6,0.9,0.6,0.9,0,0,0,0,0\nimg2,xclick,/m/01yrx,1,0.05,0.2,0.05,0.2,0,0,1,0,0\n";

    private static readonly ImageSizeTable Sizes = ReadSizes("img1 100 100\nimg2 100 100\nimg3.jpg 640 480\n");

    private static readonly ClassList Names = ClassList.FromNames("names.txt", ["cat", "dog"]);

    // ---- the targets ----

    private static string CocoGroundTruth(byte[] input, ulong choice)
    {
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(new MemoryStream(input, writable: false), Input, builder);
        return "ok " + Evaluate(builder);
    }

    /// <summary>
    /// The product's path (scanner, then the general reader when it steps aside), with a differential
    /// check: whatever the scanner accepts, the general reader must read to the same detections.
    /// </summary>
    private static string CocoResults(byte[] input, ulong choice)
    {
        int threads = 1 + (int)(choice % 3);
        long splitAbove = (choice >> 2) % 2 == 0 ? 0 : CocoResultsFastPath.SplitAbove;
        DatasetBuilder fast = CocoGroundTruthBuilder(choice);
        bool scanned = CocoResultsFastPath.TryRead(input, fast, threads, splitAbove);
        DatasetBuilder general = CocoGroundTruthBuilder(choice);
        try
        {
            CocoJson.ReadDetections(new MemoryStream(input, writable: false), Input, general);
        }
        catch (AnnotationFormatException e) when (scanned)
        {
            throw new InvalidOperationException($"The byte scanner accepted an input the general reader refuses: {e.Message}", e);
        }
        if (scanned) RequireSameDetections(fast.Build(), general.Build());
        return (scanned ? "fast " : "general ") + Evaluate(general);
    }

    /// <summary>
    /// The low-memory path: the scanner hands its detections to a spill in batches of 1 to 4 (so a batch
    /// can end anywhere), in 1 to 3 segments, into shards of 1 or 2 images. Differential: it must accept
    /// exactly what the in-memory scan accepts, and evaluating the spill shard by shard must give the
    /// in-memory run's report byte for byte.
    /// </summary>
    private static string CocoResultsSpilled(byte[] input, ulong choice)
    {
        int threads = 1 + (int)(choice % 3);
        long splitAbove = (choice >> 2) % 2 == 0 ? 0 : CocoResultsFastPath.SplitAbove;
        int drainEvery = 1 + (int)((choice >> 3) % 4);
        int imagesPerShard = 1 + (int)((choice >> 5) % 2);
        DatasetBuilder memory = CocoGroundTruthBuilder(choice);
        bool scanned = CocoResultsFastPath.TryRead(input, memory, threads, splitAbove);
        DatasetBuilder spilled = CocoGroundTruthBuilder(choice);
        using var spill = new DetectionSpill(spilled.ImageCount, imagesPerShard, SpillFolder.Value);
        spilled.SpillDetectionsTo(spill);
        bool spilledScan = CocoResultsFastPath.TryReadIntoSpill(input, spilled, threads, splitAbove, drainEvery);
        if (spilledScan != scanned) throw new InvalidOperationException($"The spilling scan {(spilledScan ? "accepted" : "refused")} an input the in-memory scan {(scanned ? "accepted" : "refused")}.");
        if (!scanned) return "handed over";
        var options = new EvaluationOptions { Threads = 1, ScoreThreshold = 0.5 };
        Dataset dataset = memory.Build();
        string whole = ReportText(InMemory(dataset, options));
        string sharded = ReportText(ShardedEvaluation.Accumulate(ShardedEvaluation.Match(spilled, spilled.Build(), options), options));
        if (whole != sharded) throw new InvalidOperationException("The spilled run's report differs from the in-memory run's.");
        return $"spilled {Bucket(dataset.Detections.Count)} {Bucket(dataset.DetectionsOfUnknownCategories)}";
    }

    /// <summary>Where the spilling target makes its spills (each deleted after its execution; the folder itself when the process ends).</summary>
    private static readonly Lazy<string> SpillFolder = new(() =>
    {
        string folder = Directory.CreateTempSubdirectory("deval-fuzz-spills-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);
        return folder;
    });

    private static string ReportText(EvaluationResult result)
    {
        using var report = new MemoryStream();
        Eval.Reports.JsonReport.Write(report, new ReportHeader("deval", "0.1.0", "gt", "dt"), result);
        return Encoding.UTF8.GetString(report.ToArray());
    }

    private static string VocXml(byte[] input, ulong choice) => GroundTruth(LoadOptionsOf(choice), sink =>
    {
        VocXmlFormat.ReadFile(new MemoryStream(input, writable: false), Input, "img1", sink);
        VocXmlFormat.ReadFile(new MemoryStream(Encoding.UTF8.GetBytes(VocGt[1].Text), writable: false), "img2.xml", "img2", sink);
    });

    private static string VocResults(byte[] input, ulong choice) => Predictions(
        LoadOptionsOf(choice),
        sink => { foreach ((string stem, string text) in VocGt) VocXmlFormat.ReadFile(Stream(text), stem + ".xml", stem, sink); },
        sink =>
        {
            using LineReader reader = LineReader.FromStream(new MemoryStream(input, writable: false), Input);
            VocResultsFormat.ReadFile(reader, (choice & 1) == 0 ? "cat" : "dog", sink);
        });

    private static string YoloGroundTruth(byte[] input, ulong choice) => GroundTruth(LoadOptionsOf(choice) with { ImageSizes = Sizes, Names = (choice & 8) == 0 ? Names : null }, sink =>
    {
        var classes = new Dictionary<long, int>();
        using (LineReader reader = LineReader.FromStream(new MemoryStream(input, writable: false), Input)) YoloFormat.ReadGroundTruthFile(reader, "img1", sink, classes);
        using (LineReader reader = LineReader.FromStream(Stream(YoloGt[1].Text), "img2.txt")) YoloFormat.ReadGroundTruthFile(reader, "img2", sink, classes);
    });

    private static string YoloPredictions(byte[] input, ulong choice)
    {
        LoadOptions options = LoadOptionsOf(choice) with { ImageSizes = Sizes, Names = Names };
        return Predictions(options,
            sink =>
            {
                var classes = new Dictionary<long, int>();
                foreach ((string stem, string text) in YoloGt)
                {
                    using LineReader reader = LineReader.FromStream(Stream(text), stem + ".txt");
                    YoloFormat.ReadGroundTruthFile(reader, stem, sink, classes);
                }
            },
            sink =>
            {
                using LineReader reader = LineReader.FromStream(new MemoryStream(input, writable: false), Input);
                YoloFormat.ReadPredictionsFile(reader, (choice & 16) == 0 ? "img1" : "img2", sink, []);
            },
            Names);
    }

    private static string TxtGroundTruth(byte[] input, ulong choice) => GroundTruth(LoadOptionsOf(choice), sink =>
    {
        using (LineReader reader = LineReader.FromStream(new MemoryStream(input, writable: false), Input)) TxtFormat.ReadGroundTruthFile(reader, "img1", sink);
        using (LineReader reader = LineReader.FromStream(Stream(TxtGt[1].Text), "img2.txt")) TxtFormat.ReadGroundTruthFile(reader, "img2", sink);
    });

    private static string TxtPredictions(byte[] input, ulong choice) => Predictions(
        LoadOptionsOf(choice),
        sink =>
        {
            foreach ((string stem, string text) in TxtGt)
            {
                // The ground truth is read in pixels whatever the predictions' options say.
                using LineReader reader = LineReader.FromStream(Stream(text), stem + ".txt");
                TxtFormat.ReadGroundTruthFile(reader, stem, sink);
            }
        },
        sink =>
        {
            using LineReader reader = LineReader.FromStream(new MemoryStream(input, writable: false), Input);
            TxtFormat.ReadPredictionsFile(reader, "img1", sink);
        },
        groundTruthOptions: LoadOptionsOf(choice) with { BoxFormat = null, Coordinates = CoordinateSpace.Absolute });

    private static string CsvGroundTruth(byte[] input, ulong choice) => GroundTruth(LoadOptionsOf(choice), sink =>
    {
        using CsvReader csv = CsvFormat.Open(new MemoryStream(input, writable: false), Input);
        CsvFormat.ReadGroundTruth(csv, Input, sink);
    });

    private static string CsvPredictions(byte[] input, ulong choice) => Predictions(
        LoadOptionsOf(choice),
        sink =>
        {
            using CsvReader csv = CsvFormat.Open(Stream(CsvGt), "gt.csv");
            CsvFormat.ReadGroundTruth(csv, "gt.csv", sink);
        },
        sink =>
        {
            using CsvReader csv = CsvFormat.Open(new MemoryStream(input, writable: false), Input);
            CsvFormat.ReadPredictions(csv, Input, sink);
        },
        groundTruthOptions: LoadOptionsOf(choice) with { BoxFormat = null, Coordinates = CoordinateSpace.Absolute });

    private static string LabelMeGroundTruth(byte[] input, ulong choice) => GroundTruth(LoadOptionsOf(choice), sink =>
    {
        using var json = new JsonStreamReader(new MemoryStream(input, writable: false), Input);
        LabelMeFormat.ReadGroundTruthFile(json, "img1", null, sink);
    });

    private static string LabelMePredictions(byte[] input, ulong choice) => Predictions(
        LoadOptionsOf(choice),
        sink =>
        {
            using var json = new JsonStreamReader(Stream(LabelMeGt), "img1.json");
            LabelMeFormat.ReadGroundTruthFile(json, "img1", null, sink);
        },
        sink =>
        {
            using var json = new JsonStreamReader(new MemoryStream(input, writable: false), Input);
            LabelMeFormat.ReadPredictionsFile(json, "img1", null, sink);
        });

    private static string CvatGroundTruth(byte[] input, ulong choice) => GroundTruth(LoadOptionsOf(choice), sink =>
    {
        using XmlReader xml = XmlInput.Open(new MemoryStream(input, writable: false), Input);
        CvatFormat.ReadGroundTruth(xml, Input, sink);
    });

    private static string CvatPredictions(byte[] input, ulong choice) => Predictions(
        LoadOptionsOf(choice),
        sink =>
        {
            using XmlReader xml = XmlInput.Open(Stream(CvatGt), "gt.xml");
            CvatFormat.ReadGroundTruth(xml, "gt.xml", sink);
        },
        sink =>
        {
            using XmlReader xml = XmlInput.Open(new MemoryStream(input, writable: false), Input);
            CvatFormat.ReadPredictions(xml, Input, sink);
        });

    private static string OpenImagesGroundTruth(byte[] input, ulong choice) => GroundTruth(LoadOptionsOf(choice) with { ImageSizes = Sizes }, sink =>
    {
        using CsvReader csv = CsvFormat.Open(new MemoryStream(input, writable: false), Input);
        OpenImagesFormat.ReadGroundTruth(csv, Input, sink);
    });

    private static string OpenImagesPredictions(byte[] input, ulong choice) => Predictions(
        LoadOptionsOf(choice) with { ImageSizes = Sizes },
        sink =>
        {
            using CsvReader csv = CsvFormat.Open(Stream(OpenImagesGt), "gt.csv");
            OpenImagesFormat.ReadGroundTruth(csv, "gt.csv", sink);
        },
        sink =>
        {
            using CsvReader csv = CsvFormat.Open(new MemoryStream(input, writable: false), Input);
            OpenImagesFormat.ReadPredictions(csv, Input, sink);
        });

    private static string JsonReport(byte[] input, ulong choice)
    {
        EvaluationReport report = Eval.Reports.JsonReport.Read(new MemoryStream(input, writable: false), Input);
        return $"ok {Bucket(report.Inputs.Classes)} {report.Coco is not null} {report.Voc is not null}";
    }

    private static string ClassNames(byte[] input, ulong choice)
    {
        using LineReader reader = LineReader.FromStream(new MemoryStream(input, writable: false), Input);
        ClassList list = ClassList.Read(reader, yaml: (choice & 1) == 1);
        return $"ok {Bucket(list.Classes.Count)}";
    }

    private static string ImageSizes(byte[] input, ulong choice)
    {
        using LineReader reader = LineReader.FromStream(new MemoryStream(input, writable: false), Input);
        ImageSizeTable table = ImageSizeTable.Read(reader);
        return $"ok {Bucket(table.ImageNames.Count)}";
    }

    private static string ClassMapFile(byte[] input, ulong choice)
    {
        ClassMap map = ClassMap.Read(new MemoryStream(input, writable: false), Input);
        return $"ok {Bucket(map.Count)}";
    }

    // ---- shared steps ----

    /// <summary>Options of the formats that have them, from the execution's choice bits.</summary>
    private static LoadOptions LoadOptionsOf(ulong choice)
    {
        BoxFormat? layout = ((choice >> 8) % 4) switch { 0 => null, 1 => BoxFormat.Xyxy, 2 => BoxFormat.Xywh, _ => BoxFormat.Cxcywh };
        bool relative = ((choice >> 10) & 3) == 3;
        return new LoadOptions
        {
            BoxFormat = layout,
            Coordinates = relative ? CoordinateSpace.Relative : CoordinateSpace.Absolute,
            ImageSizes = relative ? Sizes : null,
            UnknownClasses = ((choice >> 12) & 1) == 0 ? UnknownClassHandling.Error : UnknownClassHandling.Ignore,
        };
    }

    private static string GroundTruth(LoadOptions options, Action<GroundTruthSink> read)
    {
        var builder = new DatasetBuilder();
        var sink = new GroundTruthSink(builder, options, []);
        read(sink);
        sink.Complete();
        return "ok " + Evaluate(builder);
    }

    private static string Predictions(LoadOptions options, Action<GroundTruthSink> readGroundTruth, Action<PredictionSink> readPredictions, ClassList? indexNames = null, LoadOptions? groundTruthOptions = null)
    {
        var builder = new DatasetBuilder();
        var groundTruth = new GroundTruthSink(builder, groundTruthOptions ?? options, []);
        readGroundTruth(groundTruth);
        groundTruth.Complete();
        var sink = new PredictionSink(builder, options, groundTruth.KeysByBuilderIndex, indexNames, [], groundTruth.ImageIdsAreMeaningful, groundTruth.ClassIdsAreMeaningful);
        readPredictions(sink);
        return "ok " + Evaluate(builder);
    }

    /// <summary>The fixed COCO ground truth; bit 16 of the choice gives it string image ids ("img1", "img2") instead of 1 and 2.</summary>
    private static DatasetBuilder CocoGroundTruthBuilder(ulong choice)
    {
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Stream(((choice >> 16) & 1) == 0 ? CocoGt : CocoGtStringIds), "gt.json", builder);
        return builder;
    }

    /// <summary>The pipeline's in-memory run of a dataset.</summary>
    private static EvaluationResult InMemory(Dataset dataset, EvaluationOptions options) =>
        EvaluationPipeline.Run(new EvaluationRequest(new DatasetInputs(dataset)) { Options = options }).Result;

    /// <summary>Evaluates what was read, writes its JSON report and reads the report back; returns a signature.</summary>
    private static string Evaluate(DatasetBuilder builder)
    {
        Dataset dataset = builder.Build();
        EvaluationResult result = InMemory(dataset, new EvaluationOptions { Threads = 1 });
        using var report = new MemoryStream();
        Eval.Reports.JsonReport.Write(report, new ReportHeader("deval", "0.1.0", "gt", "dt"), result);
        report.Position = 0;
        Eval.Reports.JsonReport.Read(report, "the report written from the input");
        return $"{Bucket(dataset.Images.Count)} {Bucket(dataset.Categories.Count)} {Bucket(dataset.GroundTruth.Count)} {Bucket(dataset.Detections.Count)} {result.Coco?.Summary.Ap is not null} {result.Voc?.MeanApAll is not null}";
    }

    private static void RequireSameDetections(Dataset fast, Dataset general)
    {
        bool same = fast.Detections.Count == general.Detections.Count
            && fast.DetectionsOfUnknownCategories == general.DetectionsOfUnknownCategories
            && fast.Detections.Boxes.SequenceEqual(general.Detections.Boxes)
            && fast.Detections.Scores.SequenceEqual(general.Detections.Scores)
            && fast.Detections.InputPositions.SequenceEqual(general.Detections.InputPositions)
            && fast.Detections.Images.SequenceEqual(general.Detections.Images)
            && fast.Detections.Categories.SequenceEqual(general.Detections.Categories);
        if (!same) throw new InvalidOperationException("The byte scanner and the general reader read different detections.");
    }

    /// <summary>A count as its order of magnitude (0, 1, 2-3, 4-7, ...), so that signatures stay few.</summary>
    private static int Bucket(int count) => count == 0 ? 0 : 1 + (int)Math.Log2(count);

    private static MemoryStream Stream(string text) => new(Encoding.UTF8.GetBytes(text), writable: false);

    private static ImageSizeTable ReadSizes(string text)
    {
        using LineReader reader = LineReader.FromStream(Stream(text), "sizes.txt");
        return ImageSizeTable.Read(reader);
    }
}
