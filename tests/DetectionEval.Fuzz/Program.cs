using System.Diagnostics;
using System.Globalization;
using DetectionEval.Fuzz;

// deval's loader fuzzer: see docs/fuzzing.md.
//   dotnet run -c Release --project tests/DetectionEval.Fuzz -- [--target NAME,NAME] [--executions N] [--seed S]
//       [--jobs J] [--findings DIR] [--replay FILE ...] [--list]
// Exit code 0 when nothing was found, 1 with findings, 2 for a usage error.

var options = FuzzOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: DetectionEval.Fuzz [--target NAME,NAME] [--executions N] [--seed S] [--jobs J] [--findings DIR] [--replay FILE ...] [--list]");
    return 2;
}
if (options.List)
{
    foreach (FuzzTarget target in Targets.All) Console.WriteLine($"{target.Name,-16} {target.Loader}");
    return 0;
}
if (options.Replay.Count > 0) return Replay.Run(options.Replay, options.Targets, Console.Out);

Console.WriteLine($"fuzzing {options.Targets.Count} targets, {options.Executions:N0} executions each, seed {options.Seed}, {options.Jobs} at a time");
var clock = Stopwatch.StartNew();
var results = new CampaignResult[options.Targets.Count];
Parallel.For(0, options.Targets.Count, new ParallelOptions { MaxDegreeOfParallelism = options.Jobs }, i =>
{
    FuzzTarget target = options.Targets[i];
    IReadOnlyList<byte[]> seeds = Corpus.Seeds(target);
    // Each target draws from its own stream, so its inputs do not depend on the others or on --jobs.
    ulong seed = options.Seed ^ (ulong)(i + 1) * 0x9E3779B97F4A7C15UL;
    results[i] = new Campaign(target, seeds, seed, options.Findings, Console.Out).Run(options.Executions);
    CampaignResult r = results[i];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{r.Target.Name}: {r.Executions:N0} executions in {r.Elapsed.TotalSeconds:F0} s, {r.Findings} findings"));
});

Console.WriteLine();
Console.WriteLine("| target | loader | executions | read | refused (input error) | findings | corpus | time (s) | executions/s | slowest (ms) |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (CampaignResult r in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Target.Name} | {r.Target.Loader} | {r.Executions:N0} | {r.Accepted:N0} | {r.Refused:N0} | {r.Findings} | {r.CorpusSize} | {r.Elapsed.TotalSeconds:F0} | {r.Executions / Math.Max(r.Elapsed.TotalSeconds, 1e-9):N0} | {r.Slowest.TotalMilliseconds:F0} |"));
}
long findings = results.Sum(r => r.Findings);
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{results.Sum(r => r.Executions):N0} executions in {clock.Elapsed.TotalMinutes:F1} min; {findings} findings{(findings > 0 && options.Findings is not null ? $" (saved in {options.Findings})" : "")}"));
return findings == 0 ? 0 : 1;

/// <summary>The command line of the fuzzer.</summary>
internal sealed record FuzzOptions(IReadOnlyList<FuzzTarget> Targets, long Executions, ulong Seed, int Jobs, string? Findings, IReadOnlyList<string> Replay, bool List)
{
    public static FuzzOptions? Parse(string[] args)
    {
        IReadOnlyList<FuzzTarget> targets = DetectionEval.Fuzz.Targets.All;
        long executions = 1_000_000;
        ulong seed = 1;
        int jobs = Environment.ProcessorCount;
        string? findings = Path.Combine(Corpus.RepositoryRoot, "artifacts", "fuzz-findings");
        var replay = new List<string>();
        bool list = false;
        for (int i = 0; i < args.Length; i++)
        {
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--target":
                    string[] names = (Value() ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
                    if (names.Any(n => DetectionEval.Fuzz.Targets.All.All(t => t.Name != n))) return null;
                    targets = [.. DetectionEval.Fuzz.Targets.All.Where(t => names.Contains(t.Name))];
                    break;
                case "--executions":
                    if (!long.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out executions)) return null;
                    break;
                case "--seed":
                    if (!ulong.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out seed)) return null;
                    break;
                case "--jobs":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out jobs) || jobs < 1) return null;
                    break;
                case "--findings":
                    findings = Value();
                    if (findings is null) return null;
                    break;
                case "--replay":
                    while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) replay.Add(args[++i]);
                    break;
                case "--list":
                    list = true;
                    break;
                default:
                    return null;
            }
        }
        return new FuzzOptions(targets, executions, seed, jobs, findings, replay, list);
    }
}
