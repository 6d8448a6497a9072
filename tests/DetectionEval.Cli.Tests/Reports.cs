using System.Text.Json;

namespace DetectionEval.Cli.Tests;

/// <summary>Comparisons of JSON reports.</summary>
internal static class Reports
{
    /// <summary>Runs evaluate with --json - and parses the report.</summary>
    public static JsonDocument Evaluate(params string[] args)
    {
        CommandRun run = Deval.Run(["evaluate", .. args, "--json", "-"]);
        Assert.True(run.ExitCode == 0, $"deval evaluate {string.Join(' ', args)} exited {run.ExitCode}: {run.Error}");
        return JsonDocument.Parse(run.Output);
    }

    /// <summary>
    /// Every number of the two reports is the same double; classes are matched by name (formats renumber
    /// them). With <paramref name="only"/>, the COCO values compared are those names; <paramref name="families"/>
    /// picks coco and/or voc (both by default).
    /// </summary>
    public static void AssertSameNumbers(JsonElement before, JsonElement after, string where, IReadOnlySet<string>? only = null, string[]? families = null)
    {
        foreach (string key in new[] { "images", "classes", "groundTruthBoxes", "detections" })
        {
            Assert.Equal(before.GetProperty("inputs").GetProperty(key).GetInt32(), after.GetProperty("inputs").GetProperty(key).GetInt32());
        }
        foreach (string family in families ?? ["coco", "voc"])
        {
            JsonElement a = before.GetProperty(family), b = after.GetProperty(family);
            int compared = 0;
            foreach (JsonProperty value in a.EnumerateObject())
            {
                if (value.Name == "perClass" || (only is not null && family == "coco" && !only.Contains(value.Name))) continue;
                Assert.True(value.Value.GetRawText() == b.GetProperty(value.Name).GetRawText(), $"{where} {family}.{value.Name}: {value.Value.GetRawText()} before, {b.GetProperty(value.Name).GetRawText()} after");
                compared++;
            }
            Assert.True(compared >= 3);
            var afterByName = b.GetProperty("perClass").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
            foreach (JsonElement cls in a.GetProperty("perClass").EnumerateArray())
            {
                JsonElement other = afterByName[cls.GetProperty("name").GetString()!];
                foreach (JsonProperty value in cls.EnumerateObject())
                {
                    if (value.Name == "id" || (only is not null && family == "coco" && !only.Contains(value.Name))) continue;
                    Assert.True(value.Value.GetRawText() == other.GetProperty(value.Name).GetRawText(), $"{where} {family} {cls.GetProperty("name")} {value.Name}");
                }
            }
        }
    }
}
