using System.Text.Json;
using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;

namespace DetectionEval.Eval.Tests.Analysis;

/// <summary>
/// TIDE's own numbers (tests/data/tide, see its SOURCE.md) on the COCO sample and the reference cases:
/// counts exactly, AP and every dAP to the last bit.
/// </summary>
public sealed class TideReferenceTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(ReferenceData.RepositoryRoot, "tests", "data", "tide"), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }
        return data;
    }

    private static string CaseFolder(string name) => name == "coco_val2014_100"
        ? Path.Combine(ReferenceData.RepositoryRoot, "samples", "coco-val2014-100")
        : Directory.Exists(ReferenceData.Case(Path.Combine("cases", name))) ? ReferenceData.Case(Path.Combine("cases", name)) : ReferenceData.Case(Path.Combine("peer", name));

    private static Dataset Load(string name)
    {
        string folder = CaseFolder(name);
        bool sample = name == "coco_val2014_100";
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Path.Combine(folder, sample ? "instances_val2014_100.json" : "gt.json"), builder);
        CocoJson.ReadDetections(Path.Combine(folder, sample ? "fakebbox100_results.json" : "dt.json"), builder);
        return builder.Build();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Counts_ap_and_every_dap_are_tides_to_the_last_bit(string name) =>
        AssertTides(name, TideAnalysis.Compute(Load(name), threads: 2));

    [Theory]
    [InlineData("c05_maxdets", 1)]
    [InlineData("c05_maxdets", 4)]
    [InlineData("c06_ties_duplicates", 1)]
    [InlineData("c06_ties_duplicates", 4)]
    public void With_any_number_of_threads_the_result_is_tides(string name, int threads) =>
        AssertTides(name, TideAnalysis.Compute(Load(name), threads: threads));

    private static void AssertTides(string name, TideResult result)
    {
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceData.RepositoryRoot, "tests", "data", "tide", name + ".json")));
        JsonElement root = expected.RootElement;
        Assert.Equal(root.GetProperty("ap").GetDouble(), result.Ap);
        foreach (TideErrorSummary error in result.Errors)
        {
            JsonElement e = root.GetProperty("errors").GetProperty(TideResult.ShortName(error.Type));
            Assert.Equal(e.GetProperty("count").GetInt32(), error.Count);
            Assert.Equal(e.GetProperty("dAP").GetDouble(), error.DeltaAp);
            foreach (TideSizeErrors size in error.BySize)
            {
                JsonElement s = e.GetProperty("bySize").GetProperty(TideResult.SizeName(size.Size));
                Assert.Equal(s.GetProperty("count").GetInt32(), size.Count);
                Assert.Equal(s.GetProperty("dAP").GetDouble(), size.DeltaAp);
            }
        }
        Assert.Equal(root.GetProperty("FalsePos").GetDouble(), result.FalsePositiveDeltaAp);
        Assert.Equal(root.GetProperty("FalseNeg").GetDouble(), result.FalseNegativeDeltaAp);
    }
}
