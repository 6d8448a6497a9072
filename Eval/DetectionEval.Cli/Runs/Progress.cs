using System.Globalization;
using System.Text;
using DetectionEval.Eval;

namespace DetectionEval.Cli.Runs;

/// <summary>
/// A one-line progress display on stderr for long runs: it appears only when stderr is the process's own
/// terminal (never when redirected, in CI, or in tests that capture output), and only once the run has
/// taken more than about two seconds. It names the stage, how much of it is done where its size is known
/// (<c>loading 312 MB of 1.98 GB (16 %), about 9 s left</c>), rewrites its line and clears it when done.
/// </summary>
/// <remarks>
/// The stages of the loaders and the evaluation tell it their size and their work through
/// <see cref="IProgressSink"/> (<see cref="Sink"/>); the command names its own stages with
/// <see cref="Stage"/>. Messages written while the line shows go through <see cref="Writer"/>, which
/// clears the line first.
/// </remarks>
public sealed class Progress : IProgressSink, IDisposable
{
    private static readonly TimeSpan FirstShown = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly TextWriter? _terminal;
    private readonly Func<TimeSpan> _clock;
    private readonly Timer? _timer;
    private readonly object _gate = new();
    private string _stage;
    private ProgressUnit _unit;
    private long _total;
    private long _done;
    private TimeSpan _stageStart;
    private bool _shown;
    private bool _finished;

    /// <param name="error">The command's error writer.</param>
    /// <param name="display">Whether the line is drawn on <paramref name="error"/>.</param>
    /// <param name="clock">The time since the start.</param>
    /// <param name="timer">Whether a timer draws the line; else only <see cref="Show"/> does.</param>
    /// <param name="stage">The first stage.</param>
    /// <param name="unit">What its work is counted in.</param>
    /// <param name="total">Its size, or 0 when unknown.</param>
    private Progress(TextWriter error, bool display, Func<TimeSpan> clock, bool timer, string stage, ProgressUnit unit, long total)
    {
        _terminal = display ? error : null;
        _clock = clock;
        _stage = stage;
        _unit = unit;
        _total = total;
        _stageStart = clock();
        Writer = display ? new LineClearingWriter(this, error) : error;
        if (display && timer) _timer = new Timer(_ => Show(), null, FirstShown, Interval);
    }

    /// <summary>A display on <paramref name="terminal"/> whatever it is, drawn only when <see cref="Show"/> is called, on <paramref name="clock"/>'s time (tests).</summary>
    internal Progress(TextWriter terminal, Func<TimeSpan> clock, string stage)
        : this(terminal, display: true, clock, timer: false, stage, ProgressUnit.None, 0)
    {
    }

    /// <summary>Starts a display for a stage; a silent one unless <paramref name="error"/> is an interactive terminal.</summary>
    /// <param name="error">The command's error writer.</param>
    /// <param name="stage">What is running, e.g. "loading".</param>
    /// <param name="total">Units of work in the stage, or 0 when unknown.</param>
    /// <param name="unit">What the work is counted in.</param>
    public static Progress Start(TextWriter error, string stage, long total = 0, ProgressUnit unit = ProgressUnit.None)
    {
        ArgumentNullException.ThrowIfNull(error);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        return new Progress(error, IsInteractive(error), () => clock.Elapsed, timer: true, stage, unit, total);
    }

    /// <summary>True when <paramref name="error"/> is the console's stderr, stderr is a terminal and no CI is set.</summary>
    public static bool IsInteractive(TextWriter error) =>
        ReferenceEquals(error, Console.Error)
        && !Console.IsErrorRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>The sink for the loaders and the evaluation: this display, or null when nothing is shown (so that they count nothing).</summary>
    public IProgressSink? Sink => _terminal is null ? null : this;

    /// <summary>The error writer for messages during the run: it clears the progress line before writing (the error writer itself when nothing is shown).</summary>
    public TextWriter Writer { get; }

    /// <summary>Records how many units of the current stage are done.</summary>
    public void Report(long done) => Interlocked.Exchange(ref _done, done);

    /// <summary>Moves to the next stage, named by the command.</summary>
    /// <param name="stage">What is running, e.g. "operating points".</param>
    /// <param name="unit">What its work is counted in.</param>
    /// <param name="total">Units of work in the stage, or 0 when unknown.</param>
    public void Stage(string stage, ProgressUnit unit = ProgressUnit.None, long total = 0)
    {
        lock (_gate) StartStage(stage, unit, total);
    }

    /// <inheritdoc />
    /// <remarks>A step of the stage already running, not yet done (two files loaded side by side), adds its size to the stage's.</remarks>
    public void Begin(WorkStage stage, long total)
    {
        (string name, ProgressUnit unit) = Describe(stage);
        lock (_gate)
        {
            if (name == _stage && Interlocked.Read(ref _done) < _total) _total += total;
            else StartStage(name, unit, total);
        }
    }

    /// <inheritdoc />
    public void Advance(long done) => Interlocked.Add(ref _done, done);

    /// <summary>Stops the display and clears its line.</summary>
    public void Done()
    {
        _timer?.Dispose();
        lock (_gate)
        {
            if (_finished) return;
            _finished = true;
            ClearLine();
        }
    }

    /// <inheritdoc />
    public void Dispose() => Done();

    /// <summary>The name and unit of a stage of the loaders or the evaluation.</summary>
    internal static (string Name, ProgressUnit Unit) Describe(WorkStage stage) => stage switch
    {
        WorkStage.Loading => ("loading", ProgressUnit.Bytes),
        WorkStage.MatchingCoco => ("matching COCO", ProgressUnit.ImageClassPairs),
        WorkStage.MatchingVoc => ("matching VOC", ProgressUnit.ImageClassPairs),
        WorkStage.AccumulatingCoco => ("accumulating COCO", ProgressUnit.Classes),
        WorkStage.AccumulatingVoc => ("accumulating VOC", ProgressUnit.Classes),
        WorkStage.MatchingShards => ("matching", ProgressUnit.Detections),
        WorkStage.AccumulatingShards => ("accumulating", ProgressUnit.Detections),
        _ => ("resampling", ProgressUnit.Replicates),
    };

    /// <summary>Draws the line now (the timer calls it; tests call it with their own clock).</summary>
    internal void Show()
    {
        lock (_gate)
        {
            if (_finished) return;
            string line = ProgressLine.Format(_stage, _unit, Interlocked.Read(ref _done), _total, _clock() - _stageStart);
            _terminal!.Write($"\r\u001b[2K{DevalApp.ToolName}: {line}");
            _terminal.Flush();
            _shown = true;
        }
    }

    private void StartStage(string stage, ProgressUnit unit, long total)
    {
        _stage = stage;
        _unit = unit;
        _total = total;
        _stageStart = _clock();
        Interlocked.Exchange(ref _done, 0);
    }

    /// <summary>Clears the line if it shows; the caller holds the lock.</summary>
    private void ClearLine()
    {
        if (!_shown) return;
        _terminal!.Write("\r\u001b[2K");
        _shown = false;
    }

    /// <summary>Writes to the terminal, clearing the progress line first; the next tick draws it again below.</summary>
    private sealed class LineClearingWriter(Progress progress, TextWriter terminal) : TextWriter(CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => terminal.Encoding;

        public override void Write(char value) => Pass(() => terminal.Write(value));

        public override void Write(string? value) => Pass(() => terminal.Write(value));

        public override void Write(char[] buffer, int index, int count) => Pass(() => terminal.Write(buffer, index, count));

        public override void WriteLine(string? value) => Pass(() => terminal.WriteLine(value));

        public override void WriteLine() => Pass(terminal.WriteLine);

        public override void Flush() => terminal.Flush();

        private void Pass(Action write)
        {
            lock (progress._gate)
            {
                progress.ClearLine();
                write();
            }
        }
    }
}

/// <summary>What a stage's work is counted in, as the progress line names it.</summary>
public enum ProgressUnit
{
    /// <summary>Not counted: the line shows the stage and its time.</summary>
    None,

    /// <summary>Bytes of input, shown as kB, MB, GB.</summary>
    Bytes,

    /// <summary>Images.</summary>
    Images,

    /// <summary>The match stages' units, one per image and class with boxes.</summary>
    ImageClassPairs,

    /// <summary>Classes.</summary>
    Classes,

    /// <summary>Detections.</summary>
    Detections,

    /// <summary>Bootstrap replicates.</summary>
    Replicates,
}

/// <summary>
/// The text of the progress line, from the stage, its counts and its time: pure functions, so that the
/// display's wording and its estimate of the time left are tested without a terminal or a clock.
/// </summary>
internal static class ProgressLine
{
    /// <summary>The share of a stage done before the time left is estimated: earlier, the rate is mostly start-up.</summary>
    public const double EstimateAfterShare = 0.05;

    /// <summary>The time into a stage before the time left is estimated.</summary>
    public static readonly TimeSpan EstimateAfterTime = TimeSpan.FromSeconds(1);

    /// <summary>
    /// "loading 312 MB of 1.98 GB (16 %), about 9 s left": the stage, the work done of its total with the
    /// share (rounded down, so 100 % means done), and the time left once it can be estimated; once the
    /// counted work is done and the stage still runs (the loader indexing what it read), the stage's time
    /// so far, "(100 %, 6.2 s)"; for a stage of unknown size, its time so far, "operating points (1.2 s)".
    /// </summary>
    public static string Format(string stage, ProgressUnit unit, long done, long total, TimeSpan elapsed)
    {
        if (total <= 0 || unit == ProgressUnit.None)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{stage} ({elapsed.TotalSeconds:F1} s)");
        }
        long shown = Math.Clamp(done, 0, total);
        long percent = (long)((decimal)shown * 100 / total);
        string amounts = unit == ProgressUnit.Bytes
            ? $"{Bytes(shown)} of {Bytes(total)}"
            : string.Create(CultureInfo.InvariantCulture, $"{shown:N0} of {total:N0} {Noun(unit)}");
        if (done >= total) return string.Create(CultureInfo.InvariantCulture, $"{stage} {amounts} (100 %, {elapsed.TotalSeconds:F1} s)");
        string line = string.Create(CultureInfo.InvariantCulture, $"{stage} {amounts} ({percent} %)");
        return Remaining(elapsed, done, total) is TimeSpan left ? $"{line}, about {Duration(left)} left" : line;
    }

    /// <summary>
    /// The time left at the stage's own rate so far, elapsed × (total − done) / done; null before
    /// <see cref="EstimateAfterShare"/> of the work and <see cref="EstimateAfterTime"/> (too early to
    /// tell), and once the work is done.
    /// </summary>
    public static TimeSpan? Remaining(TimeSpan elapsed, long done, long total)
    {
        if (total <= 0 || done >= total || elapsed < EstimateAfterTime || done < EstimateAfterShare * total) return null;
        return TimeSpan.FromSeconds(elapsed.TotalSeconds * (total - done) / done);
    }

    /// <summary>A time left in words: "9 s" up to 90 s, then "4 min" up to 90 minutes, then "2 h 5 min"; never "0 s".</summary>
    public static string Duration(TimeSpan left)
    {
        long seconds = Math.Max(1, (long)Math.Ceiling(left.TotalSeconds));
        if (seconds < 90) return string.Create(CultureInfo.InvariantCulture, $"{seconds} s");
        long minutes = (long)Math.Round(seconds / 60.0, MidpointRounding.AwayFromZero);
        if (minutes < 90) return string.Create(CultureInfo.InvariantCulture, $"{minutes} min");
        return string.Create(CultureInfo.InvariantCulture, $"{minutes / 60} h {minutes % 60} min");
    }

    /// <summary>A byte count in decimal units with three significant digits: "950 B", "47.3 MB", "1.98 GB".</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        double value = bytes;
        int unit = 0;
        // Rounded to three digits, 999.7 MB reads 1.00 GB, not 1000 MB.
        while (unit < units.Length - 1 && Math.Abs(value) >= 999.5)
        {
            value /= 1000;
            unit++;
        }
        string number = unit == 0 ? bytes.ToString(CultureInfo.InvariantCulture)
            : Math.Abs(value) < 9.995 ? value.ToString("0.00", CultureInfo.InvariantCulture)
            : Math.Abs(value) < 99.95 ? value.ToString("0.0", CultureInfo.InvariantCulture)
            : value.ToString("0", CultureInfo.InvariantCulture);
        return $"{number} {units[unit]}";
    }

    private static string Noun(ProgressUnit unit) => unit switch
    {
        ProgressUnit.Images => "images",
        ProgressUnit.ImageClassPairs => "image-class pairs",
        ProgressUnit.Classes => "classes",
        ProgressUnit.Detections => "detections",
        ProgressUnit.Replicates => "replicates",
        _ => "bytes",
    };
}
