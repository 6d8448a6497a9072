using DetectionEval.Eval.Data;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/// <summary>An input: a path and its format, or null to detect it.</summary>
/// <param name="Path">A file or folder.</param>
/// <param name="Format">The format, or null for auto-detection.</param>
public sealed record AnnotationInput(string Path, AnnotationFormat? Format = null)
{
    /// <summary>The command-line option that names this input's format (<c>--from</c>), for the message when auto-detection cannot tell; null for <c>--gt-format</c> or <c>--pred-format</c> by role.</summary>
    public string? FormatOption { get; init; }
}

/// <summary>How an input was read.</summary>
/// <param name="Path">The file or folder.</param>
/// <param name="Format">Its format.</param>
/// <param name="Detected">How the format was detected; null when it was given.</param>
public sealed record InputFormat(string Path, AnnotationFormat Format, DetectedFormat? Detected);

/// <summary>Ground truth and predictions read into one builder.</summary>
/// <param name="Builder">The dataset, ready to build.</param>
/// <param name="GroundTruth">How the ground truth was read.</param>
/// <param name="Predictions">How the predictions were read; null when none were asked for.</param>
/// <param name="Notices">Notes for the user (where class names came from, shapes that were skipped).</param>
public sealed record LoadedAnnotations(DatasetBuilder Builder, InputFormat GroundTruth, InputFormat? Predictions, IReadOnlyList<string> Notices)
{
    /// <summary>How each predictions input was read, in the order they were read; empty when none were asked for.</summary>
    public IReadOnlyList<InputFormat> AllPredictions { get; init; } = Predictions is null ? [] : [Predictions];

    /// <summary>How many detections each predictions input held (kept or dropped for an unknown class), in the order of <see cref="AllPredictions"/>.</summary>
    public IReadOnlyList<int> DetectionsRead { get; init; } = [];
}

/// <summary>
/// Reads ground truth and predictions in any registered format into one <see cref="DatasetBuilder"/>:
/// detects formats that were not given, finds the class list, reads the ground truth, then resolves the
/// predictions' image and class names against it.
/// </summary>
public static class AnnotationLoader
{
    /// <summary>Reads <paramref name="groundTruth"/> and, when given, <paramref name="predictions"/>.</summary>
    /// <param name="groundTruth">The ground truth.</param>
    /// <param name="predictions">The predictions, or null to read ground truth only.</param>
    /// <param name="options">How to read them.</param>
    /// <param name="resolved">Told each input's format before it is read, so that a reading error can be understood.</param>
    /// <exception cref="AnnotationFormatException">An input is missing, malformed, or in a format that cannot hold its role.</exception>
    public static LoadedAnnotations Load(AnnotationInput groundTruth, AnnotationInput? predictions, LoadOptions options, Action<InputFormat>? resolved = null) =>
        LoadParts(groundTruth, predictions is null ? [] : [predictions], options, resolved);

    /// <summary>
    /// Reads <paramref name="groundTruth"/> and the predictions of several inputs (the parts of a sharded
    /// run, each in any format), one after the other as if they were one file: the detections of the
    /// second follow those of the first, which is the order ties between equal scores keep.
    /// </summary>
    /// <param name="groundTruth">The ground truth.</param>
    /// <param name="predictions">The predictions, in order; empty to read ground truth only.</param>
    /// <param name="options">How to read them.</param>
    /// <param name="resolved">Told each input's format before it is read, so that a reading error can be understood.</param>
    /// <exception cref="AnnotationFormatException">An input is missing, malformed, or in a format that cannot hold its role.</exception>
    public static LoadedAnnotations LoadParts(AnnotationInput groundTruth, IReadOnlyList<AnnotationInput> predictions, LoadOptions options, Action<InputFormat>? resolved = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var notices = new List<string>();
        InputFormat gtFormat = Resolve(groundTruth, AnnotationRole.GroundTruth, options);
        resolved?.Invoke(gtFormat);
        IAnnotationFormat gtReader = AnnotationFormats.Get(gtFormat.Format);
        if (gtFormat.Format == AnnotationFormat.Coco && options.Names is { } names) RequireYoloPredictionsFor(names, predictions, options);
        options.Progress?.Begin(WorkStage.Loading, AnnotationFiles.BytesToRead(gtFormat.Path, gtFormat.Format) + predictions.Sum(p => BytesToReadQuietly(p, options)));

        // COCO results next to COCO ground truth: the results file is scanned while the ground truth loads
        // (CocoJson.ReadGroundTruthAndDetections does the same). Detection errors are not raised here; the
        // predictions are resolved again below, in their usual place.
        Task<CocoResultsFastPath.Scanned?>? cocoScan = null;
        if (gtFormat.Format == AnnotationFormat.Coco && predictions.Count == 1 && options.Spill is null && IsCocoQuietly(predictions[0], options))
        {
            cocoScan = Task.Run(() => CocoResultsFastPath.Scan(predictions[0].Path, Environment.ProcessorCount, cancellation: options.Cancellation, progress: options.Progress));
        }

        var builder = new DatasetBuilder();
        // COCO json names its categories itself: a class list only names YOLO predictions' indices there.
        var gtSink = new GroundTruthSink(builder, gtFormat.Format == AnnotationFormat.Coco ? options with { Names = null } : options, notices);
        ClassList? folderClasses = null;
        if (options.Names is null && gtFormat.Format != AnnotationFormat.Coco && AnnotationFiles.ClassListNextTo(ClassFolder(groundTruth.Path, gtFormat.Format)) is { } classFile)
        {
            folderClasses = ClassList.Read(classFile);
            gtSink.DeclareClasses(classFile, folderClasses.Classes, announce: true);
        }
        try
        {
            gtReader.ReadGroundTruth(groundTruth.Path, gtSink);
            gtSink.Complete();
        }
        finally
        {
            // Never leave the scan running past this call, whatever the ground truth held.
            if (cocoScan is not null) ((IAsyncResult)cocoScan).AsyncWaitHandle.WaitOne();
        }

        if (predictions.Count == 0) return new LoadedAnnotations(builder, gtFormat, null, notices);
        if (options.Spill is { } spillSettings)
        {
            // A worker keeping one image shard of N spills about 1/N of the predictions.
            long bytes = predictions.Sum(p => SpillSettings.BytesOf(p.Path)) / (spillSettings.Keep?.Count ?? 1);
            var spill = new DetectionSpill(builder.ImageCount, spillSettings.ImagesPerShardFor(builder.ImageCount, bytes), spillSettings.Folder, spillSettings.KeepShapes);
            if (spillSettings.Keep is { } shard) spill.KeepOnly(builder.ImagesOfShard(shard));
            builder.SpillDetectionsTo(spill);
        }
        try
        {
            return ReadPredictions(builder, gtFormat, gtSink, folderClasses, predictions, cocoScan, options, notices, resolved);
        }
        catch
        {
            builder.Spill?.Dispose();
            throw;
        }
    }

    private static LoadedAnnotations ReadPredictions(
        DatasetBuilder builder, InputFormat gtFormat, GroundTruthSink gtSink, ClassList? folderClasses, IReadOnlyList<AnnotationInput> predictions, Task<CocoResultsFastPath.Scanned?>? cocoScan,
        LoadOptions options, List<string> notices, Action<InputFormat>? resolved)
    {
        var formats = new List<InputFormat>(predictions.Count);
        var counts = new List<int>(predictions.Count);
        foreach (AnnotationInput part in predictions)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            int before = builder.DetectionCount + builder.DetectionsOfUnknownCategories;
            InputFormat dtFormat = Resolve(part, AnnotationRole.Predictions, options);
            resolved?.Invoke(dtFormat);
            formats.Add(dtFormat);
            ClassList? indexNames = options.Names ?? folderClasses;
            if (indexNames is null && dtFormat.Format == AnnotationFormat.Yolo && AnnotationFiles.ClassListNextTo(part.Path) is { } predictionClasses)
            {
                indexNames = ClassList.Read(predictionClasses);
                notices.Add($"class names from {predictionClasses}");
            }
            var dtSink = new PredictionSink(builder, options, gtSink.KeysByBuilderIndex, indexNames, notices, gtSink.ImageIdsAreMeaningful, gtSink.ClassIdsAreMeaningful);
            // The COCO reader reads straight into the builder, so the scan's detections are what it would add.
            bool scanned = dtFormat.Format == AnnotationFormat.Coco && (builder.Spill is null
                ? cocoScan?.GetAwaiter().GetResult() is { } scan && scan.TryCommit(builder)
                // The scanner hands over boxes and scores; masks and keypoints go through the reader.
                : gtFormat.Format == AnnotationFormat.Coco && !builder.Spill.KeepsShapes && CocoResultsFastPath.TryReadIntoSpill(part.Path, builder, Environment.ProcessorCount, options.Cancellation, options.Progress));
            if (!scanned) AnnotationFormats.Get(dtFormat.Format).ReadPredictions(part.Path, dtSink);
            counts.Add(builder.DetectionCount + builder.DetectionsOfUnknownCategories - before);
        }
        builder.CommitOpenPart();
        return new LoadedAnnotations(builder, gtFormat, formats[0], notices) { AllPredictions = formats, DetectionsRead = counts };
    }

    /// <summary>
    /// Rule: with COCO ground truth, whose "categories" name the classes, a class list can only name the
    /// class indices of YOLO predictions; anywhere else it would silently mean nothing, so it is refused.
    /// </summary>
    private static void RequireYoloPredictionsFor(ClassList names, IReadOnlyList<AnnotationInput> predictions, LoadOptions options)
    {
        if (predictions.Any(p => Resolve(p, AnnotationRole.Predictions, options).Format == AnnotationFormat.Yolo)) return;
        throw new AnnotationFormatException(new SourceLocation(names.Source),
            "--names with ground truth that does not name its classes (yolo, txt, csv, ...) or with yolo predictions",
            "COCO ground truth, whose \"categories\" name its classes" + (predictions.Count == 0 ? "" : ", and no yolo predictions"),
            "Leave out --names.");
    }

    /// <summary>True when <paramref name="input"/> is (or is detected as) COCO json; false on any error, which the real resolution reports later.</summary>
    private static bool IsCocoQuietly(AnnotationInput input, LoadOptions options)
    {
        if (input.Format is AnnotationFormat format) return format == AnnotationFormat.Coco;
        try
        {
            return File.Exists(input.Path) && AnnotationFormats.Detect(input.Path, AnnotationRole.Predictions, options).Format == AnnotationFormat.Coco;
        }
        catch (Exception e) when (e is AnnotationFormatException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// The bytes of a predictions input for the progress display, its format detected as the real
    /// resolution will; 0 on any error, which that resolution reports later, in its place.
    /// </summary>
    private static long BytesToReadQuietly(AnnotationInput input, LoadOptions options)
    {
        try
        {
            AnnotationFormat format = input.Format ?? AnnotationFormats.Detect(input.Path, AnnotationRole.Predictions, options).Format;
            return AnnotationFiles.BytesToRead(input.Path, format);
        }
        catch (Exception e) when (e is AnnotationFormatException or IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static string ClassFolder(string path, AnnotationFormat format) =>
        format == AnnotationFormat.VocXml && Directory.Exists(Path.Combine(path, "Annotations")) ? Path.Combine(path, "Annotations") : path;

    private static InputFormat Resolve(AnnotationInput input, AnnotationRole role, LoadOptions options)
    {
        InputFiles.RequireInput(input.Path, role == AnnotationRole.GroundTruth ? "ground truth" : "predictions");
        DetectedFormat? detected = input.Format is null ? AnnotationFormats.Detect(input.Path, role, options, input.FormatOption) : null;
        AnnotationFormat format = input.Format ?? detected!.Format;
        if (!AnnotationFormats.Get(format).Supports(role))
        {
            string other = role == AnnotationRole.GroundTruth ? "predictions" : "ground truth";
            throw new AnnotationFormatException(new SourceLocation(input.Path),
                role == AnnotationRole.GroundTruth ? "ground truth" : "predictions",
                $"{AnnotationFormats.Name(format)}, which holds {other} only");
        }
        return new InputFormat(input.Path, format, detected);
    }

    /// <summary>Writes the ground truth or the detections of a dataset in a format.</summary>
    /// <exception cref="AnnotationFormatException">The format cannot hold that role or that data.</exception>
    /// <exception cref="IOException">The output cannot be written.</exception>
    public static void Write(Dataset dataset, AnnotationRole role, AnnotationFormat format, string path, WriteOptions options)
    {
        IAnnotationFormat writer = AnnotationFormats.Get(format);
        if (!writer.Supports(role))
        {
            throw new AnnotationFormatException(new SourceLocation(path), $"a format that holds {(role == AnnotationRole.GroundTruth ? "ground truth" : "predictions")}", AnnotationFormats.Name(format));
        }
        PolygonShapes.NoticeDropped(dataset, role, format, path, options);
        writer.Write(dataset, role, path, options);
    }
}
