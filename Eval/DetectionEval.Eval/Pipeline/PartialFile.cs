using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.IO;
using DetectionEval.Eval.Matches;
using DetectionEval.Matching;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Tide;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Pipeline;

// The stored layout of a partial result (docs/distributed.md has the column tables).
//
// A zip file (like numpy's .npz) of five entries, two more per mask or keypoint iou type and six more for the
// error analysis, each deflated at the fastest level:
//   header.json         format "deval-partial", formatVersion, tool version, ground-truth fingerprint,
//                       settings (iou types and keypoint sigmas included; and their hash), shard {index, count}
//                       or null, the run's inputs (paths, and sizes and SHA-256 of their content), categories,
//                       per-class ground-truth counts, detection counts; shapeMatches: per mask or keypoint
//                       iou type its area ranges, per-class ground-truth counts and number of records
//   images.arrow        Arrow IPC stream: id (int64, null for a string id), id_text (utf8, null for an integer id),
//                       index (int32: the image's place in the ground truth it was matched in; a shard's, the whole file's)
//   ground_truth.arrow  Arrow IPC stream: image, category (int32 indices), x, y, width, height, area (float64), flags (uint8)
//   units.arrow         Arrow IPC stream: image, class, positives, countable_0 ... (int32): per unit (image and class)
//                       with any, the ground truth that counts (VOC's npos, COCO's per area range), for the bootstrap
//   units_segm.arrow, units_keypoints.arrow
//                       the same for masks and keypoints (positives 0), when asked for
//   records.arrow       Arrow IPC stream: class, image, position (int32), score (float64), coco_rank (int32, -1:
//                       none), coco_tp, coco_ignored (uint64 bits, bit 16·area range + threshold), voc (uint8, 255: none);
//                       the box matches (empty without bbox)
//   records_segm.arrow, records_keypoints.arrow
//                       the same columns: the COCO matches on masks or keypoints (voc 255), when asked for
// With the analysis (header "analysis" not null; PartialAnalysis.cs says what each holds):
//   analysis_images.arrow  order (int32: the image's index in the ground-truth file), file_name (utf8, null for none), one row per image
//   analysis_voc.arrow     image, class (int32), score (float64), position (int32), outcome (uint8), best, hits (int32)
//   analysis_hits.arrow    ground_truth (int32: index among its image's ground truth), iou (float64)
//   tide_objects.arrow     image, class (int32), matched (uint8)
//   tide_points.arrow      image, class (int32), score (float64), tp (uint8)
//   tide_errors.arrow      image (int32), type (uint8), class (int32), score (float64), fix_class (int32, -1: none), size (uint8)
// Arrow IPC because the columns are the records' own fixed-width arrays, written and read without encoding;
// the zip holds the tables together and its deflate makes them about as small as Parquet's encodings
// (docs/distributed.md gives the measurement). Every field is checked on reading: a damaged or foreign file is
// refused with a PartialResultException naming the file, the entry and what was expected.

internal static class PartialFile
{
    private const string Format = "deval-partial";
    private const int RowsPerBatch = 1 << 20;

    public static void Write(Stream stream, PartialResult partial)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        WriteEntry(zip, "header.json", s => WriteHeader(s, partial));
        WriteEntry(zip, "images.arrow", s => WriteImages(s, partial.Images, partial.ImageIndices));
        WriteEntry(zip, "ground_truth.arrow", s => WriteGroundTruth(s, partial.GroundTruth));
        WriteEntry(zip, "units.arrow", s => WriteUnits(s, partial.Counts.Units, partial.Counts.AreaRanges));
        foreach (PartialShapeMatches shape in partial.ShapeMatches) WriteEntry(zip, UnitsEntry(shape.IouType), s => WriteUnits(s, shape.Units, shape.AreaRanges));
        WriteEntry(zip, "records.arrow", s => WriteRecords(s, partial.RecordClasses, partial.Records));
        foreach (PartialShapeMatches shape in partial.ShapeMatches) WriteEntry(zip, RecordsEntry(shape.IouType), s => WriteRecords(s, shape.Classes, shape.Records));
        if (partial.Analysis is { } analysis) WriteAnalysis(zip, analysis);
    }

    /// <summary>The entry of a mask or keypoint iou type's records: <c>records_segm.arrow</c>, <c>records_keypoints.arrow</c>.</summary>
    private static string RecordsEntry(IouType iouType) => $"records_{IouTypeNames.Name(iouType)}.arrow";

    /// <summary>The entry of a mask or keypoint iou type's per-unit counts: <c>units_segm.arrow</c>, <c>units_keypoints.arrow</c>.</summary>
    private static string UnitsEntry(IouType iouType) => $"units_{IouTypeNames.Name(iouType)}.arrow";

    /// <summary>Reads a partial; without <paramref name="withRecords"/>, everything but its records (<see cref="ReadRecords(Stream, string, PartialResult)"/> reads them).</summary>
    public static PartialResult Read(Stream stream, string source, bool withRecords = true)
    {
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            Header header = ReadEntry(zip, "header.json", source, s => ReadHeader(s, source));
            (RecordId[] images, int[] imageIndices) = ReadEntry(zip, "images.arrow", source, ReadImages);
            PartialGroundTruth gt = ReadEntry(zip, "ground_truth.arrow", source, ReadGroundTruth);
            Check(source, "header.json", header.Shapes.All(s => s.Countable.Length == header.Categories.Length * s.AreaRanges), "a count of ground truth per class and area range");
            Check(source, "images.arrow", imageIndices.All(i => i >= 0), "image indices of 0 or more");
            PartialUnits units = ReadUnitsEntry(zip, "units.arrow", source, header.AreaRanges, header.Categories.Length, images.Length);
            PartialShapeMatches[] shapesRead = [.. header.Shapes.Select(s => s with { Units = ReadUnitsEntry(zip, UnitsEntry(s.IouType), source, s.AreaRanges, header.Categories.Length, images.Length) })];
            (int[] classes, StoredMatch[] records, PartialShapeMatches[] shapes) = withRecords
                ? ReadAllRecords(zip, source, shapesRead, header.Categories.Length, images.Length)
                : ([], [], shapesRead);
            Check(source, "ground_truth.arrow", gt.Images.All(i => (uint)i < (uint)images.Length) && gt.Categories.All(k => (uint)k < (uint)header.Categories.Length),
                "image and category indices within the images and categories");
            PartialAnalysis? analysis = header.Tide is { } tide ? ReadAnalysis(zip, source, tide, images.Length, header.Categories.Length, gt) : null;
            var counts = new PartialCounts(
                header.AreaRanges, header.Countable, header.Positives, units, header.Detections, header.DetectionsOfUnknownCategories, header.DetectionsOverMaxDets, header.SharedPredictions);
            Check(source, "header.json", header.PredictionPaths?.Length == header.PredictionDigests?.Length, "a content fingerprint per predictions part");
            Check(source, "header.json", header.Countable.Length == header.Categories.Length * header.AreaRanges && header.Positives.Length == header.Categories.Length,
                "a count of ground truth per class");
            return new PartialResult(header.Settings, header.Categories, images, gt, counts, classes, records, shapes)
            {
                ToolVersion = header.ToolVersion,
                GroundTruthFingerprint = header.Fingerprint,
                ImageIndices = imageIndices,
                Shard = header.Shard,
                GroundTruthPath = header.GroundTruthPath,
                PredictionsLabel = header.PredictionsLabel,
                PredictionPaths = header.PredictionPaths,
                GroundTruthDigest = header.GroundTruthDigest,
                PredictionDigests = header.PredictionDigests,
                Analysis = analysis,
            };
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or InvalidOperationException or KeyNotFoundException or FormatException or ArgumentException or IOException or OverflowException)
        {
            throw new PartialResultException($"{source}: Expected a partial result written by 'deval evaluate --partial', but got an unreadable file ({OneLine(e.Message)}).");
        }
    }

    /// <summary>The records of a partial read by <see cref="Read"/> without them, from the same file: the box records and each mask or keypoint type's.</summary>
    public static (int[] Classes, StoredMatch[] Records, IReadOnlyList<PartialShapeMatches> Shapes) ReadRecords(Stream stream, string source, PartialResult partial)
    {
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            return ReadAllRecords(zip, source, [.. partial.ShapeMatches], partial.Categories.Count, partial.ImageCount);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException or ArgumentException or OverflowException)
        {
            throw new PartialResultException($"{source}: Expected a partial result written by 'deval evaluate --partial', but got an unreadable file ({OneLine(e.Message)}).");
        }
    }

    /// <summary>The box records and those of each mask or keypoint type the header announces (<paramref name="shapes"/>, whose records are read), checked.</summary>
    private static (int[] Classes, StoredMatch[] Records, PartialShapeMatches[] Shapes) ReadAllRecords(ZipArchive zip, string source, PartialShapeMatches[] shapes, int categories, int images)
    {
        (int[] classes, StoredMatch[] records) = ReadEntry(zip, "records.arrow", source, ReadRecords);
        CheckRecords(source, "records.arrow", classes, records, categories, images);
        var read = new PartialShapeMatches[shapes.Length];
        for (int s = 0; s < shapes.Length; s++)
        {
            string entry = RecordsEntry(shapes[s].IouType);
            (int[] shapeClasses, StoredMatch[] shapeRecords) = ReadEntry(zip, entry, source, ReadRecords);
            CheckRecords(source, entry, shapeClasses, shapeRecords, categories, images);
            read[s] = shapes[s] with { Classes = shapeClasses, Records = shapeRecords };
        }
        return (classes, records, read);
    }

    private static void CheckRecords(string source, string entry, int[] classes, StoredMatch[] records, int categories, int images) =>
        Check(source, entry, classes.All(k => (uint)k < (uint)categories) && records.All(r => (uint)r.ImageRank < (uint)images),
            "class and image indices within the categories and images");

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim().TrimEnd('.');

    private static void Check(string source, string entry, bool condition, string expected)
    {
        if (!condition) throw new PartialResultException($"{source}: {entry}: Expected {expected}, but got values outside them.");
    }

    private static void WriteEntry(ZipArchive zip, string name, Action<Stream> write)
    {
        ZipArchiveEntry entry = zip.CreateEntry(name, CompressionLevel.Fastest);
        // A fixed time keeps equal partials byte-identical.
        entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using Stream stream = entry.Open();
        write(stream);
    }

    private static T ReadEntry<T>(ZipArchive zip, string name, string source, Func<Stream, T> read)
    {
        ZipArchiveEntry entry = zip.GetEntry(name) ?? throw new PartialResultException($"{source}: Expected a partial result (a zip holding {name}), but got none.");
        using Stream stream = entry.Open();
        return read(stream);
    }

    // ---- header.json ----

    private sealed record Header(
        string ToolVersion, string Fingerprint, PartialSettings Settings, ImageShard? Shard, string? GroundTruthPath, string? PredictionsLabel,
        string[]? PredictionPaths, InputDigest? GroundTruthDigest, InputDigest[]? PredictionDigests, Category[] Categories, int AreaRanges, int[] Countable, int[] Positives, long Detections, int DetectionsOfUnknownCategories,
        int DetectionsOverMaxDets, bool SharedPredictions, PartialShapeMatches[] Shapes, TideSettings? Tide);

    private static void WriteHeader(Stream stream, PartialResult p)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteNumber("formatVersion", PartialResult.CurrentFormatVersion);
        json.WriteString("toolVersion", p.ToolVersion);
        json.WriteString("groundTruthFingerprint", p.GroundTruthFingerprint);
        json.WriteString("settingsHash", p.Settings.Hash);
        json.WriteStartObject("settings");
        json.WriteBoolean("coco", p.Settings.Metrics.HasFlag(MetricSet.Coco));
        json.WriteBoolean("voc", p.Settings.Metrics.HasFlag(MetricSet.Voc));
        json.WriteNumber("vocIou", p.Settings.Voc.IouThreshold);
        json.WriteString("vocIouRule", p.Settings.Voc.Rule == Matching.Voc.VocIouRule.GreaterOrEqual ? "ge" : "gt");
        json.WriteBoolean("vocPlusOne", p.Settings.Voc.PlusOnePixel);
        json.WriteStartArray("maxDets");
        foreach (int m in p.Settings.MaxDetections) json.WriteNumberValue(m);
        json.WriteEndArray();
        json.WriteStartArray("iouTypes");
        foreach (IouType t in p.Settings.IouTypes) json.WriteStringValue(IouTypeNames.Name(t));
        json.WriteEndArray();
        if (p.Settings.KeypointSigmas is { } sigmas)
        {
            json.WriteStartArray("keypointSigmas");
            foreach (double sigma in sigmas) json.WriteNumberValue(sigma);
            json.WriteEndArray();
        }
        else
        {
            json.WriteNull("keypointSigmas");
        }
        json.WriteEndObject();
        if (p.Shard is { } shard)
        {
            json.WriteStartObject("shard");
            json.WriteNumber("index", shard.Index);
            json.WriteNumber("count", shard.Count);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("shard");
        }
        json.WriteString("groundTruth", p.GroundTruthPath);
        json.WriteString("predictions", p.PredictionsLabel);
        if (p.PredictionPaths is { } parts)
        {
            json.WriteStartArray("predictionParts");
            foreach (string part in parts) json.WriteStringValue(part);
            json.WriteEndArray();
        }
        else
        {
            json.WriteNull("predictionParts");
        }
        if (p.GroundTruthDigest is { } gtDigest)
        {
            json.WritePropertyName("groundTruthContent");
            WriteDigest(json, gtDigest);
        }
        else
        {
            json.WriteNull("groundTruthContent");
        }
        if (p.PredictionDigests is { } predictionDigests)
        {
            json.WriteStartArray("predictionsContent");
            foreach (InputDigest d in predictionDigests) WriteDigest(json, d);
            json.WriteEndArray();
        }
        else
        {
            json.WriteNull("predictionsContent");
        }
        json.WriteNumber("images", p.Images.Length);
        json.WriteNumber("groundTruthBoxes", p.GroundTruth.Count);
        json.WriteNumber("records", p.Records.Length);
        json.WriteNumber("detections", p.Counts.Detections);
        json.WriteNumber("detectionsOfUnknownCategories", p.Counts.DetectionsOfUnknownCategories);
        json.WriteNumber("detectionsOverMaxDets", p.Counts.DetectionsOverMaxDets);
        json.WriteBoolean("sharedPredictions", p.Counts.SharedPredictions);
        json.WriteStartArray("categories");
        foreach (Category c in p.Categories)
        {
            json.WriteStartObject();
            json.WriteNumber("id", c.Id);
            json.WriteString("name", c.Name);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteNumber("areaRanges", p.Counts.AreaRanges);
        WriteInts(json, "countable", p.Counts.Countable);
        WriteInts(json, "positives", p.Counts.Positives);
        json.WriteStartArray("shapeMatches");
        foreach (PartialShapeMatches shape in p.ShapeMatches)
        {
            json.WriteStartObject();
            json.WriteString("iouType", IouTypeNames.Name(shape.IouType));
            json.WriteNumber("records", shape.Records.Length);
            json.WriteNumber("areaRanges", shape.AreaRanges);
            WriteInts(json, "countable", shape.Countable);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (p.Analysis is { } analysis)
        {
            json.WriteStartObject("analysis");
            json.WriteNumber("tideForegroundIou", analysis.Tide.ForegroundIou);
            json.WriteNumber("tideBackgroundIou", analysis.Tide.BackgroundIou);
            json.WriteNumber("tideMaxDets", analysis.Tide.MaxDetectionsPerImage);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("analysis");
        }
        json.WriteEndObject();
    }

    private static void WriteDigest(Utf8JsonWriter json, InputDigest digest)
    {
        json.WriteStartObject();
        json.WriteNumber("bytes", digest.Bytes);
        json.WriteString("sha256", digest.Sha256);
        json.WriteBoolean("folder", digest.IsFolder);
        json.WriteEndObject();
    }

    private static InputDigest? ReadDigest(JsonElement element) => element.ValueKind == JsonValueKind.Null
        ? null
        : new InputDigest(element.GetProperty("bytes").GetInt64(), element.GetProperty("sha256").GetString()!, element.GetProperty("folder").GetBoolean());

    private static void WriteInts(Utf8JsonWriter json, string name, int[] values)
    {
        json.WriteStartArray(name);
        foreach (int v in values) json.WriteNumberValue(v);
        json.WriteEndArray();
    }

    private static Header ReadHeader(Stream stream, string source)
    {
        using JsonDocument document = JsonDocument.Parse(stream);
        JsonElement root = document.RootElement;
        string format = root.TryGetProperty("format", out JsonElement f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : "";
        if (format != Format) throw new PartialResultException($"{source}: Expected a partial result (format \"{Format}\"), but got format \"{format}\".");
        int version = root.GetProperty("formatVersion").GetInt32();
        if (version != PartialResult.CurrentFormatVersion)
        {
            throw new PartialResultException(
                $"{source}: Expected partial format version {PartialResult.CurrentFormatVersion}, but got version {version} (written by deval {root.GetProperty("toolVersion").GetString()}); merge with the version that wrote it.");
        }
        JsonElement settings = root.GetProperty("settings");
        MetricSet metrics = (settings.GetProperty("coco").GetBoolean() ? MetricSet.Coco : 0) | (settings.GetProperty("voc").GetBoolean() ? MetricSet.Voc : 0);
        var voc = new Matching.Voc.VocMatchSettings(
            settings.GetProperty("vocIou").GetDouble(),
            settings.GetProperty("vocIouRule").GetString() == "gt" ? Matching.Voc.VocIouRule.Greater : Matching.Voc.VocIouRule.GreaterOrEqual,
            settings.GetProperty("vocPlusOne").GetBoolean());
        var partialSettings = new PartialSettings(metrics, voc, [.. settings.GetProperty("maxDets").EnumerateArray().Select(e => e.GetInt32())])
        {
            IouTypes = [.. settings.GetProperty("iouTypes").EnumerateArray().Select(e => ParseIouType(e.GetString()))],
            KeypointSigmas = settings.GetProperty("keypointSigmas") is { ValueKind: JsonValueKind.Array } sigmas ? [.. sigmas.EnumerateArray().Select(e => e.GetDouble())] : null,
        };
        if (partialSettings.Hash != root.GetProperty("settingsHash").GetString())
        {
            throw new PartialResultException($"{source}: Expected settings whose hash is the header's settingsHash, but got {partialSettings.Hash}; the header was changed.");
        }
        JsonElement shardElement = root.GetProperty("shard");
        ImageShard? shard = shardElement.ValueKind == JsonValueKind.Null
            ? null
            : new ImageShard(shardElement.GetProperty("index").GetInt32(), shardElement.GetProperty("count").GetInt32());
        shard?.Validate();
        return new Header(
            root.GetProperty("toolVersion").GetString()!,
            root.GetProperty("groundTruthFingerprint").GetString()!,
            partialSettings,
            shard,
            root.GetProperty("groundTruth").GetString(),
            root.GetProperty("predictions").GetString(),
            root.GetProperty("predictionParts") is { ValueKind: JsonValueKind.Array } parts ? [.. parts.EnumerateArray().Select(e => e.GetString() ?? throw new InvalidDataException("predictionParts holds a null."))] : null,
            ReadDigest(root.GetProperty("groundTruthContent")),
            root.GetProperty("predictionsContent") is { ValueKind: JsonValueKind.Array } digests ? [.. digests.EnumerateArray().Select(d => ReadDigest(d) ?? throw new InvalidDataException("predictionsContent holds a null."))] : null,
            [.. root.GetProperty("categories").EnumerateArray().Select(c => new Category(c.GetProperty("id").GetInt64(), c.GetProperty("name").GetString()!))],
            root.GetProperty("areaRanges").GetInt32(),
            [.. root.GetProperty("countable").EnumerateArray().Select(e => e.GetInt32())],
            [.. root.GetProperty("positives").EnumerateArray().Select(e => e.GetInt32())],
            root.GetProperty("detections").GetInt64(),
            root.GetProperty("detectionsOfUnknownCategories").GetInt32(),
            root.GetProperty("detectionsOverMaxDets").GetInt32(),
            root.GetProperty("sharedPredictions").GetBoolean(),
            ReadShapes(root.GetProperty("shapeMatches"), partialSettings),
            root.GetProperty("analysis") is { ValueKind: JsonValueKind.Object } analysis
                ? new TideSettings(analysis.GetProperty("tideForegroundIou").GetDouble(), analysis.GetProperty("tideBackgroundIou").GetDouble(), analysis.GetProperty("tideMaxDets").GetInt32())
                : null);
    }

    private static IouType ParseIouType(string? name) =>
        IouTypeNames.Parse(name) ?? throw new InvalidDataException($"iouTypes holds \"{name}\", not bbox, segm or keypoints.");

    /// <summary>The mask and keypoint sections of the header, without their records; one per such iou type of the settings, in their order.</summary>
    private static PartialShapeMatches[] ReadShapes(JsonElement shapes, PartialSettings settings)
    {
        PartialShapeMatches[] read = [.. shapes.EnumerateArray().Select(e => new PartialShapeMatches(
            ParseIouType(e.GetProperty("iouType").GetString()),
            e.GetProperty("areaRanges").GetInt32(),
            [.. e.GetProperty("countable").EnumerateArray().Select(c => c.GetInt32())],
            new PartialUnits([], [], [], []),
            [],
            []))];
        if (!read.Select(s => s.IouType).SequenceEqual(settings.IouTypes.Where(t => t != IouType.Bbox)) || read.Any(s => s.AreaRanges is < 1 or > CocoOutcome.MaxAreaRanges))
        {
            throw new InvalidDataException($"shapeMatches: expected one section per mask or keypoint iou type of {settings.IouTypeList}");
        }
        return read;
    }

    // ---- Arrow tables ----

    private static void WriteImages(Stream stream, RecordId[] images, int[] indices)
    {
        var numbers = new Int64Array.Builder();
        var texts = new StringArray.Builder();
        foreach (RecordId id in images)
        {
            if (id.Text is { } text)
            {
                numbers.AppendNull();
                texts.Append(text);
            }
            else
            {
                numbers.Append(id.Number);
                texts.AppendNull();
            }
        }
        var schema = new Schema([new Field("id", Int64Type.Default, true), new Field("id_text", StringType.Default, true), Column("index", Int32Type.Default)], null);
        WriteBatches(stream, schema, [new RecordBatch(schema, [numbers.Build(), texts.Build(), Int32s(indices)], images.Length)]);
    }

    private static (RecordId[] Ids, int[] Indices) ReadImages(Stream stream)
    {
        var ids = new List<RecordId>();
        var indices = new List<int>();
        foreach (RecordBatch batch in ReadBatches(stream, "images.arrow", ("id", ArrowTypeId.Int64), ("id_text", ArrowTypeId.String), ("index", ArrowTypeId.Int32)))
        {
            var numbers = (Int64Array)batch.Column(0);
            var texts = (StringArray)batch.Column(1);
            for (int i = 0; i < batch.Length; i++) ids.Add(numbers.GetValue(i) is long n ? new RecordId(n) : new RecordId(texts.GetString(i) ?? throw new InvalidDataException("An image has neither an id nor an id_text.")));
            indices.AddRange(Values<int>(batch, 2));
        }
        return ([.. ids], [.. indices]);
    }

    private static void WriteUnits(Stream stream, PartialUnits units, int areaRanges)
    {
        var schema = new Schema([.. UnitColumns(areaRanges).Select(c => Column(c, Int32Type.Default))], null);
        int n = units.Count;
        IArrowArray[] columns = [Int32s(units.Images), Int32s(units.Classes), Int32s(units.Positives),
            .. Enumerable.Range(0, areaRanges).Select(a => Int32s([.. Enumerable.Range(0, n).Select(u => units.Countable[u * areaRanges + a])]))];
        WriteBatches(stream, schema, [new RecordBatch(schema, columns, n)]);
    }

    private static IEnumerable<string> UnitColumns(int areaRanges) =>
        ["image", "class", "positives", .. Enumerable.Range(0, areaRanges).Select(a => $"countable_{a}")];

    /// <summary>An entry of per-unit counts, checked against the categories and images.</summary>
    private static PartialUnits ReadUnitsEntry(ZipArchive zip, string entry, string source, int areaRanges, int categories, int images)
    {
        PartialUnits units = ReadEntry(zip, entry, source, s => ReadUnits(s, entry, areaRanges));
        Check(source, entry, units.Images.All(i => (uint)i < (uint)images) && units.Classes.All(k => (uint)k < (uint)categories) && units.Countable.All(c => c >= 0) && units.Positives.All(c => c >= 0),
            "image and class indices within the images and categories, and counts of 0 or more");
        return units;
    }

    private static PartialUnits ReadUnits(Stream stream, string entry, int areaRanges)
    {
        var images = new List<int>();
        var classes = new List<int>();
        var positives = new List<int>();
        var countable = new List<int>();
        foreach (RecordBatch b in ReadBatches(stream, entry, [.. UnitColumns(areaRanges).Select(c => (c, ArrowTypeId.Int32))]))
        {
            images.AddRange(Values<int>(b, 0));
            classes.AddRange(Values<int>(b, 1));
            positives.AddRange(Values<int>(b, 2));
            for (int u = 0; u < b.Length; u++)
            {
                for (int a = 0; a < areaRanges; a++) countable.Add(Values<int>(b, 3 + a)[u]);
            }
        }
        return new PartialUnits([.. images], [.. classes], [.. countable], [.. positives]);
    }

    private static void WriteGroundTruth(Stream stream, PartialGroundTruth gt)
    {
        var schema = new Schema(
            [
                Column("image", Int32Type.Default), Column("category", Int32Type.Default),
                Column("x", DoubleType.Default), Column("y", DoubleType.Default), Column("width", DoubleType.Default), Column("height", DoubleType.Default),
                Column("area", DoubleType.Default), Column("flags", UInt8Type.Default),
            ], null);
        int n = gt.Count;
        WriteBatches(stream, schema, [new RecordBatch(schema,
            [
                Int32s(gt.Images), Int32s(gt.Categories),
                Doubles([.. gt.Boxes.Select(b => b.X)]), Doubles([.. gt.Boxes.Select(b => b.Y)]),
                Doubles([.. gt.Boxes.Select(b => b.Width)]), Doubles([.. gt.Boxes.Select(b => b.Height)]),
                Doubles(gt.Areas), new UInt8Array(Buffer(MemoryMarshal.AsBytes(gt.Flags.AsSpan())), ArrowBuffer.Empty, n, 0, 0),
            ], n)]);
    }

    private static PartialGroundTruth ReadGroundTruth(Stream stream)
    {
        var images = new List<int>();
        var categories = new List<int>();
        var boxes = new List<Box>();
        var areas = new List<double>();
        var flags = new List<GroundTruthFlags>();
        foreach (RecordBatch b in ReadBatches(stream, "ground_truth.arrow",
            ("image", ArrowTypeId.Int32), ("category", ArrowTypeId.Int32), ("x", ArrowTypeId.Double), ("y", ArrowTypeId.Double),
            ("width", ArrowTypeId.Double), ("height", ArrowTypeId.Double), ("area", ArrowTypeId.Double), ("flags", ArrowTypeId.UInt8)))
        {
            images.AddRange(Values<int>(b, 0));
            categories.AddRange(Values<int>(b, 1));
            ReadOnlySpan<double> x = Values<double>(b, 2), y = Values<double>(b, 3), w = Values<double>(b, 4), h = Values<double>(b, 5);
            for (int i = 0; i < b.Length; i++) boxes.Add(new Box(x[i], y[i], w[i], h[i]));
            areas.AddRange(Values<double>(b, 6));
            foreach (byte f in Values<byte>(b, 7)) flags.Add((GroundTruthFlags)f);
        }
        return new PartialGroundTruth([.. images], [.. categories], [.. boxes], [.. areas], [.. flags]);
    }

    private static void WriteRecords(Stream stream, int[] classes, StoredMatch[] records)
    {
        var schema = new Schema(
            [
                Column("class", Int32Type.Default), Column("image", Int32Type.Default), Column("position", Int32Type.Default),
                Column("score", DoubleType.Default), Column("coco_rank", Int32Type.Default),
                Column("coco_tp", UInt64Type.Default), Column("coco_ignored", UInt64Type.Default), Column("voc", UInt8Type.Default),
            ], null);
        var batches = new List<RecordBatch>();
        for (int start = 0; start == 0 || start < records.Length; start += RowsPerBatch)
        {
            int n = Math.Min(RowsPerBatch, records.Length - start);
            ReadOnlySpan<StoredMatch> part = records.AsSpan(start, n);
            int[] image = new int[n], position = new int[n], rank = new int[n];
            double[] score = new double[n];
            ulong[] tp = new ulong[n], ignored = new ulong[n];
            byte[] voc = new byte[n];
            for (int i = 0; i < n; i++)
            {
                StoredMatch m = part[i];
                image[i] = m.ImageRank;
                position[i] = m.InputPosition;
                score[i] = m.Score;
                bool kept = m.RankInUnit != StoredMatch.NoCocoRecord;
                rank[i] = kept ? m.RankInUnit : -1;
                CocoOutcome outcome = kept ? m.Coco : default;
                tp[i] = outcome.TruePositives;
                ignored[i] = outcome.Ignored;
                voc[i] = m.VocByte;
            }
            batches.Add(new RecordBatch(schema,
                [
                    Int32s(classes.AsSpan(start, n).ToArray()), Int32s(image), Int32s(position), Doubles(score), Int32s(rank),
                    new UInt64Array(Buffer(MemoryMarshal.AsBytes(tp.AsSpan())), ArrowBuffer.Empty, n, 0, 0),
                    new UInt64Array(Buffer(MemoryMarshal.AsBytes(ignored.AsSpan())), ArrowBuffer.Empty, n, 0, 0),
                    new UInt8Array(Buffer(voc), ArrowBuffer.Empty, n, 0, 0),
                ], n));
        }
        WriteBatches(stream, schema, batches);
    }

    private static (int[] Classes, StoredMatch[] Records) ReadRecords(Stream stream)
    {
        var classes = new List<int>();
        var records = new List<StoredMatch>();
        foreach (RecordBatch b in ReadBatches(stream, "records.arrow",
            ("class", ArrowTypeId.Int32), ("image", ArrowTypeId.Int32), ("position", ArrowTypeId.Int32), ("score", ArrowTypeId.Double),
            ("coco_rank", ArrowTypeId.Int32), ("coco_tp", ArrowTypeId.UInt64), ("coco_ignored", ArrowTypeId.UInt64), ("voc", ArrowTypeId.UInt8)))
        {
            classes.AddRange(Values<int>(b, 0));
            ReadOnlySpan<int> image = Values<int>(b, 1), position = Values<int>(b, 2), rank = Values<int>(b, 4);
            ReadOnlySpan<double> score = Values<double>(b, 3);
            ReadOnlySpan<ulong> tp = Values<ulong>(b, 5), ignored = Values<ulong>(b, 6);
            ReadOnlySpan<byte> voc = Values<byte>(b, 7);
            for (int i = 0; i < b.Length; i++)
            {
                records.Add(StoredMatch.FromColumns(score[i], image[i], position[i], rank[i] < 0 ? StoredMatch.NoCocoRecord : rank[i], new CocoOutcome(tp[i], ignored[i]), voc[i]));
            }
        }
        return ([.. classes], [.. records]);
    }

    // ---- the analysis's tables ----

    private static void WriteAnalysis(ZipArchive zip, PartialAnalysis a)
    {
        WriteEntry(zip, "analysis_images.arrow", s =>
        {
            var names = new StringArray.Builder();
            foreach (AnalysisImage image in a.Images)
            {
                if (image.FileName is { } name) names.Append(name);
                else names.AppendNull();
            }
            var schema = new Schema([Column("order", Int32Type.Default), new Field("file_name", StringType.Default, true)], null);
            WriteBatches(s, schema, [new RecordBatch(schema, [Int32s([.. a.Images.Select(i => i.Order)]), names.Build()], a.Images.Length)]);
        });
        WriteTable(zip, "analysis_voc.arrow", a.Voc.Length,
            ("image", Int32s([.. a.Voc.Select(r => r.Image)])), ("class", Int32s([.. a.Voc.Select(r => r.Class)])),
            ("score", Doubles([.. a.Voc.Select(r => r.Score)])), ("position", Int32s([.. a.Voc.Select(r => r.Position)])),
            ("outcome", Bytes([.. a.Voc.Select(r => (byte)r.Outcome)])), ("best", Int32s([.. a.Voc.Select(r => r.Best)])),
            ("hits", Int32s([.. a.Voc.Select(r => r.Hits)])));
        WriteTable(zip, "analysis_hits.arrow", a.Hits.Length,
            ("ground_truth", Int32s([.. a.Hits.Select(h => h.GroundTruth)])), ("iou", Doubles([.. a.Hits.Select(h => h.Iou)])));
        WriteTable(zip, "tide_objects.arrow", a.Objects.Length,
            ("image", Int32s([.. a.Objects.Select(o => o.Image)])), ("class", Int32s([.. a.Objects.Select(o => o.Object.Class)])),
            ("matched", Bytes([.. a.Objects.Select(o => o.Object.Matched ? (byte)1 : (byte)0)])));
        WriteTable(zip, "tide_points.arrow", a.Points.Length,
            ("image", Int32s([.. a.Points.Select(p => p.Image)])), ("class", Int32s([.. a.Points.Select(p => p.Point.Class)])),
            ("score", Doubles([.. a.Points.Select(p => p.Point.Score)])), ("tp", Bytes([.. a.Points.Select(p => p.Point.True ? (byte)1 : (byte)0)])));
        WriteTable(zip, "tide_errors.arrow", a.Errors.Length,
            ("image", Int32s([.. a.Errors.Select(e => e.Image)])), ("type", Bytes([.. a.Errors.Select(e => (byte)e.Error.Type)])),
            ("class", Int32s([.. a.Errors.Select(e => e.Error.Class)])), ("score", Doubles([.. a.Errors.Select(e => e.Error.Score)])),
            ("fix_class", Int32s([.. a.Errors.Select(e => e.Error.FixClass)])), ("size", Bytes([.. a.Errors.Select(e => (byte)e.Error.Size)])));
    }

    private static void WriteTable(ZipArchive zip, string name, int rows, params (string Name, IArrowArray Values)[] columns)
    {
        var schema = new Schema([.. columns.Select(c => Column(c.Name, c.Values.Data.DataType))], null);
        WriteEntry(zip, name, s => WriteBatches(s, schema, [new RecordBatch(schema, [.. columns.Select(c => c.Values)], rows)]));
    }

    /// <summary>Reads the analysis's tables, checking every index against the partial's images, classes and ground truth.</summary>
    private static PartialAnalysis ReadAnalysis(ZipArchive zip, string source, TideSettings tide, int imageCount, int classCount, PartialGroundTruth gt)
    {
        AnalysisImage[] images = ReadEntry(zip, "analysis_images.arrow", source, s =>
        {
            var rows = new List<AnalysisImage>();
            foreach (RecordBatch b in ReadBatches(s, "analysis_images.arrow", ("order", ArrowTypeId.Int32), ("file_name", ArrowTypeId.String)))
            {
                ReadOnlySpan<int> order = Values<int>(b, 0);
                var names = (StringArray)b.Column(1);
            for (int i = 0; i < b.Length; i++) rows.Add(new AnalysisImage(order[i], names.IsNull(i) ? null : names.GetString(i)));
            }
            return rows.ToArray();
        });
        Check(source, "analysis_images.arrow", images.Length == imageCount && images.All(i => i.Order >= 0), "one row per image with its place in the ground truth");

        var voc = new List<AnalysisVocRecord>();
        ReadTable(zip, source, "analysis_voc.arrow", b =>
        {
            ReadOnlySpan<int> image = Values<int>(b, 0), k = Values<int>(b, 1), position = Values<int>(b, 3), best = Values<int>(b, 5), hits = Values<int>(b, 6);
            ReadOnlySpan<double> score = Values<double>(b, 2);
            ReadOnlySpan<byte> outcome = Values<byte>(b, 4);
            for (int i = 0; i < b.Length; i++) voc.Add(new AnalysisVocRecord(image[i], k[i], score[i], position[i], (VocOutcome)outcome[i], best[i], hits[i]));
        }, ("image", ArrowTypeId.Int32), ("class", ArrowTypeId.Int32), ("score", ArrowTypeId.Double), ("position", ArrowTypeId.Int32),
            ("outcome", ArrowTypeId.UInt8), ("best", ArrowTypeId.Int32), ("hits", ArrowTypeId.Int32));
        var hitRows = new List<AnalysisHit>();
        ReadTable(zip, source, "analysis_hits.arrow", b =>
        {
            ReadOnlySpan<int> row = Values<int>(b, 0);
            ReadOnlySpan<double> iou = Values<double>(b, 1);
            for (int i = 0; i < b.Length; i++) hitRows.Add(new AnalysisHit(row[i], iou[i]));
        }, ("ground_truth", ArrowTypeId.Int32), ("iou", ArrowTypeId.Double));
        CheckVocAnalysis(source, voc, hitRows, imageCount, classCount, gt);

        var objects = new List<TideObjectRow>();
        ReadTable(zip, source, "tide_objects.arrow", b =>
        {
            ReadOnlySpan<int> image = Values<int>(b, 0), k = Values<int>(b, 1);
            ReadOnlySpan<byte> matched = Values<byte>(b, 2);
            for (int i = 0; i < b.Length; i++) objects.Add(new TideObjectRow(image[i], new TideObject(k[i], matched[i] != 0)));
        }, ("image", ArrowTypeId.Int32), ("class", ArrowTypeId.Int32), ("matched", ArrowTypeId.UInt8));
        var points = new List<TidePointRow>();
        ReadTable(zip, source, "tide_points.arrow", b =>
        {
            ReadOnlySpan<int> image = Values<int>(b, 0), k = Values<int>(b, 1);
            ReadOnlySpan<double> score = Values<double>(b, 2);
            ReadOnlySpan<byte> tp = Values<byte>(b, 3);
            for (int i = 0; i < b.Length; i++) points.Add(new TidePointRow(image[i], new TidePoint(k[i], score[i], tp[i] != 0)));
        }, ("image", ArrowTypeId.Int32), ("class", ArrowTypeId.Int32), ("score", ArrowTypeId.Double), ("tp", ArrowTypeId.UInt8));
        var errors = new List<TideErrorRow>();
        ReadTable(zip, source, "tide_errors.arrow", b =>
        {
            ReadOnlySpan<int> image = Values<int>(b, 0), k = Values<int>(b, 2), fix = Values<int>(b, 4);
            ReadOnlySpan<byte> type = Values<byte>(b, 1), size = Values<byte>(b, 5);
            ReadOnlySpan<double> score = Values<double>(b, 3);
            for (int i = 0; i < b.Length; i++) errors.Add(new TideErrorRow(image[i], new TideError((TideErrorType)type[i], k[i], score[i], fix[i], (ObjectSize)size[i])));
        }, ("image", ArrowTypeId.Int32), ("type", ArrowTypeId.UInt8), ("class", ArrowTypeId.Int32), ("score", ArrowTypeId.Double), ("fix_class", ArrowTypeId.Int32), ("size", ArrowTypeId.UInt8));
        bool Within(int image, int k) => (uint)image < (uint)imageCount && (uint)k < (uint)classCount;
        Check(source, "tide_objects.arrow", objects.All(o => Within(o.Image, o.Object.Class)) && Grouped(objects.Select(o => o.Image)), "image and class indices within the images and categories, grouped by image");
        Check(source, "tide_points.arrow", points.All(p => Within(p.Image, p.Point.Class)) && Grouped(points.Select(p => p.Image)), "image and class indices within the images and categories, grouped by image");
        Check(source, "tide_errors.arrow",
            errors.All(e => Within(e.Image, e.Error.Class) && Enum.IsDefined(e.Error.Type) && Enum.IsDefined(e.Error.Size) && e.Error.FixClass >= -1 && e.Error.FixClass < classCount)
            && Grouped(errors.Select(e => e.Image)),
            "image, class, type and size within the images, categories and TIDE's kinds, grouped by image");
        return new PartialAnalysis(tide, images, [.. voc], [.. hitRows], [.. objects], [.. points], [.. errors]);
    }

    /// <summary>
    /// The VOC analysis records must come unit by unit (image, then class, ascending), each record's best
    /// ground truth within its unit, and its hits within its image's ground truth.
    /// </summary>
    private static void CheckVocAnalysis(string source, List<AnalysisVocRecord> voc, List<AnalysisHit> hits, int imageCount, int classCount, PartialGroundTruth gt)
    {
        var unitSize = new Dictionary<(int, int), int>();
        int[] imageSize = new int[imageCount];
        for (int row = 0; row < gt.Count; row++)
        {
            unitSize[(gt.Images[row], gt.Categories[row])] = unitSize.GetValueOrDefault((gt.Images[row], gt.Categories[row])) + 1;
            imageSize[gt.Images[row]]++;
        }
        long next = 0;
        (int Image, int Class) previous = (-1, -1);
        foreach (AnalysisVocRecord r in voc)
        {
            bool valid = (uint)r.Image < (uint)imageCount && (uint)r.Class < (uint)classCount && Enum.IsDefined(r.Outcome) && r.Hits >= 0
                && (r.Image, r.Class).CompareTo(previous) >= 0
                && r.Best >= -1 && r.Best < unitSize.GetValueOrDefault((r.Image, r.Class)) && (r.Outcome != VocOutcome.TruePositive || r.Best >= 0);
            Check(source, "analysis_voc.arrow", valid, "records unit by unit with indices within the images, categories and each unit's ground truth");
            previous = (r.Image, r.Class);
            for (long h = next; h < next + r.Hits && h < hits.Count; h++)
            {
                Check(source, "analysis_hits.arrow", (uint)hits[(int)h].GroundTruth < (uint)imageSize[r.Image], "ground truth indices within each image's ground truth");
            }
            next += r.Hits;
        }
        Check(source, "analysis_hits.arrow", next == hits.Count, "as many hits as analysis_voc.arrow counts");
    }

    private static bool Grouped(IEnumerable<int> images)
    {
        int previous = -1;
        foreach (int image in images)
        {
            if (image < previous) return false;
            previous = image;
        }
        return true;
    }

    /// <summary>Reads the batches of an entry, each while its stream is open.</summary>
    private static void ReadTable(ZipArchive zip, string source, string name, Action<RecordBatch> read, params (string Name, ArrowTypeId Type)[] columns) =>
        ReadEntry(zip, name, source, s =>
        {
            foreach (RecordBatch batch in ReadBatches(s, name, columns)) read(batch);
            return true;
        });

    private static UInt8Array Bytes(byte[] values) => new(Buffer(values), ArrowBuffer.Empty, values.Length, 0, 0);

    private static Field Column(string name, IArrowType type) => new(name, type, nullable: false);

    private static ArrowBuffer Buffer(ReadOnlySpan<byte> bytes) => new(bytes.ToArray());

    private static Int32Array Int32s(int[] values) => new(Buffer(MemoryMarshal.AsBytes(values.AsSpan())), ArrowBuffer.Empty, values.Length, 0, 0);

    private static DoubleArray Doubles(double[] values) => new(Buffer(MemoryMarshal.AsBytes(values.AsSpan())), ArrowBuffer.Empty, values.Length, 0, 0);

    private static ReadOnlySpan<T> Values<T>(RecordBatch batch, int column) where T : struct, IEquatable<T> =>
        batch.Column(column) is PrimitiveArray<T> array && array.NullCount == 0
            ? array.Values
            : throw new InvalidDataException($"Expected column {batch.Schema.GetFieldByIndex(column).Name} without nulls.");

    private static void WriteBatches(Stream stream, Schema schema, IEnumerable<RecordBatch> batches)
    {
        using var writer = new ArrowStreamWriter(stream, schema, leaveOpen: true);
        foreach (RecordBatch batch in batches) writer.WriteRecordBatch(batch);
        writer.WriteEnd();
    }

    private static IEnumerable<RecordBatch> ReadBatches(Stream stream, string entry, params (string Name, ArrowTypeId Type)[] columns)
    {
        using var reader = new ArrowStreamReader(stream, leaveOpen: true);
        // An empty stream has no schema.
        Schema schema = reader.Schema ?? throw new InvalidDataException($"{entry}: expected an Arrow IPC stream, but got no schema");
        string expected = string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"));
        string got = string.Join(", ", schema.FieldsList.Select(f => $"{f.Name} {f.DataType.TypeId}"));
        if (expected != got) throw new InvalidDataException($"{entry}: expected the columns {expected}, but got {got}");
        while (reader.ReadNextRecordBatch() is { } batch) yield return batch;
    }
}
