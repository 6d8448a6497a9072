using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Loaders;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Reports;

// Reads a JSON report (the shape JsonReport writes) back into an EvaluationReport, strictly: every field
// the contract names must be there with its type and range (values of AP, AR, precision and recall in
// [0, 1] or null, counts whole and non-negative, maxDets three ascending numbers, "ge"/"gt" for the VOC
// rule, per-class ids ascending and the same in both families, one entry per class). Properties the
// contract does not name are skipped, so reports from later versions with more fields still read.
// Errors are AnnotationFormatException with file, line, column and JSON path, like the loaders'.

/// <summary>Reads the JSON report of <c>deval evaluate --json</c>.</summary>
public static partial class JsonReportReader
{
    private const string Unit = "a number from 0 to 1, or null";
    private const string Count = "a whole number of 0 or more";

    /// <summary>Reads the report at <paramref name="path"/>.</summary>
    /// <exception cref="AnnotationFormatException">The file is missing, not JSON, or not a valid report.</exception>
    public static EvaluationReport Read(string path)
    {
        InputFiles.RequireFile(path);
        using JsonStreamReader json = JsonStreamReader.OpenFile(path, path);
        return ReadReport(json);
    }

    /// <summary>Reads a report from a stream; <paramref name="displayName"/> names it in errors.</summary>
    /// <exception cref="AnnotationFormatException">The stream does not hold a valid report.</exception>
    public static EvaluationReport Read(Stream stream, string displayName)
    {
        using var json = new JsonStreamReader(stream, displayName);
        return ReadReport(json);
    }

    private static EvaluationReport ReadReport(JsonStreamReader json)
    {
        const string TopLevel = "a JSON object written by deval evaluate --json";
        json.ReadExpecting(TopLevel);
        if (json.TokenType != JsonTokenType.StartObject) throw json.Error(TopLevel);
        var scope = new ObjectScope(json);
        (string Name, string Version)? tool = null;
        ReportInputs? inputs = null;
        Located<CocoReport?>? coco = null;
        Located<VocReport?>? voc = null;
        while (scope.Next() is { } name)
        {
            switch (name)
            {
                case "tool": tool = ReadTool(json); break;
                case "inputs": inputs = ReadInputs(json); break;
                case "coco": coco = new(json.CurrentOffset, json.CurrentPath, ReadCoco(json)); break;
                case "voc": voc = new(json.CurrentOffset, json.CurrentPath, ReadVoc(json)); break;
                default: json.Skip(); break;
            }
        }
        scope.Require(("tool", tool is not null), ("inputs", inputs is not null), ("coco", coco is not null), ("voc", voc is not null));
        if (json.Read()) throw json.Error("the end of the file after the report");

        if (coco!.Value is null && voc!.Value is null)
        {
            throw json.ErrorAt(coco.Offset, "$", "COCO or VOC results", "a report where \"coco\" and \"voc\" are both null");
        }
        RequireOneEntryPerClass(json, inputs!, coco);
        RequireOneEntryPerClass(json, inputs!, voc!);
        RequireSameClasses(json, coco, voc!);
        return new EvaluationReport(json.DisplayName, tool!.Value.Name, tool.Value.Version, inputs!, coco.Value, voc!.Value);
    }

    private sealed record Located<T>(long Offset, string Path, T Value);

    // ---- tool and inputs ----

    private static (string Name, string Version) ReadTool(JsonStreamReader json)
    {
        RequireObject(json, "the tool that wrote the report, {\"name\": \"deval\", \"version\": ...}");
        var scope = new ObjectScope(json);
        string? name = null, version = null;
        while (scope.Next() is { } property)
        {
            switch (property)
            {
                case "name":
                    if (json.TokenType != JsonTokenType.String || json.GetString() != "deval") throw json.Error("\"deval\" (a report written by deval)");
                    name = "deval";
                    break;
                case "version": version = ReadString(json, "the version as a string"); break;
                default: json.Skip(); break;
            }
        }
        scope.Require(("name", name is not null), ("version", version is not null));
        return (name!, version!);
    }

    private static ReportInputs ReadInputs(JsonStreamReader json)
    {
        RequireObject(json, "the \"inputs\" object");
        var scope = new ObjectScope(json);
        string? groundTruth = null, predictions = null, fingerprint = null;
        int? images = null, classes = null, boxes = null, detections = null, unknown = null;
        while (scope.Next() is { } property)
        {
            switch (property)
            {
                case "groundTruth": groundTruth = ReadString(json, "the ground-truth path as a string"); break;
                case "predictions": predictions = ReadString(json, "the predictions path as a string"); break;
                case "images": images = ReadCount(json); break;
                case "classes": classes = ReadCount(json); break;
                case "groundTruthBoxes": boxes = ReadCount(json); break;
                case "detections": detections = ReadCount(json); break;
                case "detectionsOfUnknownCategories": unknown = ReadCount(json); break;
                case "groundTruthFingerprint": fingerprint = ReadFingerprint(json); break;
                default: json.Skip(); break;
            }
        }
        scope.Require(
            ("groundTruth", groundTruth is not null), ("predictions", predictions is not null), ("images", images is not null),
            ("classes", classes is not null), ("groundTruthBoxes", boxes is not null), ("detections", detections is not null),
            ("detectionsOfUnknownCategories", unknown is not null), ("groundTruthFingerprint", fingerprint is not null));
        return new ReportInputs(groundTruth!, predictions!, images!.Value, classes!.Value, boxes!.Value, detections!.Value, unknown!.Value, fingerprint!);
    }

    private static string ReadFingerprint(JsonStreamReader json)
    {
        const string Expected = "the ground truth's fingerprint, \"sha256:\" and 64 hex digits";
        if (json.TokenType == JsonTokenType.Null)
        {
            throw json.Error(Expected, hint: "Write the report again with this version of deval evaluate --json.");
        }
        string text = ReadString(json, Expected);
        if (!FingerprintPattern().IsMatch(text)) throw json.Error(Expected);
        return text;
    }

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex FingerprintPattern();

    // ---- coco ----

    private static CocoReport? ReadCoco(JsonStreamReader json)
    {
        if (json.TokenType == JsonTokenType.Null) return null;
        RequireObject(json, "the COCO results object, or null");
        var scope = new ObjectScope(json);
        var stats = new double?[CocoSummary.StatNames.Count];
        var seen = new bool[stats.Length];
        int[]? maxDets = null;
        List<CocoClassResult>? perClass = null;
        while (scope.Next() is { } property)
        {
            int stat = IndexOf(CocoSummary.StatNames, property);
            if (stat >= 0)
            {
                stats[stat] = ReadUnit(json);
                seen[stat] = true;
            }
            else if (property == "maxDets")
            {
                maxDets = ReadMaxDetections(json);
            }
            else if (property == "perClass")
            {
                perClass = ReadArray(json, "one object per class", () => ReadCocoClass(json));
                RequireAscendingIds(json, perClass.Select(c => c.Category));
            }
            else
            {
                json.Skip();
            }
        }
        scope.Require([.. CocoSummary.StatNames.Select((n, i) => (n, seen[i])), ("maxDets", maxDets is not null), ("perClass", perClass is not null)]);
        var summary = new CocoSummary(stats[0], stats[1], stats[2], stats[3], stats[4], stats[5], stats[6], stats[7], stats[8], stats[9], stats[10], stats[11]);
        return new CocoReport(maxDets!, summary, perClass!);
    }

    private static int[] ReadMaxDetections(JsonStreamReader json)
    {
        const string Expected = "three ascending whole numbers of 1 or more, like [1, 10, 100]";
        if (json.TokenType != JsonTokenType.StartArray) throw json.Error(Expected);
        var values = new List<int>();
        while (true)
        {
            json.ReadExpecting(Expected);
            if (json.TokenType == JsonTokenType.EndArray) break;
            if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long v) || v < 1 || v > int.MaxValue
                || (values.Count > 0 && v <= values[^1]) || values.Count == 3)
            {
                throw json.Error(Expected);
            }
            values.Add((int)v);
        }
        if (values.Count != 3) throw json.Error(Expected, Counting.Of(values.Count, "number"));
        return [.. values];
    }

    private static CocoClassResult ReadCocoClass(JsonStreamReader json)
    {
        RequireObject(json, "a class object {\"id\", \"name\", \"AP\", ...}");
        var scope = new ObjectScope(json);
        string[] names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR100"];
        var values = new double?[names.Length];
        var seen = new bool[names.Length];
        long? id = null;
        string? name = null;
        while (scope.Next() is { } property)
        {
            int index = IndexOf(names, property);
            if (index >= 0)
            {
                values[index] = ReadUnit(json);
                seen[index] = true;
            }
            else if (property == "id") id = ReadId(json);
            else if (property == "name") name = ReadString(json, "the class name as a string");
            else json.Skip();
        }
        scope.Require([("id", id is not null), ("name", name is not null), .. names.Select((n, i) => (n, seen[i]))]);
        return new CocoClassResult(new Category(id!.Value, name!), values[0], values[1], values[2], values[3], values[4], values[5], values[6]);
    }

    // ---- voc ----

    private static VocReport? ReadVoc(JsonStreamReader json)
    {
        if (json.TokenType == JsonTokenType.Null) return null;
        RequireObject(json, "the VOC results object, or null");
        var scope = new ObjectScope(json);
        double? iou = null, map07 = null, mapAll = null;
        bool sawMap07 = false, sawMapAll = false;
        VocIouRule? rule = null;
        bool? plusOne = null;
        int? classesInMean = null;
        List<VocClassReport>? perClass = null;
        while (scope.Next() is { } property)
        {
            switch (property)
            {
                case "iou":
                    iou = ReadUnit(json) ?? throw json.Error("the IoU threshold, a number from 0 to 1");
                    break;
                case "iouRule":
                    string text = ReadString(json, "\"ge\" or \"gt\"");
                    rule = text switch
                    {
                        "ge" => VocIouRule.GreaterOrEqual,
                        "gt" => VocIouRule.Greater,
                        _ => throw json.Error("\"ge\" or \"gt\""),
                    };
                    break;
                case "plusOne":
                    if (json.TokenType is not (JsonTokenType.True or JsonTokenType.False)) throw json.Error("true or false");
                    plusOne = json.TokenType == JsonTokenType.True;
                    break;
                case "mAP07": map07 = ReadUnit(json); sawMap07 = true; break;
                case "mAPAll": mapAll = ReadUnit(json); sawMapAll = true; break;
                case "classesInMean": classesInMean = ReadCount(json); break;
                case "perClass":
                    perClass = ReadArray(json, "one object per class", () => ReadVocClass(json));
                    RequireAscendingIds(json, perClass.Select(c => c.Category));
                    break;
                default: json.Skip(); break;
            }
        }
        scope.Require(
            ("iou", iou is not null), ("iouRule", rule is not null), ("plusOne", plusOne is not null), ("mAP07", sawMap07),
            ("mAPAll", sawMapAll), ("classesInMean", classesInMean is not null), ("perClass", perClass is not null));
        return new VocReport(new VocMatchSettings(iou!.Value, rule!.Value, plusOne!.Value), map07, mapAll, classesInMean!.Value, perClass!);
    }

    private static VocClassReport ReadVocClass(JsonStreamReader json)
    {
        RequireObject(json, "a class object {\"id\", \"name\", \"npos\", ...}");
        var scope = new ObjectScope(json);
        string[] counts = ["npos", "detections", "tp", "fp", "ignored"];
        string[] units = ["ap07", "apAll", "maxRecall", "finalPrecision"];
        var countValues = new int?[counts.Length];
        var unitValues = new double?[units.Length];
        var unitSeen = new bool[units.Length];
        long? id = null;
        string? name = null;
        while (scope.Next() is { } property)
        {
            int c = IndexOf(counts, property), u = IndexOf(units, property);
            if (c >= 0) countValues[c] = ReadCount(json);
            else if (u >= 0)
            {
                unitValues[u] = ReadUnit(json);
                unitSeen[u] = true;
            }
            else if (property == "id") id = ReadId(json);
            else if (property == "name") name = ReadString(json, "the class name as a string");
            else json.Skip();
        }
        scope.Require(
            [("id", id is not null), ("name", name is not null), .. counts.Select((n, i) => (n, countValues[i] is not null)),
             .. units.Select((n, i) => (n, unitSeen[i]))]);
        return new VocClassReport(
            new Category(id!.Value, name!), countValues[0]!.Value, countValues[1]!.Value, countValues[2]!.Value, countValues[3]!.Value,
            countValues[4]!.Value, unitValues[0], unitValues[1], unitValues[2], unitValues[3]);
    }

    // ---- whole-report checks ----

    private static void RequireOneEntryPerClass<T>(JsonStreamReader json, ReportInputs inputs, Located<T> family)
    {
        int? entries = family.Value switch
        {
            CocoReport c => c.PerClass.Count,
            VocReport v => v.PerClass.Count,
            _ => null,
        };
        if (entries is int n && n != inputs.Classes)
        {
            throw json.ErrorAt(family.Offset, family.Path + ".perClass",
                $"one entry per class ({inputs.Classes}, as \"inputs.classes\" says)", Counting.Of(n, "entry"));
        }
    }

    private static void RequireSameClasses(JsonStreamReader json, Located<CocoReport?> coco, Located<VocReport?> voc)
    {
        if (coco.Value is null || voc.Value is null) return;
        for (int k = 0; k < coco.Value.PerClass.Count; k++)
        {
            Category c = coco.Value.PerClass[k].Category, v = voc.Value.PerClass[k].Category;
            if (c != v)
            {
                throw json.ErrorAt(voc.Offset, string.Create(CultureInfo.InvariantCulture, $"{voc.Path}.perClass[{k}]"),
                    $"the class of coco.perClass[{k}], {Describe(c)}", Describe(v));
            }
        }
    }

    /// <summary>A class as messages name it: <c>1 "person"</c>.</summary>
    internal static string Describe(Category c) => string.Create(CultureInfo.InvariantCulture, $"{c.Id} \"{c.Name}\"");

    private static void RequireAscendingIds(JsonStreamReader json, IEnumerable<Category> categories)
    {
        long? previous = null;
        int index = 0;
        foreach (Category c in categories)
        {
            if (previous is long p && c.Id <= p)
            {
                throw json.Error(
                    "classes in ascending id order, each once",
                    string.Create(CultureInfo.InvariantCulture, $"id {c.Id} at perClass[{index}] after id {p}"));
            }
            previous = c.Id;
            index++;
        }
    }

    // ---- values ----

    private static void RequireObject(JsonStreamReader json, string expected)
    {
        if (json.TokenType != JsonTokenType.StartObject) throw json.Error(expected);
    }

    private static string ReadString(JsonStreamReader json, string expected)
    {
        if (json.TokenType != JsonTokenType.String) throw json.Error(expected);
        return json.GetString();
    }

    private static double? ReadUnit(JsonStreamReader json)
    {
        if (json.TokenType == JsonTokenType.Null) return null;
        if (json.TokenType != JsonTokenType.Number) throw json.Error(Unit);
        double value = json.GetDouble();
        // VOC's 11-point AP of a perfect class adds eleven elevenths: 1.0000000000000002 is a legitimate value.
        if (!(value >= 0 && value <= 1 + 1e-9)) throw json.Error(Unit);
        return value;
    }

    private static int ReadCount(JsonStreamReader json)
    {
        if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long value) || value < 0 || value > int.MaxValue) throw json.Error(Count);
        return (int)value;
    }

    private static long ReadId(JsonStreamReader json)
    {
        if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long value)) throw json.Error("the class id, a whole number");
        return value;
    }

    private static List<T> ReadArray<T>(JsonStreamReader json, string expected, Func<T> readItem)
    {
        if (json.TokenType != JsonTokenType.StartArray) throw json.Error($"an array with {expected}");
        var items = new List<T>();
        while (true)
        {
            json.ReadExpecting(expected);
            if (json.TokenType == JsonTokenType.EndArray) return items;
            items.Add(readItem());
        }
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] == name) return i;
        }
        return -1;
    }

    /// <summary>Walks the properties of the object the reader stands on; remembers where it started for "missing" errors.</summary>
    private sealed class ObjectScope(JsonStreamReader json)
    {
        private readonly long _offset = json.CurrentOffset;
        private readonly string _path = json.CurrentPath;
        private readonly HashSet<string> _seen = [];

        /// <summary>Moves to the next property's value and returns the property's name; null at the end of the object.</summary>
        public string? Next()
        {
            json.ReadExpecting("a property or the end of the object");
            if (json.TokenType == JsonTokenType.EndObject) return null;
            string name = json.GetString();
            if (!_seen.Add(name)) throw json.Error("each property once", $"\"{name}\" a second time");
            json.ReadExpecting("a value");
            return name;
        }

        /// <summary>Fails on the first required property that was not present.</summary>
        public void Require(params (string Name, bool Present)[] properties)
        {
            foreach ((string name, bool present) in properties)
            {
                if (!present) throw json.ErrorAt(_offset, _path, $"the property \"{name}\"", "an object without it");
            }
        }
    }
}
