using System.Text;
using DetectionEval.Fuzz;

namespace DetectionEval.Eval.Tests;

/// <summary>
/// The fuzzer's seeds and every input it ever found (tests/DetectionEval.Fuzz/regressions, named after
/// their target) read without a crash and fail, if they fail, with the one-line input error naming the
/// file and a line or path; a short campaign keeps the harness itself working. docs/fuzzing.md has the
/// long runs.
/// </summary>
public sealed class FuzzRegressionTests
{
    private static string Folder(string name) => Path.Combine(ReferenceData.RepositoryRoot, "tests", "DetectionEval.Fuzz", name);

    public static TheoryData<string> Regressions() => new(Directory.EnumerateFiles(Folder("regressions")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    public static TheoryData<string> TargetNames() => new(Targets.All.Select(t => t.Name));

    private static FuzzTarget TargetOf(string file) =>
        Targets.All.Where(t => file.StartsWith(t.Name + "-", StringComparison.Ordinal)).MaxBy(t => t.Name.Length)
        ?? throw new InvalidOperationException($"{file} names no fuzz target");

    [Theory]
    [MemberData(nameof(Regressions))]
    public void A_found_input_fails_only_with_the_located_input_error(string file)
    {
        FuzzTarget target = TargetOf(file);
        byte[] input = File.ReadAllBytes(Path.Combine(Folder("regressions"), file));
        // Every option combination the campaign draws: box layouts, coordinates, class handling.
        foreach (ulong choice in new ulong[] { 0, 1, 0x100, 0x200, 0x300, 0xC00, 0x1000, 0x1F1F })
        {
            string outcome = Replay.Outcome(target, input, choice, out bool ok);
            Assert.True(ok, $"{file} (choice {choice:X}): {outcome}");
        }
    }

    [Fact]
    public void Every_target_has_seeds_that_read_or_fail_cleanly()
    {
        foreach (FuzzTarget target in Targets.All)
        {
            IReadOnlyList<byte[]> seeds = Corpus.Seeds(target);
            Assert.True(seeds.Count >= 2, $"{target.Name} has {seeds.Count} seeds");
            int read = 0;
            foreach (byte[] seed in seeds)
            {
                string outcome = Replay.Outcome(target, seed, 0, out bool ok);
                Assert.True(ok, $"{target.Name}: {outcome}");
                if (!outcome.StartsWith("input error", StringComparison.Ordinal)) read++;
            }
            Assert.True(read >= 1, $"{target.Name}: no seed is valid input");
        }
    }

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void A_short_campaign_finds_nothing(string name)
    {
        FuzzTarget target = Targets.All.Single(t => t.Name == name);
        var log = new StringWriter();
        CampaignResult result = new Campaign(target, Corpus.Seeds(target), seed: 20240601, crashFolder: null, log).Run(150);
        Assert.True(result.Findings == 0, log.ToString());
        Assert.Equal(150, result.Accepted + result.Refused);
    }

    [Fact]
    public void Whitespace_inside_an_xml_tag_is_refused_before_it_costs_quadratic_time()
    {
        // XmlReader spends time quadratic in a run of whitespace inside one tag: 1 MiB took a second.
        byte[] input = Encoding.UTF8.GetBytes("<annotation" + new string('\n', 1 << 20) + ">");
        string outcome = Replay.Outcome(Targets.All.Single(t => t.Name == "voc-xml"), input, 0, out bool ok);
        Assert.True(ok, outcome);
        Assert.Contains("input:1: Expected XML tags with at most 64 KiB of spaces and line breaks in a row", outcome);
    }
}
