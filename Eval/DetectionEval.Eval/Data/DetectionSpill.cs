using System.Runtime.InteropServices;
using DetectionEval.Matching;

namespace DetectionEval.Eval.Data;

// Detections kept on disk instead of in memory, for predictions too large to hold (bounded-memory runs).
//
// Layout: a private temporary folder; the images are cut into shards of consecutive image indices, and
// every part (one ordered source of detections: a file read by the general reader, or one segment of the
// fast COCO scanner) writes one binary file per shard it touches. A part numbers its detections from 0;
// committing parts in reading order gives each its first input position, so a shard read back (its
// parts' files one after the other, in commit order) holds its detections in input order with their
// global input positions. The folder is deleted when the spill is disposed, on success, error or Ctrl-C.

/// <summary>The spill's folder or files cannot be made, written or read (a full disk, a read-only temporary folder).</summary>
public sealed class SpillFailedException(string folder, Exception inner)
    : Exception($"{folder}: Expected room to write the predictions of a low-memory run (about 52 bytes per detection), but got {inner.Message.TrimEnd('.')}", inner)
{
    /// <summary>The folder the spill was, or would have been, made in.</summary>
    public string Folder { get; } = folder;
}

/// <summary>One detection as the spill stores it.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal readonly record struct SpilledDetection(int Image, int Category, int Position, double Score, Box Box);

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
    public DetectionSpill(int imageCount, int imagesPerShard, string? parentFolder = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(imageCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(imagesPerShard, 1);
        ImageCount = imageCount;
        ImagesPerShard = imagesPerShard;
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

    /// <summary>The detections of one shard, in input order, with their global input positions.</summary>
    internal SpilledDetection[] ReadShard(int shard)
    {
        long total = 0;
        foreach (SpillPart part in _committed) total += part.CountIn(shard);
        var detections = new SpilledDetection[total];
        Span<byte> bytes = MemoryMarshal.AsBytes(detections.AsSpan());
        int filled = 0;
        for (int p = 0; p < _committed.Count; p++)
        {
            SpillPart part = _committed[p];
            int count = part.CountIn(shard);
            if (count == 0) continue;
            int size = count * Marshal.SizeOf<SpilledDetection>();
            Span<byte> target = bytes.Slice(filled * Marshal.SizeOf<SpilledDetection>(), size);
            try
            {
                using FileStream file = File.OpenRead(part.FileOf(shard));
                file.ReadExactly(target);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SpillFailedException(Folder, e);
            }
            int offset = _bases[p];
            for (int i = filled; i < filled + count; i++) detections[i] = detections[i] with { Position = detections[i].Position + offset };
            filled += count;
        }
        return detections;
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
    private readonly DetectionSpill _spill;
    private readonly int _id;
    private readonly FileStream?[] _files;
    private readonly SpilledDetection[]?[] _buffers;
    private readonly int[] _buffered;
    private readonly int[] _counts;
    private bool _closed;

    internal SpillPart(DetectionSpill spill, int id)
    {
        _spill = spill;
        _id = id;
        _files = new FileStream?[spill.ShardCount];
        _buffers = new SpilledDetection[spill.ShardCount][];
        _buffered = new int[spill.ShardCount];
        _counts = new int[spill.ShardCount];
    }

    /// <summary>Detections appended, those of images the spill does not keep included.</summary>
    public int Count { get; private set; }

    /// <summary>Detections appended and written (of images the spill keeps).</summary>
    public int Stored { get; private set; }

    /// <summary>Appends a detection; its position in the part is <see cref="Count"/> before the call.</summary>
    public void Append(int image, int category, Box box, double score)
    {
        if (_closed) throw new InvalidOperationException("The part is closed.");
        if (!_spill.Keeps(image))
        {
            Count++;
            return;
        }
        Stored++;
        int shard = _spill.ShardOf(image);
        SpilledDetection[] buffer = _buffers[shard] ??= new SpilledDetection[BufferedPerShard];
        buffer[_buffered[shard]++] = new SpilledDetection(image, category, Count++, score, box);
        _counts[shard]++;
        if (_buffered[shard] == BufferedPerShard) Flush(shard);
    }

    internal int CountIn(int shard) => _counts[shard];

    internal string FileOf(int shard) => Path.Combine(_spill.Folder, $"part{_id}-shard{shard}.bin");

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
            _files[s]?.Dispose();
            _buffers[s] = null;
        }
        _closed = true;
    }

    /// <summary>Closes the files without flushing (the spill is being deleted).</summary>
    internal void Release()
    {
        foreach (FileStream? file in _files) file?.Dispose();
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
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
