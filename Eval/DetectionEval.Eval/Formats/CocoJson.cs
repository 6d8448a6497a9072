using System.Globalization;
using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;
using DetectionEval.Matching.Masks;

namespace DetectionEval.Eval.Formats;

/// <summary>
/// Streams COCO json: a ground-truth file (<c>images</c>, <c>annotations</c>, <c>categories</c>) and a
/// results file (a list of <c>{image_id, category_id, bbox, score}</c>), without building a document of
/// the whole file. Boxes are <c>[x, y, width, height]</c>.
/// </summary>
/// <remarks>
/// Image ids and annotation ids may be integers or strings, as pycocotools takes them: a string id is
/// matched exactly (<c>"1"</c> is not <c>1</c>) and images are ranked by Python's order of their ids
/// (<see cref="RecordId"/>). The image ids of one file are all integers or all strings, since Python
/// cannot sort a mix (pycocotools sorts them). Category ids are integers.
/// </remarks>
public static class CocoJson
{
    private const string BoxShape = "4 numbers [x, y, width, height]";

    /// <summary>Reads a COCO ground-truth file into <paramref name="builder"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="builder">Receives images, categories and ground truth.</param>
    /// <param name="cancellation">Stops the reading (<see cref="OperationCanceledException"/>) soon after it is cancelled.</param>
    /// <exception cref="AnnotationFormatException">The file is missing or not valid COCO ground truth.</exception>
    public static void ReadGroundTruth(string path, DatasetBuilder builder, CancellationToken cancellation = default) =>
        ReadGroundTruth(path, builder, cancellation, progress: null);

    /// <summary>Reads a COCO ground-truth file, telling <paramref name="progress"/> the bytes read.</summary>
    internal static void ReadGroundTruth(string path, DatasetBuilder builder, CancellationToken cancellation, IProgressSink? progress)
    {
        InputFiles.RequireFile(path);
        using JsonStreamReader json = JsonStreamReader.OpenFile(path, path, cancellation, progress);
        ReadGroundTruth(json, builder);
    }

    /// <summary>
    /// Reads a ground-truth file and a results file into <paramref name="builder"/>: the same as
    /// <see cref="ReadGroundTruth(string, DatasetBuilder, CancellationToken)"/> then <see cref="ReadDetections(string, DatasetBuilder, CancellationToken)"/>,
    /// with the same results and errors (ground-truth errors first), but the results file is scanned while
    /// the ground truth loads.
    /// </summary>
    /// <exception cref="AnnotationFormatException">A file is missing or not valid.</exception>
    public static void ReadGroundTruthAndDetections(string groundTruthPath, string detectionsPath, DatasetBuilder builder, CancellationToken cancellation = default)
    {
        Task<CocoResultsFastPath.Scanned?> scan = Task.Run(() => CocoResultsFastPath.Scan(detectionsPath, Environment.ProcessorCount, cancellation: cancellation));
        try
        {
            ReadGroundTruth(groundTruthPath, builder, cancellation);
        }
        finally
        {
            // Never leave the scan running past this call, whatever the ground truth held.
            ((IAsyncResult)scan).AsyncWaitHandle.WaitOne();
        }
        InputFiles.RequireFile(detectionsPath);
        if (scan.GetAwaiter().GetResult() is { } scanned && scanned.TryCommit(builder)) return;
        using JsonStreamReader json = JsonStreamReader.OpenFile(detectionsPath, detectionsPath, cancellation);
        ReadDetections(json, builder);
    }

    /// <summary>Reads COCO ground truth from a stream; <paramref name="displayName"/> names it in errors.</summary>
    public static void ReadGroundTruth(Stream stream, string displayName, DatasetBuilder builder, CancellationToken cancellation = default)
    {
        using var json = new JsonStreamReader(stream, displayName, cancellation: cancellation);
        ReadGroundTruth(json, builder);
    }

    /// <summary>Reads a COCO results file into <paramref name="builder"/>, which must hold the ground truth.</summary>
    /// <remarks>
    /// Detections of a category that the ground truth does not list are dropped and counted, as
    /// pycocotools does; a detection on an image the ground truth does not list is an error.
    /// </remarks>
    /// <exception cref="AnnotationFormatException">The file is missing or not a valid COCO results list.</exception>
    public static void ReadDetections(string path, DatasetBuilder builder, CancellationToken cancellation = default) =>
        ReadDetections(path, builder, cancellation, progress: null);

    /// <summary>Reads a COCO results file, telling <paramref name="progress"/> the bytes read.</summary>
    internal static void ReadDetections(string path, DatasetBuilder builder, CancellationToken cancellation, IProgressSink? progress)
    {
        InputFiles.RequireFile(path);
        // The common shape is read by a byte scanner; anything it does not expect is read again by the
        // general reader, which gives identical results and the precise message for bad input.
        if (CocoResultsFastPath.TryRead(path, builder, Environment.ProcessorCount, cancellation: cancellation, progress: progress)) return;
        using JsonStreamReader json = JsonStreamReader.OpenFile(path, path, cancellation, progress);
        ReadDetections(json, builder);
    }

    /// <summary>Reads a COCO results list from a stream; <paramref name="displayName"/> names it in errors.</summary>
    public static void ReadDetections(Stream stream, string displayName, DatasetBuilder builder, CancellationToken cancellation = default)
    {
        using var json = new JsonStreamReader(stream, displayName, cancellation: cancellation);
        ReadDetections(json, builder);
    }

    /// <summary>
    /// Reads a results list held in memory as <see cref="ReadDetections(string, DatasetBuilder, CancellationToken)"/> reads a
    /// file: the byte scanner first (in segments of <paramref name="splitAbove"/> bytes or more, on up to
    /// <paramref name="maxThreads"/> threads), the general reader when it steps aside.
    /// </summary>
    internal static void ReadDetections(ReadOnlyMemory<byte> bytes, string displayName, DatasetBuilder builder, int maxThreads = 1, long splitAbove = CocoResultsFastPath.SplitAbove)
    {
        if (CocoResultsFastPath.TryRead(bytes, builder, maxThreads, splitAbove)) return;
        ReadDetections(new MemoryStream(bytes.ToArray(), writable: false), displayName, builder);
    }

    // ---- ground truth ----

    private readonly record struct PendingAnnotation(
        RecordId ImageId, long ImageIdOffset, long CategoryId, long CategoryIdOffset, Box Box, double Area, GroundTruthFlags Flags, RecordId Id,
        PendingSegmentation? Segmentation, double[]? Keypoints, int? LabelledKeypoints);

    private static void ReadGroundTruth(JsonStreamReader json, DatasetBuilder builder)
    {
        const string TopLevel = "a JSON object with \"images\", \"annotations\" and \"categories\"";
        json.ReadExpecting(TopLevel);
        if (json.TokenType != JsonTokenType.StartObject) throw json.Error(TopLevel);

        var annotations = new List<PendingAnnotation>();
        bool sawImages = false, sawAnnotations = false, sawCategories = false;
        RecordId? firstImageId = null;
        while (json.NextProperty())
        {
            if (json.ValueEquals("images"u8))
            {
                ReadObjects(json, "an image object", () =>
                {
                    RecordId id = ReadImage(json, builder, firstImageId);
                    firstImageId ??= id;
                });
                sawImages = true;
            }
            else if (json.ValueEquals("annotations"u8))
            {
                var ids = new HashSet<RecordId>();
                ReadObjects(json, "an annotation object", () => annotations.Add(ReadAnnotation(json, ids)));
                sawAnnotations = true;
            }
            else if (json.ValueEquals("categories"u8))
            {
                ReadObjects(json, "a category object", () => ReadCategory(json, builder));
                sawCategories = true;
            }
            else
            {
                json.Skip();
            }
        }
        RequireEnd(json);
        RequireSection(json, sawImages, "images");
        RequireSection(json, sawAnnotations, "annotations");
        RequireSection(json, sawCategories, "categories");

        // Sections may come in any order, so annotations are resolved once images and categories are known.
        // An image id of the other kind than the images' ids ("1" for 1) is reported as not listed, with why.
        RunLengthMask?[] rasterised = RasterisePolygons(annotations, builder);
        for (int i = 0; i < annotations.Count; i++)
        {
            PendingAnnotation a = annotations[i];
            if (!builder.TryGetImage(a.ImageId, out int image))
            {
                throw json.ErrorAt(a.ImageIdOffset, $"$.annotations[{i}].image_id", "an image id listed in \"images\"", a.ImageId.Describe(), KindHint(firstImageId, a.ImageId));
            }
            if (!builder.TryGetCategory(a.CategoryId, out int category))
            {
                throw json.ErrorAt(a.CategoryIdOffset, $"$.annotations[{i}].category_id", "a category id listed in \"categories\"", Number(a.CategoryId));
            }
            ObjectShape? shape = a.Segmentation is null && a.Keypoints is null && a.LabelledKeypoints is null
                ? null
                : new ObjectShape(a.Segmentation is null ? null : rasterised[i] ?? CocoShapes.Resolve(a.Segmentation, builder.GetImage(image), json, required: false), a.Keypoints)
                {
                    LabelledKeypoints = a.LabelledKeypoints,
                    Polygons = CocoShapes.PolygonsOf(a.Segmentation),
                };
            builder.AddGroundTruth(image, category, a.Box, a.Area, a.Flags, a.Id, shape);
        }
    }

    /// <summary>
    /// The masks of the annotations given as polygons on an image with a size, rasterised in parallel (the
    /// costliest part of reading instance masks); null for every other annotation, which is resolved in order.
    /// </summary>
    private static RunLengthMask?[] RasterisePolygons(List<PendingAnnotation> annotations, DatasetBuilder builder)
    {
        var masks = new RunLengthMask?[annotations.Count];
        if (!annotations.Exists(a => a.Segmentation is PendingSegmentation.Polygons)) return masks;
        Parallel.For(0, annotations.Count, i =>
        {
            PendingAnnotation a = annotations[i];
            if (a.Segmentation is PendingSegmentation.Polygons { AsBoxes: false } polygons
                && builder.TryGetImage(a.ImageId, out int image)
                && builder.GetImage(image) is { Height: int height, Width: int width })
            {
                masks[i] = PolygonRaster.FromPolygons(polygons.Values, height, width);
            }
        });
        return masks;
    }

    private static void RequireSection(JsonStreamReader json, bool present, string name)
    {
        if (!present)
        {
            throw new AnnotationFormatException(
                new SourceLocation(json.DisplayName, Path: "$"),
                $"a top-level \"{name}\" array (COCO ground truth)",
                $"an object without \"{name}\"",
                name == "annotations" ? null : "Is this a results list rather than ground truth?");
        }
    }

    /// <summary>Reads an image object; returns its id, which must be of the kind of <paramref name="firstId"/> (the file's first image id) when there is one.</summary>
    private static RecordId ReadImage(JsonStreamReader json, DatasetBuilder builder, RecordId? firstId)
    {
        RecordId? id = null;
        long idOffset = 0;
        string? fileName = null;
        int? width = null, height = null;
        while (json.NextProperty())
        {
            if (json.ValueEquals("id"u8))
            {
                id = ReadId(json, "image id");
                idOffset = json.CurrentOffset;
                if (firstId is { } first && first.IsText != id.Value.IsText)
                {
                    // Rule: one kind of image id per file. pycocotools sorts the ids (COCOeval: sorted(getImgIds())),
                    // which Python cannot do for a mix of numbers and strings.
                    throw json.Error($"an image id of the same kind as the first one ({first.Describe()}, {(first.IsText ? "a string" : "an integer")})",
                        $"the {id.Value.Kind} {id.Value.Describe()}",
                        "Image ids must be all integers or all strings: pycocotools sorts them, and Python cannot order a number and a string.");
                }
            }
            else if (json.ValueEquals("file_name"u8)) fileName = json.ReadOptionalString();
            else if (json.ValueEquals("width"u8)) width = json.ReadOptionalPixels();
            else if (json.ValueEquals("height"u8)) height = json.ReadOptionalPixels();
            else json.Skip();
        }
        if (id is not RecordId imageId) throw json.Error("an image object with an \"id\" (an integer or a string)", "an object without \"id\"");
        if (!builder.TryAddImage(new ImageInfo(imageId, fileName, width, height), out _))
        {
            throw json.ErrorAt(idOffset, json.CurrentPath + ".id", "a unique image id", $"{imageId.Describe()} again");
        }
        return imageId;
    }

    private static void ReadCategory(JsonStreamReader json, DatasetBuilder builder)
    {
        long? id = null;
        long idOffset = 0;
        string? name = null;
        List<(int From, int To)>? skeleton = null;
        while (json.NextProperty())
        {
            if (json.ValueEquals("id"u8))
            {
                id = ReadInteger(json, "an integer category id");
                idOffset = json.CurrentOffset;
            }
            else if (json.ValueEquals("name"u8)) name = json.ReadOptionalString();
            else if (json.ValueEquals("skeleton"u8)) skeleton = ReadSkeleton(json);
            else json.Skip();
        }
        if (id is not long categoryId) throw json.Error("a category object with an integer \"id\"", "an object without \"id\"");
        // The location costs a second pass over the file, so it is made only for the error.
        if (name is not null && name.Length > InputLimits.MaxClassNameLength) InputLimits.RequireClassName(name, json.CurrentLocation() with { Path = json.CurrentPath + ".name" });
        if (builder.CategoryCount >= InputLimits.MaxClasses) InputLimits.RequireRoomForClass(builder.CategoryCount, json.CurrentLocation());
        if (!builder.TryAddCategory(new Category(categoryId, name ?? Number(categoryId)), out _))
        {
            throw json.ErrorAt(idOffset, json.CurrentPath + ".id", "a unique category id", $"{Number(categoryId)} again");
        }
        if (skeleton is not null) builder.SetSkeleton(categoryId, skeleton);
    }

    /// <summary>A category's <c>skeleton</c>: pairs of keypoint numbers counted from 1 (COCO person's <c>[[16, 14], [14, 12], ...]</c>); null for a JSON null.</summary>
    private static List<(int From, int To)>? ReadSkeleton(JsonStreamReader json)
    {
        const string Shape = "a skeleton, a list of keypoint pairs [[a, b], ...] counted from 1";
        json.ReadExpecting(Shape);
        if (json.TokenType == JsonTokenType.Null) return null;
        if (json.TokenType != JsonTokenType.StartArray) throw json.Error(Shape);
        var pairs = new List<(int From, int To)>();
        Span<int> pair = stackalloc int[2];
        while (true)
        {
            json.ReadExpecting("a keypoint pair [a, b] or the end of the skeleton");
            if (json.TokenType == JsonTokenType.EndArray) return pairs;
            if (json.TokenType != JsonTokenType.StartArray) throw json.Error("a keypoint pair [a, b]");
            int count = 0;
            while (true)
            {
                json.ReadExpecting("a keypoint number or the end of the pair");
                if (json.TokenType == JsonTokenType.EndArray) break;
                if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long k) || k < 1 || k > int.MaxValue || count == 2)
                {
                    throw json.Error("a keypoint pair of two whole numbers of 1 or more [a, b]");
                }
                pair[count++] = (int)k;
            }
            if (count != 2) throw json.Error("a keypoint pair of two whole numbers of 1 or more [a, b]", Counting.Of(count, "number"));
            pairs.Add((pair[0], pair[1]));
        }
    }

    private static PendingAnnotation ReadAnnotation(JsonStreamReader json, HashSet<RecordId> ids)
    {
        RecordId? id = null, imageId = null;
        long? categoryId = null;
        long imageIdOffset = 0, categoryIdOffset = 0;
        Box? box = null;
        double? area = null;
        GroundTruthFlags flags = GroundTruthFlags.None;
        PendingSegmentation? segmentation = null;
        double[]? keypoints = null;
        int? labelled = null;
        while (json.NextProperty())
        {
            if (json.ValueEquals("id"u8))
            {
                id = ReadId(json, "annotation id");
                if (!ids.Add(id.Value)) throw json.Error("a unique annotation id", $"{id.Value.Describe()} again");
            }
            else if (json.ValueEquals("image_id"u8))
            {
                imageId = ReadId(json, "image id");
                imageIdOffset = json.CurrentOffset;
            }
            else if (json.ValueEquals("category_id"u8))
            {
                categoryId = ReadInteger(json, "an integer category id");
                categoryIdOffset = json.CurrentOffset;
            }
            else if (json.ValueEquals("bbox"u8)) box = ReadBox(json);
            else if (json.ValueEquals("area"u8)) area = ReadNonNegative(json, "the area, a number of 0 or more");
            else if (json.ValueEquals("iscrowd"u8)) flags |= ReadFlag(json, GroundTruthFlags.Crowd);
            else if (json.ValueEquals("ignore"u8)) flags |= ReadFlag(json, GroundTruthFlags.Ignore);
            else if (json.ValueEquals("difficult"u8)) flags |= ReadFlag(json, GroundTruthFlags.Difficult);
            else if (json.ValueEquals("segmentation"u8)) segmentation = CocoShapes.ReadSegmentation(json);
            else if (json.ValueEquals("keypoints"u8)) keypoints = CocoShapes.ReadKeypoints(json);
            else if (json.ValueEquals("num_keypoints"u8)) labelled = (int)Math.Min(int.MaxValue, ReadCount(json, "num_keypoints, a whole number of 0 or more"));
            else json.Skip();
        }
        if (id is null) throw MissingProperty(json, "an annotation", "id");
        if (imageId is null) throw MissingProperty(json, "an annotation", "image_id");
        if (categoryId is null) throw MissingProperty(json, "an annotation", "category_id");
        if (box is not Box b) throw MissingProperty(json, "an annotation", "bbox");
        // Convention: a missing area field is the box's w * h (pycocotools would fail; every other format has none).
        return new PendingAnnotation(imageId.Value, imageIdOffset, categoryId.Value, categoryIdOffset, b, area ?? b.Area, flags, id.Value, segmentation, keypoints, labelled);
    }

    // ---- detections ----

    private static void ReadDetections(JsonStreamReader json, DatasetBuilder builder)
    {
        const string TopLevel = "a JSON array of detections [{\"image_id\", \"category_id\", \"bbox\", \"score\"}, ...]";
        json.ReadExpecting(TopLevel);
        if (json.TokenType == JsonTokenType.StartObject)
        {
            // A COCO dataset file used as results: its "annotations" list holds the detections.
            bool sawAnnotations = false;
            while (json.NextProperty())
            {
                if (json.ValueEquals("annotations"u8))
                {
                    var rule = new ResultsAreaRule();
                    ReadObjects(json, "a detection object", () => ReadDetection(json, builder, rule));
                    sawAnnotations = true;
                }
                else
                {
                    json.Skip();
                }
            }
            if (!sawAnnotations) throw new AnnotationFormatException(new SourceLocation(json.DisplayName, Path: "$"), TopLevel, "an object without \"annotations\"");
        }
        else if (json.TokenType == JsonTokenType.StartArray)
        {
            var rule = new ResultsAreaRule();
            ReadObjectsOfOpenArray(json, "a detection object", () => ReadDetection(json, builder, rule));
        }
        else
        {
            throw json.Error(TopLevel);
        }
        RequireEnd(json);
    }

    /// <summary>Where results' areas come from; pycocotools' <c>loadRes</c> decides it once, by the first result.</summary>
    private enum DetectionArea
    {
        /// <summary>The first result has a box: every area is its box's <c>w * h</c>.</summary>
        Box,

        /// <summary>The first result has no box but a segmentation: every area is its mask's pixel count, and a missing box is the mask's box.</summary>
        Mask,

        /// <summary>The first result has no box but keypoints: every area and box is the extent of its keypoints.</summary>
        Keypoints,
    }

    /// <summary>The results file's area rule, set by its first result.</summary>
    private sealed class ResultsAreaRule
    {
        public DetectionArea? Rule;
    }

    private static void ReadDetection(JsonStreamReader json, DatasetBuilder builder, ResultsAreaRule rule)
    {
        int? image = null;
        long? categoryId = null;
        Box? box = null;
        double? score = null;
        PendingSegmentation? segmentation = null;
        double[]? keypoints = null;
        while (json.NextProperty())
        {
            if (json.ValueEquals("image_id"u8))
            {
                RecordId imageId = ReadId(json, "image id");
                if (!builder.TryGetImage(imageId, out int index))
                {
                    throw json.Error("an image id listed in the ground truth's \"images\"", imageId.Describe(),
                        KindHint(builder.ImageCount > 0 ? builder.GetImage(0).Id : null, imageId));
                }
                image = index;
            }
            else if (json.ValueEquals("category_id"u8)) categoryId = ReadInteger(json, "an integer category id");
            else if (json.ValueEquals("bbox"u8)) box = ReadBox(json);
            else if (json.ValueEquals("score"u8)) score = ReadFinite(json, "the score, a finite number");
            else if (json.ValueEquals("segmentation"u8)) segmentation = CocoShapes.ReadSegmentation(json);
            else if (json.ValueEquals("keypoints"u8)) keypoints = CocoShapes.ReadKeypoints(json);
            else json.Skip();
        }
        if (image is not int imageIndex) throw MissingProperty(json, "a detection", "image_id");
        if (categoryId is not long category) throw MissingProperty(json, "a detection", "category_id");
        // Rule (pycocotools loadRes): the first result decides where every area comes from.
        rule.Rule ??= box is not null ? DetectionArea.Box : segmentation is not null ? DetectionArea.Mask : keypoints is not null ? DetectionArea.Keypoints : DetectionArea.Box;
        RunLengthMask? mask = segmentation is null ? null : CocoShapes.Resolve(segmentation, builder.GetImage(imageIndex), json, required: rule.Rule == DetectionArea.Mask);
        double? area = null;
        switch (rule.Rule)
        {
            case DetectionArea.Box:
                if (box is null) throw MissingProperty(json, "a detection", "bbox");
                break;
            case DetectionArea.Mask:
                if (mask is null)
                {
                    throw json.Error("a detection with \"segmentation\"", "an object without \"segmentation\"",
                        "The first result has no \"bbox\", so every result's area is its mask's pixel count (pycocotools' rule).");
                }
                area = mask.Area;
                box ??= mask.BoundingBox;
                break;
            case DetectionArea.Keypoints:
                if (keypoints is null)
                {
                    throw json.Error("a detection with \"keypoints\"", "an object without \"keypoints\"",
                        "The first result has no \"bbox\", so every result's area is the extent of its keypoints (pycocotools' rule).");
                }
                box = KeypointExtent(keypoints);
                area = box.Value.Width * box.Value.Height;
                break;
        }
        if (score is not double s) throw MissingProperty(json, "a detection", "score");
        ObjectShape? shape = mask is null && keypoints is null ? null : new ObjectShape(mask, keypoints) { Polygons = CocoShapes.PolygonsOf(segmentation) };
        if (!builder.TryGetCategory(category, out int categoryIndex)) builder.CountDetectionOfUnknownCategory(category);
        else if (shape is null && area is null) builder.AddDetection(imageIndex, categoryIndex, box!.Value, s);
        else builder.AddDetection(imageIndex, categoryIndex, box!.Value, s, shape, area);
    }

    /// <summary>
    /// pycocotools' box of keypoint results without one: [x0, y0, x1 - x0, y1 - y0] over every keypoint's
    /// position, unlabelled ones (0, 0) included; its area is <c>(x1 - x0) * (y1 - y0)</c>.
    /// </summary>
    private static Box KeypointExtent(double[] keypoints)
    {
        if (keypoints.Length == 0) return new Box(0, 0, 0, 0);
        double x0 = double.PositiveInfinity, x1 = double.NegativeInfinity, y0 = double.PositiveInfinity, y1 = double.NegativeInfinity;
        for (int i = 0; i + 1 < keypoints.Length; i += 3)
        {
            x0 = Math.Min(x0, keypoints[i]);
            x1 = Math.Max(x1, keypoints[i]);
            y0 = Math.Min(y0, keypoints[i + 1]);
            y1 = Math.Max(y1, keypoints[i + 1]);
        }
        return new Box(x0, y0, x1 - x0, y1 - y0);
    }

    // ---- shared pieces ----

    /// <summary>Reads the value of the current property as an array of objects, calling <paramref name="readObject"/> on each.</summary>
    private static void ReadObjects(JsonStreamReader json, string element, Action readObject)
    {
        json.ReadExpecting("an array");
        if (json.TokenType != JsonTokenType.StartArray) throw json.Error($"an array of {Plural(element)}");
        ReadObjectsOfOpenArray(json, element, readObject);
    }

    private static void ReadObjectsOfOpenArray(JsonStreamReader json, string element, Action readObject)
    {
        while (true)
        {
            json.ReadExpecting($"{element} or the end of the array");
            if (json.TokenType == JsonTokenType.EndArray) return;
            if (json.TokenType != JsonTokenType.StartObject) throw json.Error(element);
            readObject();
        }
    }

    private static void RequireEnd(JsonStreamReader json)
    {
        // The reader itself rejects anything after the top-level value; this drains it.
        if (json.Read()) throw json.Error("the end of the file");
    }

    private static Box ReadBox(JsonStreamReader json)
    {
        json.ReadExpecting(BoxShape);
        if (json.TokenType != JsonTokenType.StartArray) throw json.Error(BoxShape);
        Span<double> values = stackalloc double[4];
        int count = 0;
        while (true)
        {
            json.ReadExpecting($"a number or the end of the bbox array");
            if (json.TokenType == JsonTokenType.EndArray) break;
            if (json.TokenType != JsonTokenType.Number) throw json.Error("a number in the bbox");
            if (count == 4) throw json.Error(BoxShape, "more than 4 values");
            double value = json.GetDouble();
            if (!double.IsFinite(value)) throw json.Error("a finite number", json.DescribeToken());
            if (count >= 2 && value < 0)
            {
                throw json.Error(count == 2 ? "a width of 0 or more" : "a height of 0 or more", json.DescribeToken());
            }
            values[count++] = value;
        }
        if (count != 4) throw json.Error(BoxShape, Counting.Of(count, "number"));
        var box = new Box(values[0], values[1], values[2], values[3]);
        if (!BoxLayout.IsFinite(box))
        {
            throw json.Error(BoxLayout.FiniteBox, string.Create(CultureInfo.InvariantCulture, $"[{BoxLayout.Number(box.X)}, {BoxLayout.Number(box.Y)}, {BoxLayout.Number(box.Width)}, {BoxLayout.Number(box.Height)}]"));
        }
        return box;
    }

    /// <summary>
    /// An image or annotation id: an integer (<c>3</c> and <c>3.0</c> both are) or a string. A number that is
    /// no integer is refused as "an integer ..." since a number was clearly meant.
    /// </summary>
    private static RecordId ReadId(JsonStreamReader json, string what)
    {
        json.ReadExpecting($"an {what} (an integer or a string)");
        if (json.TokenType == JsonTokenType.String) return new RecordId(json.GetString());
        if (json.TokenType != JsonTokenType.Number) throw json.Error($"an {what} (an integer or a string)");
        if (!json.TryGetInt64(out long value)) throw json.Error($"an integer {what}");
        return value;
    }

    /// <summary>Why an id of the other kind than the ground truth's image ids finds no image (pycocotools compares with Python's ==).</summary>
    private static string? KindHint(RecordId? groundTruthId, RecordId id) =>
        groundTruthId is { } known && known.IsText != id.IsText
            ? $"The ground truth's image ids are {(known.IsText ? "strings" : "integers")} ({known.Describe()}, ...); {id.Describe()} is {(id.IsText ? "a string" : "an integer")}, and an integer and a string never match."
            : null;

    private static long ReadInteger(JsonStreamReader json, string expected)
    {
        json.ReadExpecting(expected);
        if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long value)) throw json.Error(expected);
        return value;
    }

    private static long ReadCount(JsonStreamReader json, string expected)
    {
        json.ReadExpecting(expected);
        if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long value) || value < 0) throw json.Error(expected);
        return value;
    }

    private static double ReadFinite(JsonStreamReader json, string expected)
    {
        json.ReadExpecting(expected);
        if (json.TokenType != JsonTokenType.Number) throw json.Error(expected);
        double value = json.GetDouble();
        if (!double.IsFinite(value)) throw json.Error(expected);
        return value;
    }

    private static double ReadNonNegative(JsonStreamReader json, string expected)
    {
        double value = ReadFinite(json, expected);
        if (value < 0) throw json.Error(expected);
        return value;
    }

    /// <summary>A 0/1 or boolean flag; any non-zero number counts as set, as Python's truthiness does.</summary>
    private static GroundTruthFlags ReadFlag(JsonStreamReader json, GroundTruthFlags flag)
    {
        const string Expected = "0, 1, true or false";
        json.ReadExpecting(Expected);
        return json.TokenType switch
        {
            JsonTokenType.True => flag,
            JsonTokenType.False or JsonTokenType.Null => GroundTruthFlags.None,
            JsonTokenType.Number => json.GetDouble() != 0 ? flag : GroundTruthFlags.None,
            _ => throw json.Error(Expected),
        };
    }

    private static AnnotationFormatException MissingProperty(JsonStreamReader json, string what, string property) =>
        json.Error($"{what} with \"{property}\"", $"an object without \"{property}\"");

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Plural(string element) => element.StartsWith("an ", StringComparison.Ordinal)
        ? element[3..] + "s"
        : element[2..] + "s";
}
