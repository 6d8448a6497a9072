using System.Text.Json;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.IO;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Reports;

/// <summary>Provenance written at the top of a report.</summary>
/// <param name="ToolName">The tool's name.</param>
/// <param name="ToolVersion">The tool's version.</param>
/// <param name="GroundTruth">The ground-truth path as given.</param>
/// <param name="Predictions">The predictions path as given.</param>
public sealed record ReportHeader(string ToolName, string ToolVersion, string GroundTruth, string Predictions);

/// <summary>
/// The JSON report: the contract users' scripts and the CI gate read, whose shape is
/// <see cref="ReportDocument"/>. Written as indented UTF-8 with a final line break; read back strictly
/// (System.Text.Json checks names, types and presence; <see cref="ReportValidator"/> ranges and consistency),
/// failing with one <see cref="AnnotationFormatException"/> that names the file and the JSON path.
/// </summary>
public static class JsonReport
{
    /// <summary>
    /// The largest report read: 256 MiB. A report of 50,000 classes (<see cref="InputLimits.MaxClasses"/>)
    /// is about 60 MB; the analysis' confusion matrix of 4,000 classes adds about 200 MB.
    /// </summary>
    public const long MaxReportBytes = 256L << 20;

    /// <summary>Writes the report of an evaluation.</summary>
    public static void Write(Stream stream, ReportHeader header, EvaluationResult result) =>
        Write(stream, ReportDocument.From(header, result));

    /// <summary>Writes a report.</summary>
    public static void Write(Stream stream, ReportDocument document)
    {
        ArgumentNullException.ThrowIfNull(stream);
        JsonSerializer.Serialize(stream, document, ReportJsonContext.Default.ReportDocument);
        stream.WriteByte((byte)'\n');
    }

    /// <summary>The short name of an overlap test: <c>ge</c> or <c>gt</c>.</summary>
    public static string IouRuleName(VocIouRule rule) => rule == VocIouRule.Greater ? "gt" : "ge";

    /// <summary>The overlap test of a short name; null for a name that is neither <c>ge</c> nor <c>gt</c>.</summary>
    public static VocIouRule? TryIouRule(string name) => name switch
    {
        "ge" => VocIouRule.GreaterOrEqual,
        "gt" => VocIouRule.Greater,
        _ => null,
    };

    /// <summary>Reads the report at <paramref name="path"/> as the gate reads it.</summary>
    /// <exception cref="AnnotationFormatException">The file is missing, not JSON, or not a valid report.</exception>
    public static EvaluationReport Read(string path) => ReadDocument(path).ToEvaluationReport(path);

    /// <summary>Reads a report from a stream as the gate reads it; <paramref name="displayName"/> names it in errors.</summary>
    /// <exception cref="AnnotationFormatException">The stream does not hold a valid report.</exception>
    public static EvaluationReport Read(Stream stream, string displayName) => ReadDocument(stream, displayName).ToEvaluationReport(displayName);

    /// <summary>Reads the whole report at <paramref name="path"/>.</summary>
    /// <exception cref="AnnotationFormatException">The file is missing, not JSON, or not a valid report.</exception>
    public static ReportDocument ReadDocument(string path)
    {
        InputFiles.RequireFile(path);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InputFiles.CannotOpen(path, e);
        }
        using (file)
        {
            return ReadDocument(file, path, () =>
            {
                using FileStream again = File.OpenRead(path);
                return ReadAgain(again, 0, MaxReportBytes);
            }, MaxReportBytes);
        }
    }

    /// <summary>Reads a whole report from a stream; <paramref name="displayName"/> names it in errors.</summary>
    /// <exception cref="AnnotationFormatException">The stream does not hold a valid report.</exception>
    public static ReportDocument ReadDocument(Stream stream, string displayName) => ReadDocument(stream, displayName, MaxReportBytes);

    /// <summary>Reads a whole report of at most <paramref name="maxBytes"/> from a stream.</summary>
    internal static ReportDocument ReadDocument(Stream stream, string displayName, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        long origin = stream.CanSeek ? stream.Position : -1;
        return ReadDocument(stream, displayName, origin < 0 ? null : () => ReadAgain(stream, origin, maxBytes), maxBytes);
    }

    /// <param name="stream">The report.</param>
    /// <param name="displayName">How messages name it.</param>
    /// <param name="readAgain">The report's bytes once more, to explain an error; null when it cannot be read again.</param>
    /// <param name="maxBytes">The largest report read.</param>
    private static ReportDocument ReadDocument(Stream stream, string displayName, Func<byte[]>? readAgain, long maxBytes)
    {
        ReportDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(new SizeLimitedStream(stream, displayName, maxBytes), ReportJsonContext.Default.ReportDocument);
        }
        catch (JsonException e)
        {
            throw ReportJsonErrors.Explain(e, displayName, readAgain);
        }
        catch (IOException e)
        {
            throw new AnnotationFormatException(new SourceLocation(displayName), "a readable file", $"a read error ({e.Message})", inner: e);
        }
        if (document is null)
        {
            throw new AnnotationFormatException(new SourceLocation(displayName, Path: "$"), ReportJsonErrors.TopLevel, "null");
        }
        ReportValidator.Validate(document, displayName);
        return document;
    }

    /// <summary>The report's bytes from <paramref name="origin"/>, to explain an error; no more than the limit.</summary>
    private static byte[] ReadAgain(Stream stream, long origin, long maxBytes)
    {
        stream.Position = origin;
        using var copy = new MemoryStream();
        new SizeLimitedStream(stream, "", maxBytes).CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Reads at most a given number of bytes from a stream, and fails as an input error past them.</summary>
    private sealed class SizeLimitedStream(Stream inner, string displayName, long limit) : Stream
    {
        private long _read;

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        private int Count(int read)
        {
            _read += read;
            if (_read > limit)
            {
                throw new AnnotationFormatException(
                    new SourceLocation(displayName, Path: "$"), $"a report of at most {InputLimits.Describe(limit)}", "a larger file");
            }
            return read;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
