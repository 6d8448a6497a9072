using System.Diagnostics;
using System.Globalization;

namespace DetectionEval.Cli.Runs;

/// <summary>Wall time of each stage of a run, for <c>--timings</c>; printed on stderr, one line per stage.</summary>
public sealed class StageTimings
{
    private readonly List<(string Stage, TimeSpan Elapsed)> _stages = [];
    private readonly Stopwatch _total = Stopwatch.StartNew();

    /// <summary>Runs and times <paramref name="work"/>.</summary>
    public void Time(string stage, Action work)
    {
        long start = Stopwatch.GetTimestamp();
        work();
        _stages.Add((stage, Stopwatch.GetElapsedTime(start)));
    }

    /// <summary>Runs and times <paramref name="work"/>, returning its result.</summary>
    public T Time<T>(string stage, Func<T> work)
    {
        long start = Stopwatch.GetTimestamp();
        T result = work();
        _stages.Add((stage, Stopwatch.GetElapsedTime(start)));
        return result;
    }

    /// <summary>Records a stage timed elsewhere (the pipeline's, through its observer).</summary>
    public void Record(string stage, TimeSpan elapsed) => _stages.Add((stage, elapsed));

    /// <summary>The stages timed so far, in order.</summary>
    public IReadOnlyList<(string Stage, TimeSpan Elapsed)> Stages => _stages;

    /// <summary>Writes one line per stage and a total since the command started (process start-up not included).</summary>
    public void Print(TextWriter error, string engine)
    {
        foreach ((string stage, TimeSpan elapsed) in _stages)
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DevalApp.ToolName}: time: {stage,-16} {elapsed.TotalSeconds,8:F3} s"));
        }
        error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DevalApp.ToolName}: time: {"total",-16} {_total.Elapsed.TotalSeconds,8:F3} s (IoU on {engine})"));
        error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DevalApp.ToolName}: time: {"JIT compiling",-16} {System.Runtime.JitInfo.GetCompilationTime().TotalSeconds,8:F3} s ({System.Runtime.JitInfo.GetCompiledMethodCount():N0} methods; all threads, since the process started)"));
        error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DevalApp.ToolName}: time: {"GC pauses",-16} {GC.GetTotalPauseDuration().TotalSeconds,8:F3} s ({GC.CollectionCount(0):N0} collections: {GC.CollectionCount(1):N0} of them gen1 or gen2, {GC.CollectionCount(2):N0} gen2)"));
    }
}
