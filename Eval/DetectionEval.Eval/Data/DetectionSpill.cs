using System.Buffers.Binary;
using System.Runtime.InteropServices;
using DetectionEval.Matching;
using DetectionEval.Matching.Masks;

namespace DetectionEval.Eval.Data;

// Detections kept on disk instead of in memory, for predictions too large to hold (bounded-memory runs).
//
// Layout: a private temporary folder; the images are cut into shards of consecutive image indices, and
// every part (one ordered source of detections: a file read by the general reader, or one segment of the
// fast COCO scanner) writes one binary file per shard it touches. A part numbers its detections from 0;
// committing parts in reading order gives each its first input position, so a shard read back (its
// parts' files one after the other, in commit order) holds its detections in input order with their
// global input positions. The folder is deleted when the spill is disposed, on success, error or Ctrl-C.
//
// Shapes: a detection's fixed 56-byte record says how many bytes its shape takes in the part's second
// file for the shard ("part1-shard0.shapes"), 0 for none; the shape records follow each other in the
// detections' order. A shape record: a flag byte (1 area, 2 mask, 4 keypoints), then the area as a double,
// the mask as its height, width, byte count and COCO compressed counts (the RLE string's ASCII bytes, as
// a results file gives them: 1 to 2 bytes a run where raw counts take 4; never a decoded bitmap), the
// keypoints as their count and doubles; integers and doubles little-endian. Masks and keypoints are
// kept only when the spill is made to keep them (a mask or keypoint run); areas are always kept, since
// COCO's area ranges read them.

/// <summary>The spill's folder or files cannot be made, written or read (a full disk, a read-only temporary folder).</summary>
public sealed class SpillFailedException(string folder, Exception inner)
    : Exception($"{folder}: Expected room to write the predictions of a low-memory run (about 56 bytes per detection, more with masks or keypoints), but got {inner.Message.TrimEnd('.')}", inner)
{
    /// <summary>The folder the spill was, or would have been, made in.</summary>
    public string Folder { get; } = folder;
}

/// <summary>One detection as the spill stores it; <paramref name="ShapeBytes"/> is the length of its shape record, 0 for none.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal readonly record struct SpilledDetection(int Image, int Category, int Position, int ShapeBytes, double Score, Box Box);

/// <summary>
/// What a spilled detection carries besides its box and score, as a reader hands it over: the area COCO's
/// ranges test where the results gave no box, the mask as COCO's compressed counts (the RLE string's
/// ASCII bytes, not decoded), the keypoints as flat (x, y, v) triples. A reader that holds a results
/// file's RLE string can pass its bytes without decoding them; they must be valid compressed counts of a
/// mask of <see cref="MaskHeight"/> x <see cref="MaskWidth"/> pixels.
/// </summary>
public readonly ref struct SpilledShape
{
    /// <summary>The area, or NaN for the box's.</summary>
    public double Area { get; init; }

    /// <summary>Whether there is a mask.</summary>
    public bool HasMask { get; init; }

    /// <summary>The mask's height in pixels.</summary>
    public int MaskHeight { get; init; }

    /// <summary>The mask's width in pixels.</summary>
    public int MaskWidth { get; init; }

    /// <summary>The mask's COCO compressed counts, as ASCII bytes.</summary>
    public ReadOnlySpan<byte> CompressedCounts { get; init; }

    /// <summary>Whether there are keypoints.</summary>
    public bool HasKeypoints { get; init; }

    /// <summary>The keypoints, flat (x, y, v) triples.</summary>
    public ReadOnlySpan<double> Keypoints { get; init; }

    /// <summary>Whether a spill that keeps masks and keypoints or not (<paramref name="keepShapes"/>) has anything of this to keep.</summary>
    internal bool HoldsAnything(bool keepShapes) => !double.IsNaN(Area) || (keepShapes && (HasMask || HasKeypoints));
}

/// <summary>One shard read back: its detections in input order, and their shapes and areas where any has one.</summary>
/// <param name="Detections">The detections, with global input positions.</param>
/// <param name="Shapes">Each detection's mask and keypoints (null where it has none); null when none has any.</param>
/// <param name="Areas">Each detection's area (NaN where it has none); null when none has one.</param>
internal sealed record SpilledShard(SpilledDetection[] Detections, ObjectShape?[]? Shapes, double[]? Areas);

/// <summary>Detections written to per-shard files in a temporary folder and read back shard by shard.</summary>
public sealed class DetectionSpill : IDisposable
{
    private readonly List<SpillPart> _committed = [];
    private readonly List<int> _bases = [];
    private readonly List<SpillPart> _opened = [];
    private int _nextPart;
    private long _committedCount;
    private long _storedCount;
    private bool[]? _kept;

    /// <summary>Creates an empty spill in a new folder under <paramref name="parentFolder"/> (the system's temporary folder when null).</summary>
    /// <param name="imageCount">Images of the ground truth; detections name them by index.</param>
    /// <param name="imagesPerShard">Consecutive images per shard (1 or more).</param>
    /// <param name="parentFolder">Where the spill's folder is made.</param>
    /// <param name="keepShapes">Keep each detection's mask and keypoints (a mask or keypoint run); without, only boxes, scores and areas.</param>
    public DetectionSpill(int imageCount, int imagesPerShard, string? parentFolder = null, bool keepShapes = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(imageCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(imagesPerShard, 1);
        ImageCount = imageCount;
        ImagesPerShard = imagesPerShard;
        KeepsShapes = keepShapes;
        ShardCount = Math.Max(1, (imageCount + imagesPerShard - 1) / imagesPerShard);
        Folder = Path.Combine(parentFolder ?? Path.GetTempPath(), $"deval-spill-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(Folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpillFailedException(Folder, e);
        }
    }

    /// <summary>The spill's own folder, deleted on <see cref="Dispose"/>.</summary>
    public string Folder { get; }

    /// <summary>Images of the ground truth.</summary>
    public int ImageCount { get; }

    /// <summary>Consecutive images per shard.</summary>
    public int ImagesPerShard { get; }

    /// <summary>Number of shards.</summary>
    public int ShardCount { get; }

    /// <summary>Whether masks and keypoints are kept; areas always are.</summary>
    public bool KeepsShapes { get; }

    /// <summary>Detections in committed parts, those not kept (<see cref="KeepOnly"/>) included: input positions count them.</summary>
    public long Count => _committedCount;

    /// <summary>Detections in committed parts that were kept, and can be read back.</summary>
    public long StoredCount => _storedCount;

    /// <summary>
    /// From now on only the detections of the given images are written; the others still take their input
    /// position, so the kept ones keep the positions of a run that reads every detection (a distributed
    /// run's worker keeps its image shard this way).
    /// </summary>
    /// <param name="images">Whether each image (by index) is kept.</param>
    /// <exception cref="InvalidOperationException">A part was opened already.</exception>
    public void KeepOnly(bool[] images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Length != ImageCount) throw new ArgumentException("Expected a flag for each image.", nameof(images));
        lock (_opened)
        {
            if (_nextPart > 0) throw new InvalidOperationException("Images to keep are chosen before the first part.");
            _kept = images;
        }
    }

    /// <summary>Whether the detections of <paramref name="image"/> are written.</summary>
    public bool Keeps(int image) => _kept is null || _kept[image];

    /// <summary>The images [first, first + count) of shard <paramref name="shard"/>.</summary>
    public (int First, int Count) ImagesOf(int shard)
    {
        int first = shard * ImagesPerShard;
        return (first, Math.Min(ImagesPerShard, ImageCount - first));
    }

    /// <summary>The shard of which an image is part.</summary>
    public int ShardOf(int image) => image / ImagesPerShard;

    /// <summary>A new part; its detections follow those of every part committed before it.</summary>
    public SpillPart OpenPart()
    {
        lock (_opened)
        {
            var part = new SpillPart(this, ++_nextPart);
            _opened.Add(part);
            return part;
        }
    }

    /// <summary>Appends a finished part after the parts committed so far.</summary>
    public void Commit(SpillPart part)
    {
        part.Close();
        if (_committedCount + part.Count > int.MaxValue) throw new InvalidOperationException("More than 2^31 - 1 detections.");
        _bases.Add((int)_committedCount);
        _committed.Add(part);
        _committedCount += part.Count;
        _storedCount += part.Stored;
    }

    /// <summary>Forgets a part and deletes its files (a scan that gave up).</summary>
    public static void Discard(SpillPart part)
    {
        part.Release();
        part.DeleteFiles();
    }

    /// <summary>The detections of one shard, in input order, with their global input positions, shapes and areas.</summary>
    internal SpilledShard ReadShard(int shard)
    {
        long total = 0;
        foreach (SpillPart part in _committed) total += part.CountIn(shard);
        var detections = new SpilledDetection[total];
        ObjectShape?[]? shapes = null;
        double[]? areas = null;
        int recordSize = Marshal.SizeOf<SpilledDetection>();
        Span<byte> bytes = MemoryMarshal.AsBytes(detections.AsSpan());
        int filled = 0;
        for (int p = 0; p < _committed.Count; p++)
        {
            SpillPart part = _committed[p];
            int count = part.CountIn(shard);
            if (count == 0) continue;
            ReadFile(part.FileOf(shard), bytes.Slice(filled * recordSize, count * recordSize));
            byte[] shapeBytes = part.ShapeBytesIn(shard) == 0 ? [] : new byte[part.ShapeBytesIn(shard)];
            if (shapeBytes.Length > 0) ReadFile(part.ShapeFileOf(shard), shapeBytes);
            int offset = _bases[p], shapeOffset = 0;
            for (int i = filled; i < filled + count; i++)
            {
                SpilledDetection d = detections[i] = detections[i] with { Position = detections[i].Position + offset };
                if (d.ShapeBytes == 0) continue;
                (ObjectShape? shape, double area) = ShapeRecord.Read(shapeBytes.AsSpan(shapeOffset, d.ShapeBytes));
                shapeOffset += d.ShapeBytes;
                if (shape is not null) (shapes ??= new ObjectShape?[total])[i] = shape;
                if (!double.IsNaN(area)) (areas ??= NaNs(total))[i] = area;
            }
            filled += count;
        }
        return new SpilledShard(detections, shapes, areas);
    }

    private void ReadFile(string path, Span<byte> target)
    {
        try
        {
            using FileStream file = File.OpenRead(path);
            file.ReadExactly(target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpillFailedException(Folder, e);
        }
    }

    private static double[] NaNs(long count)
    {
        double[] values = new double[count];
        Array.Fill(values, double.NaN);
        return values;
    }

    /// <summary>Deletes the spill's folder.</summary>
    public void Dispose()
    {
        lock (_opened)
        {
            foreach (SpillPart part in _opened) part.Release();
        }
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>An ordered source of detections writing into a <see cref="DetectionSpill"/>; used by one thread.</summary>
public sealed class SpillPart
{
    private const int BufferedPerShard = 1024;
    private const int ShapeBytesBuffered = 1 << 16;
    private readonly DetectionSpill _spill;
    private readonly int _id;
    private readonly FileStream?[] _files;
    private readonly SpilledDetection[]?[] _buffers;
    private readonly int[] _buffered;
    private readonly int[] _counts;
    private readonly FileStream?[] _shapeFiles;
    private readonly List<byte>?[] _shapeBuffers;
    private readonly long[] _shapeBytes;
    private readonly List<byte> _record = [];
    private bool _closed;

    internal SpillPart(DetectionSpill spill, int id)
    {
        _spill = spill;
        _id = id;
        _files = new FileStream?[spill.ShardCount];
        _buffers = new SpilledDetection[spill.ShardCount][];
        _buffered = new int[spill.ShardCount];
        _counts = new int[spill.ShardCount];
        _shapeFiles = new FileStream?[spill.ShardCount];
        _shapeBuffers = new List<byte>?[spill.ShardCount];
        _shapeBytes = new long[spill.ShardCount];
    }

    /// <summary>Detections appended, those of images the spill does not keep included.</summary>
    public int Count { get; private set; }

    /// <summary>Detections appended and written (of images the spill keeps).</summary>
    public int Stored { get; private set; }

    /// <summary>Appends a detection; its position in the part is <see cref="Count"/> before the call.</summary>
    public void Append(int image, int category, Box box, double score) => Append(image, category, box, score, new SpilledShape { Area = double.NaN });

    /// <summary>
    /// Appends a detection with its area, mask and keypoints (masks and keypoints are dropped unless the
    /// spill <see cref="DetectionSpill.KeepsShapes"/>); its position in the part is <see cref="Count"/> before the call.
    /// </summary>
    public void Append(int image, int category, Box box, double score, scoped in SpilledShape shape)
    {
        if (_closed) throw new InvalidOperationException("The part is closed.");
        if (!_spill.Keeps(image))
        {
            Count++;
            return;
        }
        Stored++;
        int shard = _spill.ShardOf(image);
        int shapeBytes = 0;
        if (shape.HoldsAnything(_spill.KeepsShapes))
        {
            _record.Clear();
            ShapeRecord.Write(shape, _spill.KeepsShapes, _record);
            shapeBytes = _record.Count;
            AppendShape(shard);
        }
        SpilledDetection[] buffer = _buffers[shard] ??= new SpilledDetection[BufferedPerShard];
        buffer[_buffered[shard]++] = new SpilledDetection(image, category, Count++, shapeBytes, score, box);
        _counts[shard]++;
        if (_buffered[shard] == BufferedPerShard) Flush(shard);
    }

    /// <summary>Appends an object's shape and area (NaN for none) as a shape record; see <see cref="Append(int, int, Box, double, in SpilledShape)"/>.</summary>
    public void Append(int image, int category, Box box, double score, ObjectShape? shape, double area)
    {
        if (shape is null || !_spill.KeepsShapes)
        {
            Append(image, category, box, score, new SpilledShape { Area = area });
            return;
        }
        List<byte>? counts = null;
        if (shape.Mask is { } mask)
        {
            counts = new List<byte>(mask.Counts.Length * 2);
            CompressedCounts.Encode(mask.Counts, counts);
        }
        Append(image, category, box, score, new SpilledShape
        {
            Area = area,
            HasMask = shape.Mask is not null,
            MaskHeight = shape.Mask?.Height ?? 0,
            MaskWidth = shape.Mask?.Width ?? 0,
            CompressedCounts = counts is null ? default : CollectionsMarshal.AsSpan(counts),
            HasKeypoints = shape.Keypoints is not null,
            Keypoints = shape.Keypoints,
        });
    }

    /// <summary>Moves the record just written to the shard's shape buffer, writing the buffer out when it is full.</summary>
    private void AppendShape(int shard)
    {
        List<byte> buffer = _shapeBuffers[shard] ??= new List<byte>(256);
        buffer.AddRange(_record);
        _shapeBytes[shard] += _record.Count;
        if (buffer.Count >= ShapeBytesBuffered) FlushShapes(shard);
    }

    internal int CountIn(int shard) => _counts[shard];

    internal long ShapeBytesIn(int shard) => _shapeBytes[shard];

    internal string FileOf(int shard) => Path.Combine(_spill.Folder, $"part{_id}-shard{shard}.bin");

    internal string ShapeFileOf(int shard) => Path.Combine(_spill.Folder, $"part{_id}-shard{shard}.shapes");

    private void FlushShapes(int shard)
    {
        List<byte>? buffer = _shapeBuffers[shard];
        if (buffer is null || buffer.Count == 0) return;
        try
        {
            FileStream file = _shapeFiles[shard] ??= new FileStream(ShapeFileOf(shard), FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
            file.Write(CollectionsMarshal.AsSpan(buffer));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpillFailedException(_spill.Folder, e);
        }
        buffer.Clear();
    }

    private void Flush(int shard)
    {
        if (_buffered[shard] == 0) return;
        try
        {
            FileStream file = _files[shard] ??= new FileStream(FileOf(shard), FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
            file.Write(MemoryMarshal.AsBytes(_buffers[shard].AsSpan(0, _buffered[shard])));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpillFailedException(_spill.Folder, e);
        }
        _buffered[shard] = 0;
    }

    internal void Close()
    {
        if (_closed) return;
        for (int s = 0; s < _files.Length; s++)
        {
            if (_buffers[s] is not null) Flush(s);
            FlushShapes(s);
            _files[s]?.Dispose();
            _shapeFiles[s]?.Dispose();
            _buffers[s] = null;
            _shapeBuffers[s] = null;
        }
        _closed = true;
    }

    /// <summary>Closes the files without flushing (the spill is being deleted).</summary>
    internal void Release()
    {
        foreach (FileStream? file in _files) file?.Dispose();
        foreach (FileStream? file in _shapeFiles) file?.Dispose();
        _closed = true;
    }

    /// <summary>Deletes the part's files, as far as it can (the spill's folder goes at the end anyway).</summary>
    internal void DeleteFiles()
    {
        for (int s = 0; s < _files.Length; s++)
        {
            try
            {
                if (_counts[s] > 0) File.Delete(FileOf(s));
                if (_shapeBytes[s] > 0) File.Delete(ShapeFileOf(s));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}

/// <summary>A detection's shape record in a spill's shape file (the layout is in the file's header comment).</summary>
internal static class ShapeRecord
{
    private const byte HasArea = 1, HasMask = 2, HasKeypoints = 4;

    /// <summary>Appends the record of <paramref name="shape"/>; its mask and keypoints only when <paramref name="keepShapes"/>.</summary>
    public static void Write(scoped in SpilledShape shape, bool keepShapes, List<byte> record)
    {
        bool mask = keepShapes && shape.HasMask, keypoints = keepShapes && shape.HasKeypoints;
        record.Add((byte)((double.IsNaN(shape.Area) ? 0 : HasArea) | (mask ? HasMask : 0) | (keypoints ? HasKeypoints : 0)));
        Span<byte> number = stackalloc byte[8];
        if (!double.IsNaN(shape.Area))
        {
            BinaryPrimitives.WriteDoubleLittleEndian(number, shape.Area);
            record.AddRange(number);
        }
        if (mask)
        {
            foreach (int value in new[] { shape.MaskHeight, shape.MaskWidth, shape.CompressedCounts.Length })
            {
                BinaryPrimitives.WriteInt32LittleEndian(number, value);
                record.AddRange(number[..4]);
            }
            record.AddRange(shape.CompressedCounts);
        }
        if (keypoints)
        {
            BinaryPrimitives.WriteInt32LittleEndian(number, shape.Keypoints.Length);
            record.AddRange(number[..4]);
            foreach (double value in shape.Keypoints)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(number, value);
                record.AddRange(number);
            }
        }
    }

    /// <summary>The shape (null when the record holds neither mask nor keypoints) and area (NaN for none) of a record.</summary>
    public static (ObjectShape? Shape, double Area) Read(ReadOnlySpan<byte> record)
    {
        byte flags = record[0];
        int at = 1;
        double area = double.NaN;
        if ((flags & HasArea) != 0)
        {
            area = BinaryPrimitives.ReadDoubleLittleEndian(record[at..]);
            at += 8;
        }
        RunLengthMask? mask = null;
        if ((flags & HasMask) != 0)
        {
            int height = BinaryPrimitives.ReadInt32LittleEndian(record[at..]), width = BinaryPrimitives.ReadInt32LittleEndian(record[(at + 4)..]);
            int length = BinaryPrimitives.ReadInt32LittleEndian(record[(at + 8)..]);
            at += 12;
            // The counts were a valid mask's when they were written.
            if (!CompressedCounts.TryDecode(record.Slice(at, length), out uint[] counts, out string? problem)) throw new InvalidOperationException($"A spilled mask is corrupt: {problem}.");
            mask = RunLengthMask.FromCheckedCounts(height, width, counts);
            at += length;
        }
        double[]? keypoints = null;
        if ((flags & HasKeypoints) != 0)
        {
            keypoints = new double[BinaryPrimitives.ReadInt32LittleEndian(record[at..])];
            at += 4;
            for (int i = 0; i < keypoints.Length; i++, at += 8) keypoints[i] = BinaryPrimitives.ReadDoubleLittleEndian(record[at..]);
        }
        return (mask is null && keypoints is null ? null : new ObjectShape(mask, keypoints), area);
    }
}
