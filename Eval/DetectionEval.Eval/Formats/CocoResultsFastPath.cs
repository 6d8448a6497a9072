using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Matching.Masks;
using Microsoft.Win32.SafeHandles;

namespace DetectionEval.Eval.Formats;

// The fast path for COCO results files: a byte scanner for the common shapes
//   [ {"image_id": 1, "category_id": 3, "bbox": [x, y, w, h], "score": 0.9}, ... ]
//   [ {"image_id": 1, "category_id": 3, "segmentation": {"size": [h, w], "counts": "..."}, "score": 0.9}, ... ]
// (instance segmentation results: compressed RLE, with or without a bbox) with the keys in any order and
// any JSON whitespace, the image id an integer or a string without escapes (all of one kind: the ground
// truth's ids are, so a mix cannot match). It streams the file in chunks into flat arrays and commits them
// to the DatasetBuilder only when the whole file was read without surprise. Masks are decoded from the
// bytes as they are scanned, in parallel, never through a string.
// Anything else (another key, an escape in a key, a missing key, a value of the wrong type, a negative
// size, polygons or uncompressed counts, counts that do not cover the mask, an unknown image, invalid
// JSON, a top-level object) makes it give up, and the caller reads the
// file again with the general reader, which accepts what is valid and reports what is not with the exact
// file:line:column, JSON path, expected and found. So the fast path changes speed, never results or
// messages. Numbers go through FastDecimal, which gives the same doubles as double.Parse.

/// <summary>A scanner for well-formed COCO results lists; returns false to hand over to the general reader.</summary>
internal sealed class CocoResultsFastPath
{
    private const int ChunkSize = 1 << 20;

    /// <summary>Each detection's image id: the number itself, or, when this reader's ids are strings, an index into <see cref="_imageTexts"/>.</summary>
    private readonly List<long> _imageIds;

    /// <summary>The distinct string image ids read, in order of appearance; null while the ids are numbers.</summary>
    private List<string>? _imageTexts;
    private Dictionary<string, int>? _imageTextIndex;
    private bool _sawNumberId;

    /// <summary>The last string id's UTF-8 bytes and index: detections come grouped by image, so it usually answers the next.</summary>
    private byte[] _lastText = [];
    private int _lastTextLength = -1, _lastTextIndex;
    private readonly List<long> _categoryIds;
    private readonly List<Box> _boxes;
    private readonly List<double> _scores;

    /// <summary>Each detection's mask, null where it has none; null until the first detection with a segmentation.</summary>
    private List<RunLengthMask?>? _masks;

    /// <summary>The detections (indices into the columns) that came without a bbox: a placeholder box stands in the column.</summary>
    private readonly List<int> _withoutBox = [];

    /// <summary>Whether this segment's first detection had a bbox (pycocotools' loadRes reads the first result's keys); null before it.</summary>
    private bool? _firstHasBox;

    /// <summary>The compressed counts of this segment's masks, in shared blocks.</summary>
    private readonly CompressedStore _strings = new();

    /// <summary>Scratch for compressed counts that hold escapes ("\\" for a backslash, which the encoding uses).</summary>
    private byte[] _unescaped = [];
    private int _objects;

    /// <summary>Hands the columns read so far on and clears them; false to give up (spilled runs only).</summary>
    private readonly Func<CocoResultsFastPath, bool>? _drain;

    /// <summary>Detections a spilling scan collects before it hands them on.</summary>
    private const int DrainEvery = 1 << 15;

    /// <summary>This reader's batch when it drains: <see cref="DrainEvery"/>, or fewer when the fuzzer asks.</summary>
    private readonly int _drainEvery;

    /// <summary>
    /// A reader that keeps its segment's detections. Its columns start small and are sized once the first chunk
    /// shows how many bytes a detection takes (about 90 for boxes, several hundred with masks), which saves
    /// both their regrowth and memory zeroed for nothing.
    /// </summary>
    /// <param name="bytes">The segment's bytes.</param>
    /// <param name="boxBytes">The bytes whose detections the box and score columns make room for: the segment's, or the
    /// whole file's for the first segment, whose columns a builder may adopt (<see cref="Scanned.TryCommit"/>).</param>
    private CocoResultsFastPath(long bytes, long boxBytes)
        : this(1 << 12, drain: null, DrainEvery)
    {
        _segmentBytes = bytes;
        _boxBytes = boxBytes;
    }

    /// <summary>The bytes of this reader's segment, to size its columns from the first chunk; 0 for a draining reader.</summary>
    private readonly long _segmentBytes;

    /// <summary>The bytes the box and score columns are sized for (see the constructor).</summary>
    private readonly long _boxBytes;

    /// <summary>Sizes the columns for the whole segment at the bytes per detection of the <paramref name="read"/> bytes so far.</summary>
    private void SizeColumns(long read)
    {
        if (_segmentBytes == 0 || _objects == 0 || read <= 0) return;
        int Expected(long bytes) => (int)Math.Min((bytes * (long)_objects / read) + (bytes * (long)_objects / read / 16) + 16, 1 << 26);
        int expected = Expected(_segmentBytes);
        _imageIds.EnsureCapacity(expected);
        _categoryIds.EnsureCapacity(expected);
        _boxes.EnsureCapacity(Expected(_boxBytes));
        _scores.EnsureCapacity(Expected(_boxBytes));
        _masks?.EnsureCapacity(expected);
    }

    /// <summary>A reader whose columns hold <paramref name="capacity"/> detections, handing them on every <paramref name="drainEvery"/> when <paramref name="drain"/> is given.</summary>
    private CocoResultsFastPath(int capacity, Func<CocoResultsFastPath, bool>? drain, int drainEvery)
    {
        _imageIds = new List<long>(capacity);
        _categoryIds = new List<long>(capacity);
        _boxes = new List<Box>(capacity);
        _scores = new List<double>(capacity);
        _drain = drain;
        _drainEvery = drainEvery;
    }

    /// <summary>Files smaller than this are read by one thread.</summary>
    public const long SplitAbove = 8 << 20;

    /// <summary>Reads the file at <paramref name="path"/> into <paramref name="builder"/> when it has the common shape.</summary>
    /// <returns>False, with <paramref name="builder"/> untouched, when the general reader must read the file.</returns>
    public static bool TryRead(string path, DatasetBuilder builder, int maxThreads, long splitAbove = SplitAbove, CancellationToken cancellation = default, IProgressSink? progress = null) =>
        Scan(path, maxThreads, splitAbove, cancellation, progress) is { } scanned && scanned.TryCommit(builder);

    /// <summary>Reads a results file held in memory into <paramref name="builder"/> when it has the common shape.</summary>
    /// <returns>False, with <paramref name="builder"/> untouched, when the general reader must read it.</returns>
    public static bool TryRead(ReadOnlyMemory<byte> bytes, DatasetBuilder builder, int maxThreads, long splitAbove = SplitAbove, CancellationToken cancellation = default) =>
        Scan(bytes, maxThreads, splitAbove, cancellation) is { } scanned && scanned.TryCommit(builder);

    /// <summary>
    /// Scans the file without looking anything up, so that it can run while the ground truth loads; the
    /// ids are resolved by <see cref="Scanned.TryCommit"/>. Null when the general reader must read the file.
    /// </summary>
    /// <remarks>
    /// A large file is cut into segments read in parallel. In a file of the accepted shape every '{' opens a
    /// detection (keys are the four known names, values numbers), unless an image id string holds one, so
    /// each cut is put on a '{'. A cut inside a string leaves the segment before it unfinished, which fails. Each
    /// segment must end exactly where the next begins, right after a comma; the first must open the array
    /// and the last close it. If any segment fails, the whole file goes to the general reader, so a cut
    /// in the wrong place can cost time but never change a result. <paramref name="progress"/> is told the
    /// bytes read, and told them back when the general reader must read the file again.
    /// </remarks>
    public static Scanned? Scan(string path, int maxThreads, long splitAbove = SplitAbove, CancellationToken cancellation = default, IProgressSink? progress = null)
    {
        try
        {
            using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.None);
            return Scan(new FileSource(file), maxThreads, splitAbove, cancellation, progress);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The general reader opens the file again and reports the problem.
            return null;
        }
    }

    /// <summary>Scans a results file held in memory, as <see cref="Scan(string, int, long, CancellationToken, IProgressSink)"/> scans a file.</summary>
    public static Scanned? Scan(ReadOnlyMemory<byte> bytes, int maxThreads, long splitAbove = SplitAbove, CancellationToken cancellation = default) =>
        Scan(new MemorySource(bytes), maxThreads, splitAbove, cancellation, progress: null);

    private static Scanned? Scan(IByteSource source, int maxThreads, long splitAbove, CancellationToken cancellation, IProgressSink? progress)
    {
        long[] cuts = CutSegments(source, maxThreads, splitAbove);
        var readers = new CocoResultsFastPath[cuts.Length - 1];
        bool ok = ScanSegments(source, cuts, (k, bytes) => new CocoResultsFastPath(bytes, k == 0 ? source.Length : bytes), readers, cancellation, progress);
        return ok ? new Scanned(readers) : null;
    }

    /// <summary>The cut points of the segments: one segment for a source of at most <paramref name="splitAbove"/> bytes, else one per thread.</summary>
    private static long[] CutSegments(IByteSource source, int maxThreads, long splitAbove) =>
        FindCuts(source, source.Length, source.Length > splitAbove ? Math.Max(1, maxThreads) : 1);

    /// <summary>
    /// Scans every segment in parallel with the reader made for it (segment index, its bytes), a draining
    /// reader handing on what it still holds at the end; true when every segment read without surprise.
    /// <paramref name="progress"/> is told the bytes as they are read, and told them back on false: the
    /// general reader reads the file again.
    /// </summary>
    private static bool ScanSegments(
        IByteSource source, long[] cuts, Func<int, long, CocoResultsFastPath> readerFor, CocoResultsFastPath[] readers, CancellationToken cancellation,
        IProgressSink? progress)
    {
        int segments = cuts.Length - 1;
        bool[] ok = new bool[segments];
        var parts = new Segment[segments];
        for (int k = 0; k < segments; k++) parts[k] = new Segment(source, cuts[k], cuts[k + 1], progress);
        Parallel.For(0, segments, new ParallelOptions { MaxDegreeOfParallelism = segments, CancellationToken = cancellation }, k =>
        {
            CocoResultsFastPath reader = readers[k] = readerFor(k, cuts[k + 1] - cuts[k]);
            ok[k] = reader.Scan(parts[k], first: k == 0, last: k == segments - 1, cancellation)
                && (reader._drain?.Invoke(reader) ?? true);
        });
        if (ok.All(x => x)) return true;
        progress?.Advance(-parts.Sum(part => part.Consumed));
        return false;
    }

    /// <summary>
    /// Reads the file at <paramref name="path"/> into the spill of <paramref name="builder"/> (which holds the
    /// ground truth and spills its detections), a batch at a time, so that the detections are never all in
    /// memory. Each segment writes its own part; the parts are committed in file order only when every
    /// segment was read without surprise, else they are deleted and the general reader reads the file.
    /// </summary>
    /// <returns>False, with the builder untouched, when the general reader must read the file.</returns>
    public static bool TryReadIntoSpill(string path, DatasetBuilder builder, int maxThreads, CancellationToken cancellation = default, IProgressSink? progress = null)
    {
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        using (file) return TryReadIntoSpill(new FileSource(file), builder, maxThreads, SplitAbove, DrainEvery, cancellation, progress);
    }

    /// <summary>
    /// Reads a results file held in memory into the spill of <paramref name="builder"/>, as
    /// <see cref="TryReadIntoSpill(string, DatasetBuilder, int, CancellationToken, IProgressSink)"/> reads a file, handing the
    /// detections on every <paramref name="drainEvery"/> (the fuzzer makes it small to cut the scan anywhere).
    /// </summary>
    internal static bool TryReadIntoSpill(ReadOnlyMemory<byte> bytes, DatasetBuilder builder, int maxThreads, long splitAbove, int drainEvery) =>
        TryReadIntoSpill(new MemorySource(bytes), builder, maxThreads, splitAbove, drainEvery, default, progress: null);

    private static bool TryReadIntoSpill(
        IByteSource source, DatasetBuilder builder, int maxThreads, long splitAbove, int drainEvery, CancellationToken cancellation, IProgressSink? progress)
    {
        DetectionSpill spill = builder.Spill ?? throw new ArgumentException("The builder does not spill its detections.", nameof(builder));
        ArgumentOutOfRangeException.ThrowIfLessThan(drainEvery, 1);
        long[] cuts = CutSegments(source, maxThreads, splitAbove);
        int segments = cuts.Length - 1;
        var parts = new SpillPart[segments];
        var unknown = new List<long>[segments];
        for (int k = 0; k < segments; k++) (parts[k], unknown[k]) = (spill.OpenPart(), []);
        bool ok;
        try
        {
            ok = ScanSegments(
                source,
                cuts,
                (k, _) => new CocoResultsFastPath(drainEvery + 1, r => r.DrainInto(builder, parts[k], unknown[k]), drainEvery),
                new CocoResultsFastPath[segments],
                cancellation,
                progress);
        }
        catch (Exception e)
        {
            foreach (SpillPart part in parts) DetectionSpill.Discard(part);
            // A segment that could not write the spill: the one failure to report, without the parallel loop's wrapping.
            if (e is AggregateException aggregate && aggregate.Flatten().InnerExceptions.OfType<SpillFailedException>().FirstOrDefault() is { } spillFailure)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(spillFailure);
            }
            throw;
        }
        if (!ok)
        {
            foreach (SpillPart part in parts) DetectionSpill.Discard(part);
            return false;
        }
        builder.CommitSpilledParts(parts);
        foreach (List<long> ids in unknown)
        {
            foreach (long id in ids) builder.CountDetectionOfUnknownCategory(id);
        }
        return true;
    }

    /// <summary>Looks up and spills the columns read so far, then clears them; false when an image is unknown.</summary>
    private bool DrainInto(DatasetBuilder builder, SpillPart part, List<long> unknown)
    {
        // The spill keeps boxes and scores: results with masks are read by the general reader.
        if (_masks is not null || _withoutBox.Count > 0) return false;
        if (Resolve(builder) is not { } resolved) return false;
        for (int i = 0; i < resolved.Images.Count; i++) part.Append(resolved.Images[i], resolved.Categories[i], resolved.Boxes[i], resolved.Scores[i]);
        unknown.AddRange(resolved.Unknown);
        _imageIds.Clear();
        _categoryIds.Clear();
        _boxes.Clear();
        _scores.Clear();
        return true;
    }

    /// <summary>A scanned results file whose image and category ids are not yet looked up.</summary>
    internal sealed class Scanned
    {
        private readonly CocoResultsFastPath[] _segments;

        internal Scanned(CocoResultsFastPath[] segments) => _segments = segments;

        /// <summary>
        /// Looks the ids up in <paramref name="builder"/> (which holds the ground truth) and adds the
        /// detections; an unknown category is dropped and counted as the general reader does. False, with
        /// the builder untouched, when an image is unknown: an input error the general reader reports.
        /// </summary>
        public bool TryCommit(DatasetBuilder builder)
        {
            // Rule (pycocotools loadRes): the first result decides where every area comes from: with a bbox,
            // every result needs one and areas are w * h; without, every result needs a segmentation, whose
            // pixel count is its area and whose box stands in for a missing bbox.
            bool boxRule = _segments[0]._firstHasBox ?? true;
            // A builder without detections takes the first segment's columns as they are, sized for the whole file
            // (SizeColumns), and the other segments' detections are appended to them: one copy fewer.
            int scanned = _segments.Sum(segment => segment._boxes.Count);
            bool adopt = builder.CanAdoptDetections && _segments.All(segment => segment._masks is null);
            var resolved = new Resolved?[_segments.Length];
            Parallel.For(0, _segments.Length, k => resolved[k] = _segments[k].Resolve(builder, boxRule, adopt && k == 0 ? scanned : 0));
            if (resolved.Any(r => r is null)) return false;
            int total = resolved.Sum(r => r!.Images.Count);
            if (adopt)
            {
                (List<int> images, List<int> categories, List<Box> boxes, List<double> scores, _, _) = resolved[0]!;
                builder.AdoptDetections(images, categories, boxes, scores, total);
            }
            else
            {
                builder.ReserveDetections(total);
            }
            for (int k = 0; k < resolved.Length; k++)
            {
                (List<int> images, List<int> categories, List<Box> boxes, List<double> scores, List<long> unknown, List<RunLengthMask?>? masks) = resolved[k]!;
                foreach (long id in unknown) builder.CountDetectionOfUnknownCategory(id);
                // The first segment's columns are the builder's already.
                if (adopt && k == 0) continue;
                if (masks is null) builder.AddDetections(images, categories, boxes, scores);
                else AddWithMasks(builder, images, categories, boxes, scores, masks, boxRule);
            }
            return true;
        }

        private static void AddWithMasks(
            DatasetBuilder builder, List<int> images, List<int> categories, List<Box> boxes, List<double> scores, List<RunLengthMask?> masks, bool boxRule)
        {
            for (int i = 0; i < images.Count; i++)
            {
                RunLengthMask? mask = masks[i];
                ObjectShape? shape = mask is null ? null : new ObjectShape(mask, null);
                double? area = boxRule ? null : mask!.Area;
                builder.AddDetection(images[i], categories[i], boxes[i], scores[i], shape, area);
            }
        }
    }

    /// <summary>A segment's detections with their ids looked up, those of unknown categories dropped.</summary>
    private sealed record Resolved(List<int> Images, List<int> Categories, List<Box> Boxes, List<double> Scores, List<long> Unknown, List<RunLengthMask?>? Masks);

    /// <summary>
    /// This segment's ids as indices, the area rule applied to its boxes; null when an image id is not in the
    /// ground truth or a detection lacks what the rule needs (the general reader reports either).
    /// </summary>
    /// <param name="builder">Holds the ground truth.</param>
    /// <param name="boxRule">The results' area rule: true when every result has a bbox.</param>
    /// <param name="capacity">The room the image and category columns make, at least this segment's detections (a builder adopting them fills in the others').</param>
    private Resolved? Resolve(DatasetBuilder builder, bool boxRule = true, int capacity = 0)
    {
        int n = _boxes.Count;
        capacity = Math.Max(capacity, n);
        if (_withoutBox.Count > 0)
        {
            if (boxRule) return null;
            // A result without a bbox takes its mask's box (pycocotools' toBbox).
            foreach (int i in _withoutBox) _boxes[i] = _masks![i]!.BoundingBox;
        }
        if (!boxRule && (_masks is null || _masks.Contains(null))) return null;
        var images = new List<int>(capacity);
        var categories = new List<int>(capacity);
        var unknown = new List<long>();
        // Detections come grouped by image and class, so the last lookup usually answers the next.
        long lastImageId = long.MinValue, lastCategoryId = long.MinValue;
        int lastImage = 0, lastCategory = 0;
        for (int i = 0; i < n; i++)
        {
            long imageId = _imageIds[i], categoryId = _categoryIds[i];
            if (imageId != lastImageId)
            {
                RecordId id = _imageTexts is null ? imageId : new RecordId(_imageTexts[(int)imageId]);
                if (!builder.TryGetImage(id, out lastImage)) return null;
                lastImageId = imageId;
            }
            if (categoryId != lastCategoryId)
            {
                lastCategory = builder.TryGetCategory(categoryId, out int index) ? index : -1;
                lastCategoryId = categoryId;
            }
            images.Add(lastImage);
            categories.Add(lastCategory);
            if (lastCategory < 0) unknown.Add(categoryId);
        }
        if (unknown.Count == 0) return new Resolved(images, categories, _boxes, _scores, unknown, _masks);
        // Rule: a detection of a category the ground truth does not list is dropped (and counted).
        var keptImages = new List<int>(n);
        var keptCategories = new List<int>(n);
        var keptBoxes = new List<Box>(n);
        var keptScores = new List<double>(n);
        List<RunLengthMask?>? keptMasks = _masks is null ? null : new List<RunLengthMask?>(n);
        for (int i = 0; i < n; i++)
        {
            if (categories[i] < 0) continue;
            keptImages.Add(images[i]);
            keptCategories.Add(categories[i]);
            keptBoxes.Add(_boxes[i]);
            keptScores.Add(_scores[i]);
            keptMasks?.Add(_masks![i]);
        }
        return new Resolved(keptImages, keptCategories, keptBoxes, keptScores, unknown, keptMasks);
    }

    /// <summary>
    /// Cut points: 0, then after each k / n of the file the first '{' that follows a comma (a detection's,
    /// not a segmentation object's, which follows a colon), then the file's length.
    /// </summary>
    private static long[] FindCuts(IByteSource source, long length, int segments)
    {
        var cuts = new List<long> { 0 };
        byte[] window = new byte[1 << 16];
        for (int k = 1; k < segments; k++)
        {
            long from = length * k / segments;
            if (from <= cuts[^1]) continue;
            ReadOnlySpan<byte> bytes = window.AsSpan(0, source.Read(window, from));
            for (int brace = bytes.IndexOf((byte)'{'); brace >= 0; brace = NextBrace(bytes, brace))
            {
                int before = bytes[..brace].TrimEnd(" \t\r\n"u8).Length - 1;
                if (before >= 0 && bytes[before] == (byte)',')
                {
                    cuts.Add(from + brace);
                    break;
                }
            }
        }
        cuts.Add(length);
        return [.. cuts];
    }

    private static int NextBrace(ReadOnlySpan<byte> bytes, int brace)
    {
        int next = bytes[(brace + 1)..].IndexOf((byte)'{');
        return next < 0 ? -1 : brace + 1 + next;
    }

    /// <summary>Random access to the bytes of a file or of a buffer in memory.</summary>
    private interface IByteSource
    {
        long Length { get; }

        /// <summary>Reads up to <c>destination.Length</c> bytes at <paramref name="offset"/>; 0 at the end.</summary>
        int Read(Span<byte> destination, long offset);
    }

    private sealed class FileSource(SafeFileHandle file) : IByteSource
    {
        public long Length { get; } = RandomAccess.GetLength(file);

        public int Read(Span<byte> destination, long offset) => RandomAccess.Read(file, destination, offset);
    }

    private sealed class MemorySource(ReadOnlyMemory<byte> bytes) : IByteSource
    {
        public long Length => bytes.Length;

        public int Read(Span<byte> destination, long offset)
        {
            if (offset >= bytes.Length) return 0;
            ReadOnlySpan<byte> rest = bytes.Span[(int)offset..];
            int count = Math.Min(rest.Length, destination.Length);
            rest[..count].CopyTo(destination);
            return count;
        }
    }

    /// <summary>A byte range of the source, read in chunks; <paramref name="progress"/> is told each chunk's bytes.</summary>
    private sealed class Segment(IByteSource source, long start, long end, IProgressSink? progress)
    {
        private readonly long _first = start;
        private long _next = start;

        public long Length { get; } = end - start;

        /// <summary>The bytes read so far.</summary>
        public long Consumed => _next - _first;

        public int Read(byte[] buffer, int offset, int count)
        {
            int wanted = (int)Math.Min(count, end - _next);
            if (wanted <= 0) return 0;
            int read = source.Read(buffer.AsSpan(offset, wanted), _next);
            _next += read;
            progress?.Advance(read);
            return read;
        }
    }

    private enum Step { Done, NeedMore, GiveUp }

    /// <summary>
    /// Scans one segment. The first opens the array; a segment that is not the last must end right after
    /// a comma, where the next segment's first detection begins; the last must close the array.
    /// </summary>
    private bool Scan(Segment source, bool first, bool last, CancellationToken cancellation)
    {
        // A byte more than the segment holds, so that a full buffer always means an unfinished value.
        byte[] buffer = new byte[(int)Math.Min(ChunkSize, source.Length + 1)];
        int length = 0, position = 0;
        bool final = false;
        bool started = !first, opened = !first, closed = false, expectObject = true, sized = false;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            // Refill: keep the unread tail, read more after it.
            if (position > 0)
            {
                Buffer.BlockCopy(buffer, position, buffer, 0, length - position);
                length -= position;
                position = 0;
            }
            // One detection of the common shape takes about 90 bytes: a value that fills the whole chunk (a
            // number of a million digits, a key that never closes) is left to the general reader.
            if (length == buffer.Length) return false;
            int read = source.Read(buffer, length, buffer.Length - length);
            if (read == 0) final = true;
            length += read;
            ReadOnlySpan<byte> span = buffer.AsSpan(0, length);
            if (!started)
            {
                if (span.Length < 3 && !final) continue;
                started = true;
                if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) position = 3;
            }

            while (true)
            {
                int p = SkipWhitespace(span, position);
                if (p == span.Length)
                {
                    position = p;
                    break;
                }
                if (closed) return false;
                if (!opened)
                {
                    if (span[p] != (byte)'[') return false;
                    opened = true;
                    position = p + 1;
                    continue;
                }
                if (span[p] == (byte)']')
                {
                    // A trailing comma ("[{...},]") is invalid JSON; the general reader reports it.
                    if (!last || (expectObject && (_objects > 0 || !first))) return false;
                    closed = true;
                    position = p + 1;
                    continue;
                }
                if (!expectObject)
                {
                    if (span[p] != (byte)',') return false;
                    expectObject = true;
                    position = p + 1;
                    continue;
                }
                Step step = ReadDetection(span, ref p, final);
                if (step == Step.GiveUp) return false;
                if (step == Step.NeedMore) break;
                expectObject = false;
                _objects++;
                position = p;
                if (_drain is not null && _boxes.Count >= _drainEvery && !_drain(this)) return false;
            }
            if (!sized && _objects > 0)
            {
                SizeColumns(source.Consumed - (length - position));
                sized = true;
            }
            if (final) return last ? opened && closed : opened && expectObject && !closed;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhitespace(ReadOnlySpan<byte> span, int p)
    {
        // Every byte above the space is no whitespace, so the common case takes one comparison.
        while (p < span.Length && span[p] <= (byte)' ' && span[p] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') p++;
        return p;
    }

    /// <summary>One object with the known keys, each at most once; <paramref name="p"/> moves past it on success.</summary>
    private Step ReadDetection(ReadOnlySpan<byte> span, ref int p, bool final)
    {
        if (TryReadCommonLayout(span, ref p)) return Step.Done;
        Step incomplete = final ? Step.GiveUp : Step.NeedMore;
        if (span[p] != (byte)'{') return Step.GiveUp;
        int i = p + 1;
        long imageId = 0, categoryId = 0;
        double score = 0, x = 0, y = 0, w = 0, h = 0;
        RunLengthMask? mask = null;
        int seen = 0, textStart = -1, textLength = 0;
        while (true)
        {
            i = SkipWhitespace(span, i);
            if (i == span.Length) return incomplete;
            if (span[i] == (byte)'}')
            {
                if (seen == 0) return Step.GiveUp;
                i++;
                break;
            }
            Step keyStep = ReadKey(span, ref i, final, first: seen == 0, out ReadOnlySpan<byte> key);
            if (keyStep != Step.Done) return keyStep;
            Step step;
            if (key.SequenceEqual("image_id"u8))
            {
                textStart = -1;
                if (i < span.Length && span[i] == (byte)'"') step = ReadText(span, ref i, final, out textStart, out textLength);
                else step = ReadInteger(span, ref i, final, out imageId);
                seen |= 1;
            }
            else if (key.SequenceEqual("category_id"u8)) { step = ReadInteger(span, ref i, final, out categoryId); seen |= 2; }
            else if (key.SequenceEqual("bbox"u8)) { step = ReadBox(span, ref i, final, out x, out y, out w, out h); seen |= 4; }
            else if (key.SequenceEqual("score"u8)) { step = ReadNumber(span, ref i, final, out score); seen |= 8; }
            else if (key.SequenceEqual("segmentation"u8)) { step = ReadCompressedRle(span, ref i, final, out mask); seen |= 16; }
            else return Step.GiveUp;
            if (step != Step.Done) return step;
        }
        // Image, category and score, with a bbox, a segmentation or both.
        if ((seen & 11) != 11 || (seen & 20) == 0 || !double.IsFinite(score)) return Step.GiveUp;
        if (textStart >= 0)
        {
            if (_sawNumberId) return Step.GiveUp;
            imageId = InternImageText(span.Slice(textStart, textLength));
        }
        else
        {
            if (_imageTexts is not null) return Step.GiveUp;
            _sawNumberId = true;
        }
        Keep(imageId, categoryId, new Box(x, y, w, h), score, hasBox: (seen & 4) != 0, mask);
        p = i;
        return Step.Done;
    }

    /// <summary>The keys and separators of the layout most writers use, in their order, with and without spaces.</summary>
    private static ReadOnlySpan<byte> SpacedImageId => "{\"image_id\": "u8;
    private static ReadOnlySpan<byte> SpacedCategoryId => ", \"category_id\": "u8;
    private static ReadOnlySpan<byte> SpacedBox => ", \"bbox\": ["u8;
    private static ReadOnlySpan<byte> SpacedScore => "], \"score\": "u8;
    private static ReadOnlySpan<byte> CompactImageId => "{\"image_id\":"u8;
    private static ReadOnlySpan<byte> CompactCategoryId => ",\"category_id\":"u8;
    private static ReadOnlySpan<byte> CompactBox => ",\"bbox\":["u8;
    private static ReadOnlySpan<byte> CompactScore => "],\"score\":"u8;

    /// <summary>
    /// A detection written exactly as <c>{"image_id": 1, "category_id": 2, "bbox": [x, y, w, h], "score": s}</c>
    /// (Python's json.dump; or with no spaces at all), read by comparing its keys and separators whole instead of
    /// key by key. False, with nothing kept, for anything else (another layout, a string id, a value
    /// <see cref="ReadDetection"/> refuses, the buffer's end): <see cref="ReadDetection"/> then reads the object.
    /// </summary>
    private bool TryReadCommonLayout(ReadOnlySpan<byte> span, ref int p)
    {
        bool spaced = span[p..].StartsWith(SpacedImageId);
        if (!spaced && !span[p..].StartsWith(CompactImageId)) return false;
        int i = p + (spaced ? SpacedImageId.Length : CompactImageId.Length);
        if (ReadInteger(span, ref i, final: false, out long imageId) != Step.Done) return false;
        ReadOnlySpan<byte> categoryKey = spaced ? SpacedCategoryId : CompactCategoryId;
        if (!span[i..].StartsWith(categoryKey)) return false;
        i += categoryKey.Length;
        if (ReadInteger(span, ref i, final: false, out long categoryId) != Step.Done) return false;
        ReadOnlySpan<byte> boxKey = spaced ? SpacedBox : CompactBox;
        if (!span[i..].StartsWith(boxKey)) return false;
        i += boxKey.Length;
        Span<double> box = stackalloc double[4];
        for (int k = 0; k < 4; k++)
        {
            if (k > 0)
            {
                ReadOnlySpan<byte> comma = spaced ? ", "u8 : ","u8;
                if (!span[i..].StartsWith(comma)) return false;
                i += comma.Length;
            }
            if (ReadNumber(span, ref i, final: false, out box[k]) != Step.Done) return false;
            if (!IsBoxValue(box[k], k)) return false;
        }
        ReadOnlySpan<byte> scoreKey = spaced ? SpacedScore : CompactScore;
        if (!span[i..].StartsWith(scoreKey)) return false;
        i += scoreKey.Length;
        if (ReadNumber(span, ref i, final: false, out double score) != Step.Done || i >= span.Length || span[i] != (byte)'}') return false;
        var kept = new Box(box[0], box[1], box[2], box[3]);
        if (!double.IsFinite(score) || !BoxLayout.IsFinite(kept) || _imageTexts is not null) return false;
        _sawNumberId = true;
        Keep(imageId, categoryId, kept, score, hasBox: true, mask: null);
        p = i + 1;
        return true;
    }

    /// <summary>Adds one read detection to this reader's columns (a mask, or null, when any detection so far had one).</summary>
    private void Keep(long imageId, long categoryId, Box box, double score, bool hasBox, RunLengthMask? mask)
    {
        _firstHasBox ??= hasBox;
        if (!hasBox) _withoutBox.Add(_boxes.Count);
        if (mask is not null || _masks is not null)
        {
            if (_masks is null)
            {
                _masks = new List<RunLengthMask?>(_boxes.Capacity);
                for (int k = 0; k < _boxes.Count; k++) _masks.Add(null);
            }
            _masks.Add(mask);
        }
        _imageIds.Add(imageId);
        _categoryIds.Add(categoryId);
        _boxes.Add(box);
        _scores.Add(score);
    }

    /// <summary>
    /// A compressed RLE object <c>{"size": [h, w], "counts": "..."}</c> (keys in either order), decoded to a mask
    /// whose counts cover <c>h * w</c>; anything else (polygons, counts as a list, another key) gives up.
    /// </summary>
    private Step ReadCompressedRle(ReadOnlySpan<byte> span, ref int i, bool final, out RunLengthMask? mask)
    {
        mask = null;
        Step incomplete = final ? Step.GiveUp : Step.NeedMore;
        if (i == span.Length) return incomplete;
        if (span[i] != (byte)'{') return Step.GiveUp;
        i++;
        long height = -1, width = -1;
        ReadOnlySpan<byte> counts = default;
        bool haveCounts = false;
        for (int k = 0; k < 2; k++)
        {
            i = SkipWhitespace(span, i);
            if (i == span.Length) return incomplete;
            Step keyStep = ReadKey(span, ref i, final, first: k == 0, out ReadOnlySpan<byte> name);
            if (keyStep != Step.Done) return keyStep;
            Step step;
            if (name.SequenceEqual("size"u8) && height < 0) step = ReadSize(span, ref i, final, out height, out width);
            else if (name.SequenceEqual("counts"u8) && !haveCounts) (step, haveCounts) = (ReadCounts(span, ref i, final, out counts), true);
            else return Step.GiveUp;
            if (step != Step.Done) return step;
        }
        i = SkipWhitespace(span, i);
        if (i == span.Length) return incomplete;
        if (span[i] != (byte)'}') return Step.GiveUp;
        i++;
        // Kept compressed (a quarter of the memory of the run lengths); the general reader reports a string
        // that does not decode or whose runs do not cover the mask.
        return RunLengthMask.TryFromCompressed((int)height, (int)width, counts, _strings, out mask, out _) ? Step.Done : Step.GiveUp;
    }

    /// <summary>An RLE size <c>[h, w]</c>: two whole numbers from 0 to <see cref="int.MaxValue"/>.</summary>
    private static Step ReadSize(ReadOnlySpan<byte> span, ref int i, bool final, out long height, out long width)
    {
        height = width = -1;
        Step incomplete = final ? Step.GiveUp : Step.NeedMore;
        if (i == span.Length) return incomplete;
        if (span[i] != (byte)'[') return Step.GiveUp;
        i++;
        Span<long> values = stackalloc long[2];
        for (int k = 0; k < 2; k++)
        {
            i = SkipWhitespace(span, i);
            Step step = ReadInteger(span, ref i, final, out values[k]);
            if (step != Step.Done) return step;
            if (values[k] is < 0 or > int.MaxValue) return Step.GiveUp;
            i = SkipWhitespace(span, i);
            if (i == span.Length) return incomplete;
            if (span[i] != (byte)(k == 0 ? ',' : ']')) return Step.GiveUp;
            i++;
        }
        (height, width) = (values[0], values[1]);
        return Step.Done;
    }

    /// <summary>
    /// Compressed counts: a string whose only escape is <c>\\</c> (the encoding's characters '0' to 'o' include
    /// the backslash), decoded from the bytes.
    /// </summary>
    private Step ReadCounts(ReadOnlySpan<byte> span, scoped ref int i, bool final, out ReadOnlySpan<byte> text)
    {
        text = default;
        Step incomplete = final ? Step.GiveUp : Step.NeedMore;
        if (i == span.Length) return incomplete;
        if (span[i] != (byte)'"') return Step.GiveUp;
        int start = i + 1;
        int end = span[start..].IndexOfAny((byte)'"', (byte)'\\');
        if (end < 0) return incomplete;
        text = span.Slice(start, end);
        if (span[start + end] == (byte)'\\')
        {
            // Unescape into the scratch buffer up to the closing quote.
            int length = 0, k = start;
            while (true)
            {
                if (k == span.Length) return incomplete;
                byte b = span[k];
                if (b == (byte)'"') break;
                if (b == (byte)'\\')
                {
                    if (k + 1 == span.Length) return incomplete;
                    if (span[k + 1] != (byte)'\\') return Step.GiveUp;
                    k++;
                }
                if (length == _unescaped.Length) Array.Resize(ref _unescaped, Math.Max(256, 2 * length));
                _unescaped[length++] = b;
                k++;
            }
            text = _unescaped.AsSpan(0, length);
            end = k - start;
        }
        i = start + end + 1;
        return Step.Done;
    }

    /// <summary>
    /// An object's next key, at <paramref name="i"/> (past whitespace): a comma first unless it is the
    /// <paramref name="first"/>, then the quoted key (no escapes) and a colon; <paramref name="i"/> moves to the value.
    /// </summary>
    private static Step ReadKey(ReadOnlySpan<byte> span, scoped ref int i, bool final, bool first, out ReadOnlySpan<byte> key)
    {
        key = default;
        Step incomplete = final ? Step.GiveUp : Step.NeedMore;
        if (!first)
        {
            if (span[i] != (byte)',') return Step.GiveUp;
            i = SkipWhitespace(span, i + 1);
            if (i == span.Length) return incomplete;
        }
        if (span[i] != (byte)'"') return Step.GiveUp;
        // Keys are short: a plain loop finds the closing quote sooner than a vectorised search starts.
        int keyEnd = 0;
        while (i + 1 + keyEnd < span.Length && span[i + 1 + keyEnd] != (byte)'"') keyEnd++;
        if (i + 1 + keyEnd == span.Length) return incomplete;
        key = span.Slice(i + 1, keyEnd);
        i = SkipWhitespace(span, i + keyEnd + 2);
        if (i == span.Length) return incomplete;
        if (span[i] != (byte)':') return Step.GiveUp;
        i = SkipWhitespace(span, i + 1);
        return Step.Done;
    }

    /// <summary>
    /// A string without escapes; its UTF-8 bytes are <c>span[start..start+length]</c>. An escape, a control
    /// character or bytes that are not UTF-8 go to the general reader, which reads or reports them.
    /// </summary>
    private static Step ReadText(ReadOnlySpan<byte> span, ref int i, bool final, out int start, out int length)
    {
        start = i + 1;
        length = 0;
        int end = span[start..].IndexOfAny((byte)'"', (byte)'\\');
        if (end < 0) return final ? Step.GiveUp : Step.NeedMore;
        ReadOnlySpan<byte> text = span.Slice(start, end);
        if (span[start + end] == (byte)'\\' || text.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0 || !Utf8.IsValid(text)) return Step.GiveUp;
        length = end;
        i = start + end + 1;
        return Step.Done;
    }

    /// <summary>The index of a string image id in <see cref="_imageTexts"/>, added when new.</summary>
    private int InternImageText(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == _lastTextLength && utf8.SequenceEqual(_lastText.AsSpan(0, _lastTextLength))) return _lastTextIndex;
        _imageTexts ??= [];
        _imageTextIndex ??= new Dictionary<string, int>(StringComparer.Ordinal);
        // The same string the general reader makes of an unescaped JSON string.
        string text = Encoding.UTF8.GetString(utf8);
        if (!_imageTextIndex.TryGetValue(text, out int index))
        {
            index = _imageTexts.Count;
            _imageTexts.Add(text);
            _imageTextIndex.Add(text, index);
        }
        if (_lastText.Length < utf8.Length) _lastText = new byte[Math.Max(utf8.Length, 2 * _lastText.Length)];
        utf8.CopyTo(_lastText);
        (_lastTextLength, _lastTextIndex) = (utf8.Length, index);
        return index;
    }

    /// <summary>Rule: every bbox value is finite and the width and height (the values at 2 and 3) are not negative; the general reader reports any other.</summary>
    private static bool IsBoxValue(double value, int index) => double.IsFinite(value) && (index < 2 || value >= 0);

    private static Step ReadBox(ReadOnlySpan<byte> span, ref int i, bool final, out double x, out double y, out double w, out double h)
    {
        x = y = w = h = 0;
        Step incomplete = final ? Step.GiveUp : Step.NeedMore;
        if (i == span.Length) return incomplete;
        if (span[i] != (byte)'[') return Step.GiveUp;
        i++;
        Span<double> values = stackalloc double[4];
        for (int k = 0; k < 4; k++)
        {
            i = SkipWhitespace(span, i);
            Step step = ReadNumber(span, ref i, final, out values[k]);
            if (step != Step.Done) return step;
            if (!IsBoxValue(values[k], k)) return Step.GiveUp;
            i = SkipWhitespace(span, i);
            if (i == span.Length) return incomplete;
            if (span[i] != (byte)(k < 3 ? ',' : ']')) return Step.GiveUp;
            i++;
        }
        (x, y, w, h) = (values[0], values[1], values[2], values[3]);
        // The general reader reports a box whose edges or area overflow.
        if (!BoxLayout.IsFinite(new Box(x, y, w, h))) return Step.GiveUp;
        return Step.Done;
    }

    private static Step ReadInteger(ReadOnlySpan<byte> span, ref int i, bool final, out long value)
    {
        // The common shape, plain digits followed by a delimiter, in one pass; "3.0" and the like, a number at the
        // buffer's end or past 18 digits go through the grammar below.
        value = 0;
        int k = i;
        bool negative = k < span.Length && span[k] == (byte)'-';
        if (negative) k++;
        int first = k;
        if (k < span.Length && span[k] == (byte)'0') k++;
        else while (k < span.Length && (uint)(span[k] - '0') <= 9) value = value * 10 + (span[k++] - '0');
        if (k > first && k < span.Length && k - i <= 18 && span[k] is not ((byte)'.' or (byte)'e' or (byte)'E') && (uint)(span[k] - '0') > 9)
        {
            if (negative) value = -value;
            i = k;
            return Step.Done;
        }
        value = 0;
        int start = i;
        Step step = ScanNumber(span, ref i, final, out bool integral);
        if (step != Step.Done) return step;
        // Only plain integers up to 18 digits; "3.0" and the like go to the general reader, which accepts them.
        if (!integral || i - start > 18) return Step.GiveUp;
        negative = span[start] == (byte)'-';
        for (k = negative ? start + 1 : start; k < i; k++) value = value * 10 + (span[k] - '0');
        if (negative) value = -value;
        return Step.Done;
    }

    private static Step ReadNumber(ReadOnlySpan<byte> span, ref int i, bool final, out double value)
    {
        // The common shape, -?digits(.digits)? followed by a delimiter, scanned and converted in one pass
        // (FastDecimal's rule); an exponent, a long significand or a number at the buffer's end go through the
        // grammar below and FastDecimal.Parse.
        int k = FastDecimal.ReadPlain(span, i, out ulong significand, out int digits, out int exponent, out bool negative);
        if (k >= 0 && k < span.Length && span[k] is not ((byte)'e' or (byte)'E') && (uint)(span[k] - '0') > 9
            && FastDecimal.TryExact(significand, digits, exponent, negative, out value))
        {
            i = k;
            return Step.Done;
        }
        value = 0;
        int start = i;
        Step step = ScanNumber(span, ref i, final, out _);
        if (step != Step.Done) return step;
        value = FastDecimal.Parse(span[start..i]);
        return Step.Done;
    }

    /// <summary>Moves past one number that follows JSON's grammar exactly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?</summary>
    private static Step ScanNumber(ReadOnlySpan<byte> span, ref int i, bool final, out bool integral)
    {
        integral = true;
        int k = i;
        if (k < span.Length && span[k] == (byte)'-') k++;
        if (k == span.Length) return final ? Step.GiveUp : Step.NeedMore;
        if (span[k] == (byte)'0') k++;
        else if (span[k] is >= (byte)'1' and <= (byte)'9') k = SkipDigits(span, k);
        else return Step.GiveUp;
        if (k < span.Length && span[k] == (byte)'.')
        {
            integral = false;
            int digitsStart = ++k;
            k = SkipDigits(span, k);
            if (k == digitsStart) return k == span.Length && !final ? Step.NeedMore : Step.GiveUp;
        }
        if (k < span.Length && span[k] is (byte)'e' or (byte)'E')
        {
            integral = false;
            k++;
            if (k < span.Length && span[k] is (byte)'+' or (byte)'-') k++;
            int digitsStart = k;
            k = SkipDigits(span, k);
            if (k == digitsStart) return k == span.Length && !final ? Step.NeedMore : Step.GiveUp;
        }
        // A number is complete only when something follows it; at the buffer's end more digits may come.
        if (k == span.Length) return final ? Step.GiveUp : Step.NeedMore;
        i = k;
        return Step.Done;
    }

    private static int SkipDigits(ReadOnlySpan<byte> span, int k)
    {
        while (k < span.Length && (uint)(span[k] - '0') <= 9) k++;
        return k;
    }
}
