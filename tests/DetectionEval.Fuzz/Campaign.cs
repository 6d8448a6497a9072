using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.IO;

namespace DetectionEval.Fuzz;

/*
 * One fuzz campaign: a target, its seed corpus, a seed for the random stream and a number of
 * executions. Each execution mutates a corpus entry (Mutator), runs the target and judges the outcome:
 *   - success, or AnnotationFormatException naming the file and a line or a JSON path / XML element,
 *     in a message of one line of at most MaxMessageLength characters: allowed;
 *   - any other exception, a message that breaks those rules, an execution slower than SlowExecution
 *     (a hang in the making) or one that allocates more than MaxAllocation: a finding, saved with the
 *     exception under the crashes folder as <target>-<sha256 prefix>.bin and .txt.
 * Inputs whose outcome has a signature not seen before (a new error message shape, a new kind of
 * successful read) join the corpus, a cheap stand-in for coverage feedback. A watchdog thread saves the
 * running input and stops the process when one execution runs past HangLimit.
 */

/// <summary>What a campaign found.</summary>
/// <param name="Target">The target.</param>
/// <param name="Executions">Inputs run.</param>
/// <param name="Accepted">Inputs the loader read without error.</param>
/// <param name="Refused">Inputs refused with the domain error.</param>
/// <param name="Findings">Inputs that broke a rule (crash, bad message, slow, too much memory); each is saved.</param>
/// <param name="CorpusSize">Corpus entries at the end (seeds and kept inputs).</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="Slowest">The slowest execution.</param>
internal sealed record CampaignResult(FuzzTarget Target, long Executions, long Accepted, long Refused, long Findings, int CorpusSize, TimeSpan Elapsed, TimeSpan Slowest);

internal sealed class Campaign(FuzzTarget target, IReadOnlyList<byte[]> seeds, ulong seed, string? crashFolder, TextWriter log)
{
    /// <summary>An error message longer than this is a finding: one stderr line must stay readable.</summary>
    public const int MaxMessageLength = 1000;

    /// <summary>An execution slower than this is a finding (inputs are at most a few MiB).</summary>
    public static readonly TimeSpan SlowExecution = TimeSpan.FromSeconds(2);

    /// <summary>The watchdog stops the process when one execution runs this long.</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);

    /// <summary>An execution that allocates more than this is a finding (256 MiB for inputs of at most 2 MiB).</summary>
    public const long MaxAllocation = 256L << 20;

    private const int MaxCorpus = 512;

    private readonly List<byte[]> _corpus = [.. seeds];
    private readonly HashSet<string> _signatures = new(StringComparer.Ordinal);

    public CampaignResult Run(long executions)
    {
        var mutator = new Mutator(seed, target.Tokens);
        var clock = Stopwatch.StartNew();
        long accepted = 0, refused = 0, findings = 0;
        TimeSpan slowest = TimeSpan.Zero;
        foreach (byte[] input in seeds)
        {
            string? signature = Judge(input, 0, out TimeSpan _, out string? problem);
            if (problem is not null) findings += Save(input, problem);
            if (signature is not null) _signatures.Add(signature);
        }
        using var watchdog = new Watchdog(target, crashFolder, log);
        for (long n = 0; n < executions; n++)
        {
            byte[] input = mutator.Next(_corpus);
            ulong choice = mutator.Random.NextUInt64();
            watchdog.Enter(input);
            string? signature = Judge(input, choice, out TimeSpan elapsed, out string? problem);
            watchdog.Leave();
            if (elapsed > slowest) slowest = elapsed;
            if (problem is not null)
            {
                findings += Save(input, problem);
                continue;
            }
            if (signature!.StartsWith("error", StringComparison.Ordinal)) refused++;
            else accepted++;
            if (_signatures.Add(signature) && _corpus.Count < MaxCorpus && input.Length <= Mutator.MaxLength) _corpus.Add(input);
        }
        return new CampaignResult(target, executions, accepted, refused, findings, _corpus.Count, clock.Elapsed, slowest);
    }

    /// <summary>Runs one input; returns its signature, or null with <paramref name="problem"/> set when it broke a rule.</summary>
    private string? Judge(byte[] input, ulong choice, out TimeSpan elapsed, out string? problem)
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        string? signature = null;
        problem = null;
        try
        {
            signature = target.Run(input, choice);
        }
        catch (AnnotationFormatException e)
        {
            problem = CheckDomainError(e);
            signature = "error " + Shape(e.Expected);
        }
        catch (Exception e)
        {
            problem = $"unexpected {e.GetType().FullName}: {e}";
        }
        elapsed = Stopwatch.GetElapsedTime(start);
        long used = GC.GetAllocatedBytesForCurrentThread() - allocated;
        if (problem is null && elapsed > SlowExecution) problem = $"slow: {elapsed.TotalSeconds:F1} s for {input.Length} bytes";
        if (problem is null && used > MaxAllocation) problem = $"allocated {used >> 20} MiB for {input.Length} bytes";
        return problem is null ? signature : null;
    }

    /// <summary>The rules of the one-line input error; null when <paramref name="e"/> keeps them.</summary>
    internal static string? CheckDomainError(AnnotationFormatException e)
    {
        SourceLocation at = e.Location;
        if (string.IsNullOrEmpty(at.File)) return $"an input error without a file: {e.Message}";
        if (at.Line is null && at.Path is null) return $"an input error without a line, JSON path or XML element: {e.Message}";
        if (e.Message.AsSpan().IndexOfAny('\n', '\r') >= 0) return $"an input error of several lines: {e.Message}";
        if (e.Message.Length > MaxMessageLength) return $"an input error of {e.Message.Length} characters: {e.Message[..200]}...";
        if (e.Message.Any(char.IsControl)) return $"an input error with control characters: {e.Message}";
        return null;
    }

    /// <summary>The expected-part of a message without numbers, so that "line 3" and "line 4" count once.</summary>
    private static string Shape(string expected)
    {
        var text = new System.Text.StringBuilder(expected.Length);
        foreach (char c in expected.Length > 80 ? expected[..80] : expected) text.Append(char.IsAsciiDigit(c) ? '#' : c);
        return text.ToString();
    }

    private int Save(byte[] input, string problem)
    {
        string name = $"{target.Name}-{Convert.ToHexStringLower(SHA256.HashData(input))[..16]}";
        log.WriteLine($"{target.Name}: finding {name}: {problem.Split('\n')[0]}");
        if (crashFolder is not null)
        {
            Directory.CreateDirectory(crashFolder);
            File.WriteAllBytes(Path.Combine(crashFolder, name + ".bin"), input);
            File.WriteAllText(Path.Combine(crashFolder, name + ".txt"), problem + "\n");
        }
        return 1;
    }

    /// <summary>Saves the running input and stops the process when one execution runs past <see cref="HangLimit"/>.</summary>
    private sealed class Watchdog : IDisposable
    {
        private readonly Timer _timer;
        private byte[]? _input;
        private long _since;

        public Watchdog(FuzzTarget target, string? crashFolder, TextWriter log)
        {
            _timer = new Timer(_ =>
            {
                byte[]? input = Volatile.Read(ref _input);
                if (input is null || Stopwatch.GetElapsedTime(Interlocked.Read(ref _since)) < HangLimit) return;
                string name = $"{target.Name}-hang-{Convert.ToHexStringLower(SHA256.HashData(input))[..16]}";
                log.WriteLine($"{target.Name}: hang: one execution ran past {HangLimit.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; input saved as {name}.bin");
                log.Flush();
                if (crashFolder is not null)
                {
                    Directory.CreateDirectory(crashFolder);
                    File.WriteAllBytes(Path.Combine(crashFolder, name + ".bin"), input);
                }
                Environment.Exit(3);
            }, null, 1000, 1000);
        }

        public void Enter(byte[] input)
        {
            Interlocked.Exchange(ref _since, Stopwatch.GetTimestamp());
            Volatile.Write(ref _input, input);
        }

        public void Leave() => Volatile.Write(ref _input, null);

        public void Dispose() => _timer.Dispose();
    }
}
