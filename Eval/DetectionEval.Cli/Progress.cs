using System.Globalization;

namespace DetectionEval.Cli;

/// <summary>
/// A one-line progress display on stderr for long runs: it appears only when stderr is the process's own
/// terminal (never when redirected, in CI, or in tests that capture output), and only once the run has
/// taken more than about two seconds. It rewrites one line and clears it when done.
/// </summary>
public sealed class Progress : IDisposable
{
    private static readonly TimeSpan FirstShown = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly TextWriter? _terminal;
    private readonly Timer? _timer;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly object _gate = new();
    private string _stage;
    private long _total;
    private readonly string _unit;
    private long _done;
    private bool _shown;
    private bool _finished;

    private Progress(TextWriter? terminal, string stage, long total, string unit)
    {
        _terminal = terminal;
        _stage = stage;
        _total = total;
        _unit = unit;
        if (terminal is not null) _timer = new Timer(_ => Show(), null, FirstShown, Interval);
    }

    /// <summary>Starts a display for a stage; a silent one unless <paramref name="error"/> is an interactive terminal.</summary>
    /// <param name="error">The command's error writer.</param>
    /// <param name="stage">What is running, e.g. "matching".</param>
    /// <param name="total">Units of work in the stage, or 0 when unknown.</param>
    /// <param name="unit">Name of the unit of work, e.g. "images".</param>
    public static Progress Start(TextWriter error, string stage, long total = 0, string unit = "") =>
        new(IsInteractive(error) ? error : null, stage, total, unit);

    /// <summary>True when <paramref name="error"/> is the console's stderr, stderr is a terminal and no CI is set.</summary>
    public static bool IsInteractive(TextWriter error) =>
        ReferenceEquals(error, Console.Error)
        && !Console.IsErrorRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>Records how many units are done; cheap enough to call often.</summary>
    public void Report(int done) => Interlocked.Exchange(ref _done, done);

    /// <summary>Moves to the next stage.</summary>
    public void Stage(string stage, long total = 0)
    {
        lock (_gate)
        {
            _stage = stage;
            _total = total;
            Interlocked.Exchange(ref _done, 0);
        }
    }

    /// <summary>Stops the display and clears its line.</summary>
    public void Done()
    {
        _timer?.Dispose();
        lock (_gate)
        {
            if (_finished) return;
            _finished = true;
            if (_shown) _terminal!.Write("\r\u001b[2K");
        }
    }

    /// <inheritdoc />
    public void Dispose() => Done();

    private void Show()
    {
        lock (_gate)
        {
            if (_finished) return;
            string counter = _total > 0
                ? string.Create(CultureInfo.InvariantCulture, $" {Interlocked.Read(ref _done):N0} / {_total:N0} {_unit}")
                : "";
            _terminal!.Write(string.Create(CultureInfo.InvariantCulture, $"\r\u001b[2K{DevalApp.ToolName}: {_stage}{counter} ({_clock.Elapsed.TotalSeconds:F1} s)"));
            _terminal.Flush();
            _shown = true;
        }
    }
}
