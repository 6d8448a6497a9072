using System.Text.Json.Nodes;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;

namespace DetectionEval.Eval.Tests;

/// <summary>
/// The ranks of a training loop each evaluate their own images into a partial result, which travels as
/// bytes; merging the partials equals one evaluator fed every rank's images in turn, and ranks that saw
/// the same image, or were set up differently, are refused with a message.
/// </summary>
public sealed class PartialResultTests
{
    public static TheoryData<string, int> CasesAndRanks()
    {
        var data = new TheoryData<string, int>();
        foreach (string c in ReferenceData.CocoJsonCases())
        {
            foreach (int ranks in new[] { 1, 2, 3, 7 }) data.Add(c, ranks);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CasesAndRanks))]
    public void Merged_rank_partials_give_the_report_of_one_evaluator_fed_every_image(string caseName, int ranks)
    {
        Dataset dataset = GoldenParityTests.LoadCase(caseName);
        if (dataset.Images.Any(i => i.Id.IsText)) return; // the library takes integer image ids
        ImageSample[] samples = [.. DetectionEvaluatorTests.ToSamples(dataset)];
        var options = new EvaluationOptions { ScoreThreshold = 0.5 };
        // Rank r sees every r-th image, as a distributed sampler deals them out.
        ImageSample[][] perRank = [.. Enumerable.Range(0, ranks).Select(r => samples.Where((_, i) => i % ranks == r).ToArray())];

        var single = new DetectionEvaluator(dataset.Categories, options);
        foreach (ImageSample[] rank in perRank) single.Update(rank);
        byte[][] sent = [.. perRank.Select(rank =>
        {
            var evaluator = new DetectionEvaluator(dataset.Categories, options);
            evaluator.Update(rank);
            return evaluator.ToPartial().ToBytes();
        })];
        EvaluationResult merged = DetectionEvaluator.Merge(sent.Select(b => PartialResult.FromBytes(b)), new MergeOptions(ScoreThreshold: 0.5));

        Assert.Equal(Json(single.Compute()), Json(merged));
        Assert.Equal(dataset.Images.Count, merged.Inputs.Images);
    }

    [Theory]
    [InlineData("protocols/coco_val2014_100_segm", new[] { IouType.Segm }, 3)]
    [InlineData("protocols/coco_val2014_100_segm", new[] { IouType.Bbox, IouType.Segm }, 7)]
    [InlineData("protocols/fce_keypoints", new[] { IouType.Keypoints }, 2)]
    public void Rank_partials_of_masks_and_keypoints_survive_their_bytes_and_merge_to_the_single_run(string caseName, IouType[] iouTypes, int ranks)
    {
        Dataset dataset = GoldenParityTests.LoadCase(caseName);
        // COCO orders ties by image, then input order within the image, which the ranks' own numbering keeps
        // (VOC's order by input position alone is the evaluator's fed rank by rank, which the other test checks).
        var options = new EvaluationOptions { IouTypes = iouTypes, Metrics = MetricSet.Coco };
        EvaluationResult single = EvaluationPipeline.Run(new EvaluationRequest(new DatasetInputs(dataset)) { Options = options }).Result;
        // Rank r reads the images of rank r modulo the ranks, from its own files.
        byte[][] sent = [.. Enumerable.Range(0, ranks).Select(r => EvaluationPipeline.PartialOfDataset(RankDataset(caseName, dataset, r, ranks), options).ToBytes())];
        PartialResult[] partials = [.. sent.Select(b => PartialResult.FromBytes(b))];
        Assert.Equal(sent, partials.Select(p => p.ToBytes()));
        Assert.Equal(iouTypes.Count(t => t != IouType.Bbox), partials[0].ShapeMatches.Count);

        EvaluationResult merged = DetectionEvaluator.Merge(partials);

        Assert.Equal(Json(single), Json(merged));
    }

    [Fact]
    public void Ranks_that_saw_the_same_image_are_refused_naming_it()
    {
        Dataset dataset = GoldenParityTests.LoadCase("cases/c02_basic");
        ImageSample[] samples = [.. DetectionEvaluatorTests.ToSamples(dataset)];
        PartialResult first = Partial(dataset.Categories, samples[..30]);
        PartialResult overlapping = Partial(dataset.Categories, samples[25..]);

        var error = Assert.Throws<PartialResultException>(() => DetectionEvaluator.Merge([first, overlapping]));
        Assert.Equal(
            $"partial 2 (a partial of 25 images): Expected images no other partial holds, but got image {samples[25..30].Min(s => s.ImageId)}, also in partial 1 (a partial of 30 images). Each image must be evaluated by one rank or shard only.",
            error.Message);
        Assert.Throws<PartialResultException>(() => DetectionEvaluator.Merge([first, first]));
    }

    [Fact]
    public void Ranks_with_other_settings_or_classes_are_refused()
    {
        Dataset dataset = GoldenParityTests.LoadCase("cases/c02_basic");
        ImageSample[] samples = [.. DetectionEvaluatorTests.ToSamples(dataset)];
        PartialResult first = Partial(dataset.Categories, samples[..10]);
        PartialResult otherIou = new DetectionEvaluator(dataset.Categories, new EvaluationOptions { Voc = new(0.75) }).ToPartial();
        PartialResult otherClasses = new DetectionEvaluator(dataset.Categories.Skip(1)).ToPartial();

        Assert.Equal(
            "partial 2 (a partial of 0 images): Expected the settings of partial 1 (a partial of 10 images) (metrics coco+voc, VOC IoU >= 0.5, maxDets 1,10,100, iou types bbox), but got metrics coco+voc, VOC IoU >= 0.75, maxDets 1,10,100, iou types bbox.",
            Assert.Throws<PartialResultException>(() => DetectionEvaluator.Merge([first, otherIou])).Message);
        Assert.StartsWith(
            "partial 2 (a partial of 0 images): Expected the ",
            Assert.Throws<PartialResultException>(() => DetectionEvaluator.Merge([first, otherClasses])).Message, StringComparison.Ordinal);
        Assert.Equal("Expected at least one partial result, but got none.", Assert.Throws<PartialResultException>(() => DetectionEvaluator.Merge([])).Message);
    }

    [Fact]
    public void Bytes_that_are_not_a_partial_are_refused_in_one_line()
    {
        var error = Assert.Throws<PartialResultException>(() => PartialResult.FromBytes([1, 2, 3], "rank 3"));
        Assert.StartsWith("rank 3: Expected a partial result written by 'deval evaluate --partial', but got an unreadable file (", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_partial_of_an_older_format_version_is_refused_naming_the_version_that_wrote_it()
    {
        Dataset dataset = GoldenParityTests.LoadCase("cases/c02_basic");
        byte[] current = Partial(dataset.Categories, [.. DetectionEvaluatorTests.ToSamples(dataset).Take(5)]).ToBytes();
        // The same partial with the header of a version-1 writer (before the inputs' content fingerprints).
        using var stream = new MemoryStream();
        stream.Write(current);
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
        {
            System.IO.Compression.ZipArchiveEntry entry = zip.GetEntry("header.json")!;
            string header;
            using (var reader = new StreamReader(entry.Open())) header = reader.ReadToEnd();
            entry.Delete();
            string old = header.Replace($"\"formatVersion\": {PartialResult.CurrentFormatVersion}", "\"formatVersion\": 1", StringComparison.Ordinal)
                .Replace($"\"toolVersion\": \"{PartialResult.FromBytes(current).ToolVersion}\"", "\"toolVersion\": \"0.9.0\"", StringComparison.Ordinal);
            using var writer = new StreamWriter(zip.CreateEntry("header.json").Open());
            writer.Write(old);
        }

        var error = Assert.Throws<PartialResultException>(() => PartialResult.FromBytes(stream.ToArray(), "old.part"));
        Assert.Equal($"old.part: Expected partial format version {PartialResult.CurrentFormatVersion}, but got version 1 (written by deval 0.9.0); merge with the version that wrote it.", error.Message);
    }

    [Fact]
    public void A_partial_survives_its_bytes_unchanged()
    {
        Dataset dataset = GoldenParityTests.LoadCase("cases/c06_ties_duplicates");
        PartialResult partial = Partial(dataset.Categories, [.. DetectionEvaluatorTests.ToSamples(dataset)]);
        byte[] bytes = partial.ToBytes();
        PartialResult back = PartialResult.FromBytes(bytes);
        Assert.Equal(bytes, back.ToBytes());
        Assert.Equal((80, 779L, partial.GroundTruthFingerprint), (back.ImageCount, back.Detections, back.GroundTruthFingerprint));
    }

    /// <summary>The images of <paramref name="caseName"/> whose rank is <paramref name="rank"/> modulo <paramref name="ranks"/>, read from files of their own.</summary>
    private static Dataset RankDataset(string caseName, Dataset whole, int rank, int ranks)
    {
        HashSet<long> mine = [.. Enumerable.Range(0, whole.Images.Count).Where(i => whole.ImageRank(i) % ranks == rank).Select(i => whole.Images[i].Id.Number)];
        bool Mine(JsonNode? item, string key) => mine.Contains(item![key]!.GetValue<long>());
        JsonNode gt = JsonNode.Parse(File.ReadAllText(ReferenceData.Case(Path.Combine(caseName, "gt.json"))))!;
        gt["images"] = new JsonArray([.. gt["images"]!.AsArray().Where(i => Mine(i, "id")).Select(i => i!.DeepClone())]);
        gt["annotations"] = new JsonArray([.. gt["annotations"]!.AsArray().Where(a => Mine(a, "image_id")).Select(a => a!.DeepClone())]);
        var dt = new JsonArray([.. JsonNode.Parse(File.ReadAllText(ReferenceData.Case(Path.Combine(caseName, "dt.json"))))!.AsArray().Where(d => Mine(d, "image_id")).Select(d => d!.DeepClone())]);
        string folder = Directory.CreateTempSubdirectory("deval-rank-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "gt.json"), gt.ToJsonString());
            File.WriteAllText(Path.Combine(folder, "dt.json"), dt.ToJsonString());
            var builder = new DatasetBuilder();
            CocoJson.ReadGroundTruth(Path.Combine(folder, "gt.json"), builder);
            CocoJson.ReadDetections(Path.Combine(folder, "dt.json"), builder);
            return builder.Build();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("cases/c03_crowd", 3)]
    [InlineData("cases/c06_ties_duplicates", 7)]
    public void Shards_that_keep_the_analysis_travel_as_bytes_and_merge_to_the_single_runs_analysis(string caseName, int shards)
    {
        var request = new EvaluationRequest(new FileInputs(
            new AnnotationInput(ReferenceData.Case(Path.Combine(caseName, "gt.json"))), [new AnnotationInput(ReferenceData.Case(Path.Combine(caseName, "dt.json")))], new LoadOptions()))
        {
            Analysis = new AnalysisRequest(WorstImages: 5),
        };
        EvaluationResult single = EvaluationPipeline.Run(request).Result;
        PartialResult[] partials = [.. Enumerable.Range(0, shards).Select(i => EvaluationPipeline.RunShard(request, new ImageShard(i, shards)))];
        byte[][] sent = [.. partials.Select(p => p.ToBytes())];
        PartialResult[] received = [.. sent.Select(b => PartialResult.FromBytes(b))];

        Assert.All(received, p => Assert.True(p.HasAnalysis));
        Assert.Equal(sent, received.Select(p => p.ToBytes()));
        EvaluationResult merged = EvaluationPipeline.Merge(received.Reverse(), new MergeOptions { Analysis = new AnalysisRequest(WorstImages: 5) });
        Assert.NotNull(single.Analysis);
        Assert.Equal(5, single.Analysis.WorstImages.Count);
        Assert.Equal(Json(single), Json(merged));
        Assert.Null(EvaluationPipeline.Merge(received).Analysis);
    }

    [Fact]
    public void The_analysis_of_a_merge_is_refused_for_partials_without_its_records_and_for_other_tide_settings()
    {
        Dataset dataset = GoldenParityTests.LoadCase("cases/c02_basic");
        PartialResult rank = Partial(dataset.Categories, [.. DetectionEvaluatorTests.ToSamples(dataset)]);
        Assert.Equal(
            "partial 1 (a partial of 50 images): Expected a partial that keeps the error analysis's records (deval evaluate --shard I/N --partial FILE --analysis), but got one without them.",
            Assert.Throws<PartialResultException>(() => EvaluationPipeline.Merge([rank], new MergeOptions { Analysis = new AnalysisRequest() })).Message);

        var request = new EvaluationRequest(new FileInputs(
            new AnnotationInput(ReferenceData.Case("cases/c02_basic/gt.json")), [new AnnotationInput(ReferenceData.Case("cases/c02_basic/dt.json"))], new LoadOptions()))
        {
            Analysis = new AnalysisRequest(),
        };
        PartialResult shard = EvaluationPipeline.RunShard(request, new ImageShard(0, 1));
        var otherTide = new AnalysisRequest { Tide = new Matching.Tide.TideSettings(ForegroundIou: 0.7) };
        Assert.Equal(
            "partial 1 (shard 0/1): Expected TIDE's settings (foreground IoU 0.7, background IoU 0.1, 100 detections per image), but got (foreground IoU 0.5, background IoU 0.1, 100 detections per image).",
            Assert.Throws<PartialResultException>(() => EvaluationPipeline.Merge([shard], new MergeOptions { Analysis = otherTide })).Message);
        Assert.StartsWith(
            "Expected the error analysis of boxes (a partial keeps what it reads of box matches), but got the analysis of masks",
            Assert.Throws<PartialResultException>(() => EvaluationPipeline.Merge([shard], new MergeOptions { Analysis = new AnalysisRequest { Overlap = IouType.Segm } })).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_partial_whose_analysis_tables_are_missing_or_do_not_fit_is_refused_in_one_line()
    {
        string sample = Path.Combine(ReferenceData.RepositoryRoot, "samples", "coco-val2014-100");
        var request = new EvaluationRequest(new FileInputs(
            new AnnotationInput(Path.Combine(sample, "instances_val2014_100.json")), [new AnnotationInput(Path.Combine(sample, "fakebbox100_results.json"))], new LoadOptions()))
        {
            Analysis = new AnalysisRequest(),
        };
        byte[] bytes = EvaluationPipeline.RunShard(request, new ImageShard(0, 1)).ToBytes();
        Assert.NotEmpty(PartialResult.FromBytes(bytes).Analysis!.Hits);
        byte[] Changed(Action<System.IO.Compression.ZipArchive> change)
        {
            using var stream = new MemoryStream();
            stream.Write(bytes);
            using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true)) change(zip);
            return stream.ToArray();
        }

        byte[] missing = Changed(zip => zip.GetEntry("tide_errors.arrow")!.Delete());
        Assert.Equal(
            "s.part: Expected a partial result (a zip holding tide_errors.arrow), but got none.",
            Assert.Throws<PartialResultException>(() => PartialResult.FromBytes(missing, "s.part")).Message);
        // The hits of no record: the VOC table counts hits the hits table no longer has.
        byte[] noHits = Changed(zip =>
        {
            zip.GetEntry("analysis_hits.arrow")!.Delete();
            using Stream replaced = zip.CreateEntry("analysis_hits.arrow").Open();
            var schema = new Apache.Arrow.Schema([new("ground_truth", Apache.Arrow.Types.Int32Type.Default, false), new("iou", Apache.Arrow.Types.DoubleType.Default, false)], null);
            using var writer = new Apache.Arrow.Ipc.ArrowStreamWriter(replaced, schema, leaveOpen: true);
            writer.WriteRecordBatch(new Apache.Arrow.RecordBatch(schema, [new Apache.Arrow.Int32Array.Builder().Build(), new Apache.Arrow.DoubleArray.Builder().Build()], 0));
            writer.WriteEnd();
        });
        Assert.Equal(
            "s.part: analysis_hits.arrow: Expected as many hits as analysis_voc.arrow counts, but got values outside them.",
            Assert.Throws<PartialResultException>(() => PartialResult.FromBytes(noHits, "s.part")).Message);
        byte[] empty = Changed(zip =>
        {
            zip.GetEntry("tide_points.arrow")!.Delete();
            zip.CreateEntry("tide_points.arrow");
        });
        Assert.Equal(
            "s.part: Expected a partial result written by 'deval evaluate --partial', but got an unreadable file (tide_points.arrow: expected an Arrow IPC stream, but got no schema).",
            Assert.Throws<PartialResultException>(() => PartialResult.FromBytes(empty, "s.part")).Message);
    }

    private static PartialResult Partial(IEnumerable<Category> categories, ImageSample[] samples)
    {
        var evaluator = new DetectionEvaluator(categories);
        evaluator.Update(samples);
        return evaluator.ToPartial();
    }

    private static byte[] Json(EvaluationResult result)
    {
        using var stream = new MemoryStream();
        JsonReport.Write(stream, new ReportHeader("deval", "test", "gt", "dt"), result);
        return stream.ToArray();
    }
}
