using DetectionEval.Eval.Formats;
using DetectionEval.Eval.IO;

namespace DetectionEval.Fuzz;

/// <summary>Runs saved inputs through a target again (a finding's .bin file names its target) and says what each gives.</summary>
internal static class Replay
{
    public static int Run(IReadOnlyList<string> files, IReadOnlyList<FuzzTarget> targets, TextWriter output)
    {
        int broken = 0;
        foreach (string file in files)
        {
            string name = Path.GetFileName(file);
            FuzzTarget? target = targets.Count == 1 ? targets[0] : Targets.All.Where(t => name.StartsWith(t.Name + "-", StringComparison.Ordinal)).MaxBy(t => t.Name.Length);
            if (target is null)
            {
                output.WriteLine($"{file}: no target (name it with --target)");
                broken++;
                continue;
            }
            string verdict = Outcome(target, File.ReadAllBytes(file), 0, out bool ok);
            if (!ok) broken++;
            output.WriteLine($"{file} ({target.Name}): {verdict}");
        }
        return broken == 0 ? 0 : 1;
    }

    /// <summary>What one input gives; <paramref name="ok"/> is false when it breaks the rules of the input error.</summary>
    public static string Outcome(FuzzTarget target, byte[] input, ulong choice, out bool ok)
    {
        try
        {
            string signature = target.Run(input, choice);
            ok = true;
            return signature;
        }
        catch (AnnotationFormatException e)
        {
            string? problem = Campaign.CheckDomainError(e);
            ok = problem is null;
            string inner = e.InnerException is { } cause ? $" (from {cause.GetType().Name}: {cause.Message.ReplaceLineEndings(" ")})" : "";
            return (problem ?? "input error: " + e.Message) + inner;
        }
        catch (Exception e)
        {
            ok = false;
            return $"unexpected {e.GetType().FullName}: {e}";
        }
    }
}
