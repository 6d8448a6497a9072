using System.Diagnostics;
using System.Globalization;
using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Matches;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching;
using DetectionEval.Matching.Coco;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Pipeline;

// The one way into an evaluation.
//
// Flow: load (files into a DatasetBuilder; in a low-memory run the detections go to a spill on disk) ->
// group (the Dataset: flat rows by (image, class) unit) -> match (every unit on its own, per metric family,
// into match records) -> accumulate (per class, the records in the reference's order, into curves, tables
// and APs) -> operating points -> the analysis when asked for, from the records. The run chooses in memory
// or image shard by image shard (ShardedEvaluation) itself, from the request and the predictions' size;
// both give the same numbers. Stage timings, progress and messages go to an EvaluationObserver; the
// caller decides what to print and write.

/// <summary>Runs evaluations: the single entry of the library and of every verb that evaluates.</summary>
public static class EvaluationPipeline
{
    /// <summary>Evaluates the request.</summary>
    /// <param name="request">Inputs, options and what to keep.</param>
    /// <param name="observer">Told each stage's progress and timing, and what the user should know; null for none.</param>
    /// <param name="cancellation">Stops the run soon after it is cancelled, with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="AnnotationFormatException">An input file is missing or malformed.</exception>
    /// <exception cref="SpillFailedException">A low-memory run could not write its spill.</exception>
    /// <exception cref="ArgumentException">The request cannot be carried out (<see cref="EvaluationRequest.Validate"/>).</exception>
    public static EvaluationRun Run(EvaluationRequest request, EvaluationObserver? observer = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        observer ??= EvaluationObserver.None;
        EvaluationOptions options = request.Options with { Cancellation = cancellation, Progress = observer.Progress };
        switch (request.Inputs)
        {
            case DatasetInputs given:
                return RunInMemory(request, given.Dataset, options, null, observer, new InputNames("ground truth", "predictions"));
            case FileInputs files:
                bool lowMemory = request.UsesLowMemory;
                LoadOptions load = RunLoadOptions(files.Load, observer, cancellation, lowMemory ? (request.Spill ?? new SpillSettings()) with { KeepShapes = !options.IouTypes.All(t => t == IouType.Bbox) } : null);
                LoadedAnnotations loaded = Timed(observer, EvaluationStage.Load, () => LoadFiles(files with { Load = load }, observer));
                using (DetectionSpill? spill = loaded.Builder.Spill)
                {
                    cancellation.ThrowIfCancellationRequested();
                    Dataset dataset = Timed(observer, EvaluationStage.Group, loaded.Builder.Build);
                    var read = new InputsRead(loaded.GroundTruth, loaded.AllPredictions);
                    var names = new InputNames(files.GroundTruth.Path, files.PredictionsLabel);
                    return lowMemory
                        ? RunSharded(loaded.Builder, dataset, options, read, observer, names)
                        : RunInMemory(request, dataset, options, read, observer, names);
                }
            default:
                throw new ArgumentException("Unknown kind of inputs.", nameof(request));
        }
    }

    /// <summary>
    /// Matches one image shard of a file run (<see cref="ImageShard"/>: the images whose rank is I modulo N)
    /// and keeps its records as a partial result, for <see cref="Merge(IEnumerable{PartialResult}, MergeOptions?)"/>. Every worker reads the whole
    /// predictions and numbers them as a run over every detection would. A box run keeps its shard's
    /// detections only (spilled, as a low-memory run); a run with masks or keypoints reads them all into memory
    /// (as a single run does) and matches its shard's images.
    /// </summary>
    /// <param name="request">
    /// File inputs and options; nothing kept beyond the numbers. With <see cref="EvaluationRequest.Analysis"/>
    /// (boxes only), the partial also keeps what the error analysis reads of its images (<see cref="PartialResult.HasAnalysis"/>).
    /// </param>
    /// <param name="shard">The shard to match.</param>
    /// <param name="observer">Told each stage's progress and timing, and what the user should know; null for none.</param>
    /// <param name="cancellation">Stops the run soon after it is cancelled.</param>
    /// <exception cref="AnnotationFormatException">An input file is missing or malformed.</exception>
    /// <exception cref="ArgumentException">The request cannot be carried out by one shard.</exception>
    public static PartialResult RunShard(EvaluationRequest request, ImageShard shard, EvaluationObserver? observer = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        shard.Validate();
        // The analysis is checked as a run's would be; the shard collects its records image group by image group, so
        // the low-memory checks leave it out. The spill holds boxes only: masks and keypoints are matched from memory.
        AnalysisRequest? analysis = request.Analysis;
        (request with { Memory = MemoryMode.InMemory }).Validate();
        bool spilled = request.Options.IouTypes is [IouType.Bbox];
        request = request with { Memory = spilled ? MemoryMode.LowMemory : MemoryMode.InMemory, Analysis = null };
        request.Validate();
        if (analysis is { Overlap: not IouType.Bbox }) throw new ArgumentException("A shard keeps box matches: its error analysis measures boxes.", nameof(request));
        PartialAnalysisCollector? collector = analysis is null ? null : new PartialAnalysisCollector(analysis);
        if (request.Inputs is not FileInputs files) throw new ArgumentException("A shard reads its inputs from files.", nameof(request));
        observer ??= EvaluationObserver.None;
        EvaluationOptions options = request.Options with { Cancellation = cancellation, Progress = observer.Progress };
        LoadOptions load = RunLoadOptions(files.Load, observer, cancellation, spilled ? (request.Spill ?? new SpillSettings()) with { Keep = shard } : null);
        // The inputs' content fingerprints, hashed beside the load and the match (the files are read anyway):
        // the merge compares predictions by content, so machines may mount them at different paths.
        using var stopDigests = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        CancellationToken digestsStop = stopDigests.Token;
        Task<InputDigest[]> digests = Task.Run(() => files.Predictions.Prepend(files.GroundTruth).Select(input => DigestOf(input, digestsStop)).ToArray(), digestsStop);
        try
        {
            LoadedAnnotations loaded = Timed(observer, EvaluationStage.Load, () => LoadFiles(files with { Load = load }, observer));
            using DetectionSpill? spill = loaded.Builder.Spill;
            cancellation.ThrowIfCancellationRequested();
            Dataset dataset = Timed(observer, EvaluationStage.Group, loaded.Builder.Build);
            bool[] held = loaded.Builder.ImagesOfShard(shard);
            PartialMatches matches = spilled
                ? Timed(observer, EvaluationStage.MatchShards, () => SpilledShardMatches(loaded.Builder, dataset, options, collector))
                : MatchesOfImages(dataset, held, options, observer, new InputNames(files.GroundTruth.Path, files.PredictionsLabel), collector);
            InputDigest[] inputDigests = digests.GetAwaiter().GetResult();
            return PartialOf(dataset, image => held[image], matches, options, new ShardSource(shard, files, inputDigests, collector));
        }
        finally
        {
            // A failed or cancelled run stops the hashing rather than leaving it to read on.
            if (!digests.IsCompleted) stopDigests.Cancel();
        }
    }

    /// <summary>A partial's matches before they are renumbered: the box records, each mask or keypoint type's, and the detections matched.</summary>
    private sealed record PartialMatches(ClassMatchStore Boxes, IReadOnlyList<(IouType IouType, ClassMatchStore Store)> Shapes, long Detections, int DetectionsOverMaxDets);

    /// <summary>The box matches of the shard a builder spilled (<see cref="ShardedEvaluation.Match"/>); <paramref name="analysis"/>, when not null, collects what the error analysis reads.</summary>
    private static PartialMatches SpilledShardMatches(DatasetBuilder builder, Dataset groundTruth, EvaluationOptions options, PartialAnalysisCollector? analysis)
    {
        ShardedMatches matches = ShardedEvaluation.Match(builder, groundTruth, options, keepUnits: true, analysis: analysis);
        matches.Accumulated = true;
        return new PartialMatches(matches.Store, [], matches.Detections, matches.DetectionsOverMaxDets);
    }

    /// <summary>
    /// The matches of the images of <paramref name="dataset"/> that <paramref name="held"/> accepts, under every iou type asked for;
    /// <paramref name="analysis"/>, when not null, collects what the error analysis reads of them.
    /// </summary>
    private static PartialMatches MatchesOfImages(
        Dataset dataset, bool[] held, EvaluationOptions options, EvaluationObserver observer, InputNames names, PartialAnalysisCollector? analysis = null)
    {
        // The checks of the single run, on every image, so that every shard refuses what it refuses.
        foreach (IouType iouType in options.IouTypes) ShapeChecks.Require(dataset, iouType, options, names.GroundTruth, names.Predictions);
        Dataset images = held.All(h => h) ? dataset : DatasetBuilder.OfImages(dataset, held);
        // The held images keep their order: the i-th of them is the i-th held image of the dataset.
        int[] indexOf = [.. Enumerable.Range(0, held.Length).Where(i => held[i])];
        return Timed(observer, EvaluationStage.MatchShards, () => MatchesOf(images, options, analysis, image => indexOf[image]));
    }

    /// <summary>
    /// Every unit of <paramref name="dataset"/> matched under each iou type of <paramref name="options"/>, the records stored by class;
    /// <paramref name="analysis"/>, when not null, collects what the error analysis reads (images named by <paramref name="indexOf"/>).
    /// </summary>
    private static PartialMatches MatchesOf(Dataset dataset, EvaluationOptions options, PartialAnalysisCollector? analysis, Func<int, int> indexOf)
    {
        bool coco = options.EvaluatesBoxes && options.Metrics.HasFlag(MetricSet.Coco), voc = options.EvaluatesBoxes && options.Metrics.HasFlag(MetricSet.Voc);
        int classes = dataset.Categories.Count;
        var boxes = new ClassMatchStore(classes, new CocoMatcher(options.MaxDetections[^1]).AreaRangeCount, coco, voc, keepUnits: true);
        VocMatches? vocMatches = voc ? VocMatchStage.Match(dataset, options, analysis is null ? VocOverlapsKept.None : PartialAnalysisCollector.Overlaps) : null;
        ShardedEvaluation.StoreShard(dataset, coco ? CocoMatchStage.Match(dataset, options) : null, vocMatches, boxes, _ => true);
        analysis?.Add(dataset, indexOf, vocMatches!, options.Parallelism, _ => true);
        var shapes = new List<(IouType, ClassMatchStore)>();
        foreach (IouType iouType in options.IouTypes.Where(t => t != IouType.Bbox))
        {
            CocoMatches matches = CocoShapeMatchStage.Match(dataset, options, iouType);
            var store = new ClassMatchStore(classes, matches.AreaRanges, coco: true, voc: false, keepUnits: true);
            ShardedEvaluation.StoreShard(dataset, matches, null, store, _ => true);
            shapes.Add((iouType, store));
        }
        // As the single run's summary counts them (DatasetSummary.Of): with COCO, whatever the iou types.
        int overMaxDets = options.Metrics.HasFlag(MetricSet.Coco) ? DatasetSummary.DetectionsOverCap(dataset, options.MaxDetections[^1]) : 0;
        return new PartialMatches(boxes, shapes, dataset.Detections.Count, overMaxDets);
    }

    /// <summary>
    /// Where a shard of a file run came from: the shard, the inputs and their digests (the ground truth's first);
    /// and what it collected for the error analysis, null for none.
    /// </summary>
    private sealed record ShardSource(ImageShard Shard, FileInputs Files, InputDigest[] Digests, PartialAnalysisCollector? Analysis);

    /// <summary>
    /// The partial of the images <paramref name="holds"/> accepts of <paramref name="dataset"/>, from their
    /// matches (released on the way): a shard of a file run, or without <paramref name="source"/> a rank.
    /// </summary>
    private static PartialResult PartialOf(Dataset dataset, Func<int, bool> holds, PartialMatches matches, EvaluationOptions options, ShardSource? source)
    {
        (RecordId[] images, int[] indices, PartialGroundTruth gt, int[] localOfRank) = PartialResult.CollectImages(dataset, holds);
        (int[] classes, StoredMatch[] records) = PartialResult.CollectRecords(matches.Boxes, localOfRank);
        PartialShapeMatches[] shapes = [.. matches.Shapes.Select(s =>
        {
            (int[] shapeClasses, StoredMatch[] shapeRecords) = PartialResult.CollectRecords(s.Store, localOfRank);
            return new PartialShapeMatches(s.IouType, s.Store.AreaRanges, s.Store.Countable, PartialResult.CollectUnits(s.Store, localOfRank), shapeClasses, shapeRecords);
        })];
        var counts = new PartialCounts(
            matches.Boxes.AreaRanges, matches.Boxes.Countable, matches.Boxes.Positives, PartialResult.CollectUnits(matches.Boxes, localOfRank), matches.Detections,
            dataset.DetectionsOfUnknownCategories, matches.DetectionsOverMaxDets, SharedPredictions: source is not null);
        var settings = PartialSettings.Of(options);
        string fingerprint = GroundTruthFingerprint.Of(dataset);
        if (source is not { Files: var files }) return new PartialResult(settings, dataset.Categories, images, gt, counts, classes, records, shapes) { GroundTruthFingerprint = fingerprint, ImageIndices = indices };
        return new PartialResult(settings, dataset.Categories, images, gt, counts, classes, records, shapes)
        {
            GroundTruthFingerprint = fingerprint,
            ImageIndices = indices,
            Shard = source.Shard,
            GroundTruthPath = files.GroundTruth.Path,
            PredictionsLabel = files.PredictionsLabel,
            PredictionPaths = [.. files.Predictions.Select(p => p.Path)],
            GroundTruthDigest = source.Digests[0],
            PredictionDigests = source.Digests[1..],
            Analysis = source.Analysis?.Build(dataset, indices),
        };
    }

    /// <summary>The input's digest; one that cannot be read (it vanished since the load) is an input error naming it.</summary>
    private static InputDigest DigestOf(AnnotationInput input, CancellationToken cancellation)
    {
        try
        {
            return InputDigest.Of(input.Path, cancellation);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InputFiles.CannotOpen(input.Path, e);
        }
    }

    /// <summary>A rank's partial result: every image of <paramref name="dataset"/> matched in memory under each iou type, the records kept.</summary>
    internal static PartialResult PartialOfDataset(Dataset dataset, EvaluationOptions options)
    {
        options.Validate();
        PartialMatches matches = MatchesOfImages(dataset, [.. Enumerable.Repeat(true, dataset.Images.Count)], options, EvaluationObserver.None, new InputNames("ground truth", "predictions"));
        return PartialOf(dataset, _ => true, matches, options, source: null);
    }

    /// <summary>
    /// Merges partial results (the shards of a file run, or the ranks of a training loop) into the result of
    /// one run over all their images: the same numbers bit for bit, without curves (as a low-memory run).
    /// Ranks' detections are numbered in the order the partials are given, as one evaluator fed their images
    /// in that order would number them.
    /// </summary>
    /// <exception cref="PartialResultException">
    /// The partials cannot be merged: other settings, categories, ground truth or predictions; a shard missing
    /// or given twice; an image in two partials. The message says which, in one line.
    /// </exception>
    public static EvaluationResult Merge(IEnumerable<PartialResult> partials, MergeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(partials);
        return PartialMerge.Merge([.. partials], options ?? new MergeOptions()).Result;
    }

    /// <summary>
    /// Merges the partial result files at <paramref name="paths"/> (<c>deval merge</c>): the headers, images
    /// and ground truth of all are read first, then each file's records in turn into the accumulation, so the
    /// merge holds one file's records at a time. Messages name the files.
    /// </summary>
    /// <exception cref="PartialResultException">A file is missing or unreadable, or the partials cannot be merged.</exception>
    public static EvaluationResult MergeFiles(IReadOnlyList<string> paths, MergeOptions? options = null, CancellationToken cancellation = default) =>
        MergeFilesIntoRun(paths, options, cancellation).Result;

    /// <summary>
    /// <see cref="MergeFiles"/>, as a run: the result, the ground truth the merge rebuilt from the partials
    /// (images and boxes; no detections, as after a low-memory run) and the options it accumulated with.
    /// </summary>
    /// <exception cref="PartialResultException">A file is missing or unreadable, or the partials cannot be merged.</exception>
    public static EvaluationRun MergeFilesIntoRun(IReadOnlyList<string> paths, MergeOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var partials = new List<PartialResult>(paths.Count);
        foreach (string path in paths)
        {
            cancellation.ThrowIfCancellationRequested();
            partials.Add(ReadPartialFile(path, stream => PartialFile.Read(stream, path, withRecords: false)));
        }
        return PartialMerge.Merge(partials, options ?? new MergeOptions(), paths, p =>
        {
            cancellation.ThrowIfCancellationRequested();
            return ReadPartialFile(paths[p], stream => PartialFile.ReadRecords(stream, paths[p], partials[p]));
        });
    }

    private static T ReadPartialFile<T>(string path, Func<Stream, T> read)
    {
        if (Directory.Exists(path)) throw new PartialResultException($"{path}: Expected a partial result file, but got a folder.");
        try
        {
            using FileStream stream = File.OpenRead(path);
            return read(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new PartialResultException($"{path}: Expected a partial result file, but got no such file.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PartialResultException($"{path}: Expected a readable partial result file, but got an error ({e.Message}).");
        }
    }

    /// <summary>
    /// Reads files into a dataset without evaluating it (the load and group stages of <see cref="Run"/>),
    /// for the verbs that rewrite annotations; predictions may be empty.
    /// </summary>
    /// <exception cref="AnnotationFormatException">An input file is missing or malformed.</exception>
    public static LoadedDataset Load(FileInputs inputs, EvaluationObserver? observer = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        observer ??= EvaluationObserver.None;
        LoadOptions load = RunLoadOptions(inputs.Load, observer, cancellation, spill: null);
        LoadedAnnotations loaded = Timed(observer, EvaluationStage.Load, () => LoadFiles(inputs with { Load = load }, observer));
        cancellation.ThrowIfCancellationRequested();
        Dataset dataset = Timed(observer, EvaluationStage.Group, loaded.Builder.Build);
        return new LoadedDataset(dataset, new InputsRead(loaded.GroundTruth, loaded.AllPredictions), load.ImageSizes);
    }

    /// <summary>Reads the files, telling the observer how each is read and what the load stage noticed.</summary>
    private static LoadedAnnotations LoadFiles(FileInputs files, EvaluationObserver observer)
    {
        LoadedAnnotations loaded = AnnotationLoader.LoadParts(files.GroundTruth, files.Predictions, files.Load, observer.InputResolved);
        foreach (string notice in loaded.Notices) observer.Notice(notice);
        if (files.Predictions.Count > 0) LoadChecks.RequireGroundTruthImages(files.GroundTruth.Path, loaded.Builder);
        LoadChecks.WarnAboutEmptyPredictions(files.Predictions, loaded, observer);
        LoadChecks.WarnAboutUnreadOptions(files.Load, loaded, observer);
        if (!files.ImageSizesUsedLater && LoadChecks.UnusedImageSizes(files.Load.ImageSizes, new InputsRead(loaded.GroundTruth, loaded.AllPredictions)) is { } unused)
        {
            observer.Warning(unused);
        }
        if (files.Predictions.Count > 0) WarnAboutUnknownCategories(loaded.Builder, files.PredictionsLabel, observer);
        return loaded;
    }

    /// <summary>The loader options of a run: cancelled with it, its progress told to the observer, image sizes watched for use.</summary>
    private static LoadOptions RunLoadOptions(LoadOptions given, EvaluationObserver observer, CancellationToken cancellation, SpillSettings? spill) => given with
    {
        Cancellation = cancellation,
        Progress = observer.Progress,
        Spill = spill,
        ImageSizes = given.ImageSizes is null or ObservedImageSizes ? given.ImageSizes : new ObservedImageSizes(given.ImageSizes),
    };

    /// <summary>Rule: predictions of categories the ground truth does not list are dropped, counted and reported.</summary>
    private static void WarnAboutUnknownCategories(DatasetBuilder builder, string predictions, EvaluationObserver observer)
    {
        if (builder.UnknownClassNames.Count > 0)
        {
            int count = builder.UnknownClassNames.Values.Sum();
            string names = string.Join(", ", builder.UnknownClassNames.Take(10).Select(p => $"{p.Key} {Counting.Number(p.Value)}"));
            if (builder.UnknownClassNames.Count > 10) names += ", ...";
            observer.Warning($"{predictions}: {Counting.Of(count, "prediction")} of classes not in the ground truth {(count == 1 ? "was" : "were")} ignored ({names}).");
        }
        if (builder.UnknownCategoryIds.Count == 0) return;
        string ids = string.Join(", ", builder.UnknownCategoryIds.Take(10).Select(id => id.ToString(CultureInfo.InvariantCulture)));
        if (builder.UnknownCategoryIds.Count > 10) ids += ", ...";
        int byId = builder.DetectionsOfUnknownCategories - builder.UnknownClassNames.Values.Sum();
        observer.Warning($"{predictions}: {Counting.Of(byId, "detection")} of category ids not in the ground truth {(byId == 1 ? "was" : "were")} ignored ({ids}).");
    }

    private static EvaluationRun RunInMemory(EvaluationRequest request, Dataset dataset, EvaluationOptions options, InputsRead? read, EvaluationObserver observer, InputNames names)
    {
        foreach (IouType iouType in options.IouTypes) ShapeChecks.Require(dataset, iouType, options, names.GroundTruth, names.Predictions);
        IOverlapEngine? chosen = options.Engine is null ? request.ChooseEngine?.Invoke(dataset, options) : null;
        try
        {
            if (chosen is not null) options = options with { Engine = chosen };
            bool boxes = options.EvaluatesBoxes;
            bool coco = boxes && options.Metrics.HasFlag(MetricSet.Coco), voc = boxes && options.Metrics.HasFlag(MetricSet.Voc);
            int units = dataset.Units.Length, classes = dataset.Categories.Count;
            CocoMatches? cocoMatches = coco ? Timed(observer, EvaluationStage.MatchCoco, () => CocoMatchStage.Match(dataset, options)) : null;
            VocOverlapsKept overlaps = request.Analysis is not null ? VocOverlapsKept.CrossClassHits
                : request.Keep.HasFlag(RunProducts.Matches) ? VocOverlapsKept.BestGroundTruth : VocOverlapsKept.None;
            // A mask or keypoint run that keeps its matches (the overlays) reviews images by their box matches,
            // which it matches without reporting them.
            bool reviewBoxes = !boxes && request.Keep.HasFlag(RunProducts.Matches) && options.Metrics.HasFlag(MetricSet.Voc);
            VocMatches? vocMatches = voc || reviewBoxes ? Timed(observer, EvaluationStage.MatchVoc, () => VocMatchStage.Match(dataset, options, overlaps)) : null;
            TideMatches? tideMatches = request.Analysis is { } asked
                ? Timed(observer, EvaluationStage.MatchTide, () => TideMatchStage.Match(dataset, asked.Tide, options.Parallelism, asked.Overlap))
                : null;
            CocoResult? cocoResult = cocoMatches is null ? null : Timed(observer, EvaluationStage.AccumulateCoco, () => CocoAccumulation.Accumulate(cocoMatches, options));
            VocResult? vocResult = vocMatches is null || !voc ? null : Timed(observer, EvaluationStage.AccumulateVoc, () => VocAccumulation.Accumulate(vocMatches, options));
            EvaluationResult result = new(DatasetSummary.Of(dataset, options), dataset.Categories, cocoResult, vocResult) { IouTypes = options.IouTypes };
            CocoMatches? segmMatches = null, keypointMatches = null;
            // The open records name the ground truth each mask or keypoint detection matched.
            bool keepMatches = request.Keep.HasFlag(RunProducts.Matches);
            if (options.IouTypes.Contains(IouType.Segm))
            {
                CocoMatches segm = segmMatches = Timed(observer, EvaluationStage.MatchCocoSegm, () => CocoShapeMatchStage.Match(dataset, options, IouType.Segm, keepMatches));
                result = result with { CocoSegm = Timed(observer, EvaluationStage.AccumulateCocoSegm, () => CocoAccumulation.Accumulate(segm, options)) };
            }
            if (options.IouTypes.Contains(IouType.Keypoints))
            {
                CocoMatches keypoints = keypointMatches = Timed(observer, EvaluationStage.MatchCocoKeypoints, () => CocoShapeMatchStage.Match(dataset, options, IouType.Keypoints, keepMatches));
                result = result with { CocoKeypoints = Timed(observer, EvaluationStage.AccumulateCocoKeypoints, () => CocoAccumulation.AccumulateKeypoints(keypoints, options)) };
            }
            if (vocResult is not null)
            {
                result = result with
                {
                    OperatingPoints = Timed(observer, EvaluationStage.OperatingPoints, () => OperatingPointAnalysis.Compute(vocResult, options.ScoreThreshold, options.ConfidenceCurves, options.Parallelism)),
                };
            }
            if (request.Analysis is { Overlap: IouType.Segm } maskAnalysis)
            {
                // The analysis of masks: VOC's rules on mask IoU, at the best-F1 confidence of those matches.
                VocMatches maskMatches = Timed(observer, EvaluationStage.MatchVoc, () => VocMatchStage.MatchOn(dataset, options, VocOverlapsKept.CrossClassHits, IouType.Segm));
                EvaluationResult masks = result with
                {
                    OperatingPoints = OperatingPointAnalysis.Compute(VocAccumulation.Accumulate(maskMatches, options), options.ScoreThreshold, options.ConfidenceCurves, options.Parallelism),
                };
                result = result with { Analysis = Timed(observer, EvaluationStage.Analysis, () => Analyze(maskMatches, tideMatches!, masks, maskAnalysis, options) with { Overlap = IouType.Segm }) };
            }
            else if (request.Analysis is { } analysis)
            {
                EvaluationResult evaluated = result;
                result = result with { Analysis = Timed(observer, EvaluationStage.Analysis, () => Analyze(vocMatches!, tideMatches!, evaluated, analysis, options)) };
            }
            MatchRecords? kept = request.Keep.HasFlag(RunProducts.Matches)
                ? new MatchRecords(cocoMatches, vocMatches) { CocoSegm = segmMatches, CocoKeypoints = keypointMatches }
                : null;
            double? reviewConfidence = result.OperatingPoints?.BestF1?.Confidence;
            if (reviewBoxes && vocMatches is not null)
            {
                reviewConfidence = OperatingPointAnalysis.Compute(VocAccumulation.Accumulate(vocMatches, options), options.ScoreThreshold, confidenceCurves: false, options.Parallelism).BestF1?.Confidence;
            }
            return new EvaluationRun(result, dataset, kept, LowMemory: false, read, options with { Engine = null, Cancellation = default, Progress = null })
            {
                ReviewConfidence = reviewConfidence,
            };
        }
        finally
        {
            chosen?.Dispose();
        }
    }

    /// <summary>How errors name the run's inputs.</summary>
    private sealed record InputNames(string GroundTruth, string Predictions);

    /// <summary>The low-memory run: the spilled predictions matched shard by shard, then accumulated class by class.</summary>
    private static EvaluationRun RunSharded(DatasetBuilder builder, Dataset groundTruth, EvaluationOptions options, InputsRead read, EvaluationObserver observer, InputNames names)
    {
        ShardedMatches matches = Timed(observer, EvaluationStage.MatchShards, () => ShardedEvaluation.Match(builder, groundTruth, options, names.GroundTruth, names.Predictions));
        EvaluationResult result = Timed(observer, EvaluationStage.AccumulateClasses, () => ShardedEvaluation.Accumulate(matches, options));
        return new EvaluationRun(result, groundTruth, null, LowMemory: true, read, options with { Engine = null, Cancellation = default, Progress = null });
    }

    /// <summary>
    /// The error analysis at the options' score threshold, else at the pooled best-F1 confidence (where the
    /// overlays are drawn too), else (no detections) at every confidence.
    /// </summary>
    internal static ErrorAnalysis Analyze(VocMatches voc, TideMatches tide, EvaluationResult result, AnalysisRequest analysis, EvaluationOptions options)
    {
        double threshold = options.ScoreThreshold ?? result.OperatingPoints?.BestF1?.Confidence ?? double.NegativeInfinity;
        return ErrorAnalyzer.Analyze(voc, tide, new AnalysisOptions(threshold, analysis.WorstImages, options.Threads));
    }

    private static T Timed<T>(EvaluationObserver observer, EvaluationStage stage, Func<T> work)
    {
        observer.StageStarted(stage);
        long start = Stopwatch.GetTimestamp();
        T result = work();
        observer.StageFinished(stage, Stopwatch.GetElapsedTime(start));
        return result;
    }
}
