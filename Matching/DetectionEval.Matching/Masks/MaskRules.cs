namespace DetectionEval.Matching.Masks;

// Operations on run-length masks, as pycocotools' maskApi.c computes them: encode and decode a bitmap,
// IoU with the crowd rule, union and intersection. IoU and the merges walk the two lists of runs together
// and never build a bitmap, so their cost is the number of runs, not of pixels.
// Layout: column-major masks (index x * h + y), runs of 0s first (see RunLengthMask).
// Reference: cocodataset/cocoapi common/maskApi.c (rleEncode, rleDecode, rleIou, rleMerge).
// Sentinels: IoU -1 for masks of different sizes whose boxes overlap (rleIou's o = -1).

/// <summary>Run-length mask operations with pycocotools' results.</summary>
public static class MaskRules
{
    /// <summary>Encodes a column-major bitmap (any non-zero byte is set) of <paramref name="height"/> × <paramref name="width"/>.</summary>
    public static RunLengthMask Encode(ReadOnlySpan<byte> columnMajor, int height, int width)
    {
        if (columnMajor.Length != (long)height * width) throw new ArgumentException("The bitmap must hold height * width bytes.", nameof(columnMajor));
        var counts = new List<uint>();
        bool current = false;
        uint run = 0;
        foreach (byte b in columnMajor)
        {
            bool set = b != 0;
            if (set != current)
            {
                counts.Add(run);
                run = 0;
                current = set;
            }
            run++;
        }
        counts.Add(run);
        return new RunLengthMask(height, width, [.. counts], check: false);
    }

    /// <summary>The column-major bitmap of a mask: 1 where set, 0 elsewhere.</summary>
    public static byte[] Decode(RunLengthMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        byte[] bitmap = new byte[(long)mask.Height * mask.Width];
        long p = 0;
        byte value = 0;
        foreach (uint run in mask.Counts)
        {
            bitmap.AsSpan((int)p, (int)run).Fill(value);
            p += run;
            value ^= 1;
        }
        return bitmap;
    }

    /// <summary>
    /// COCO mask IoU (maskApi.c rleIou): intersection over union, both counted in pixels; for a crowd
    /// ground truth the union is the detection's own area. 0 when the masks share no pixel (empty masks
    /// included); -1 when their sizes differ and their boxes overlap, as pycocotools returns.
    /// </summary>
    public static double Iou(RunLengthMask detection, RunLengthMask groundTruth, bool groundTruthIsCrowd) =>
        Iou(detection, groundTruth, groundTruthIsCrowd, decoded: null);

    /// <summary>
    /// <see cref="Iou(RunLengthMask, RunLengthMask, bool)"/> for a loop over many pairs: a detection kept
    /// compressed is decoded once into <paramref name="decoded"/> (which keeps the last mask it decoded), and
    /// only where the boxes overlap; without one, into a new array each time.
    /// </summary>
    public static double Iou(RunLengthMask detection, RunLengthMask groundTruth, bool groundTruthIsCrowd, DecodedCounts? decoded)
    {
        ArgumentNullException.ThrowIfNull(detection);
        ArgumentNullException.ThrowIfNull(groundTruth);
        // rleIou computes the masks' box IoU first and only walks the runs where it is > 0; a shared
        // pixel implies overlapping boxes, so this only saves time, except for the size check below.
        if (IouRules.Coco(detection.BoundingBox, groundTruth.BoundingBox, groundTruthIsCrowd) <= 0) return 0;
        if (detection.Height != groundTruth.Height || detection.Width != groundTruth.Width) return -1;
        long intersection = Intersection(decoded is null ? detection.Counts : decoded.Of(detection), groundTruth.Counts);
        if (intersection == 0) return 0;
        // The pixels in either mask: both areas less the shared ones, the count rleIou's walk arrives at.
        long union = groundTruthIsCrowd ? detection.Area : detection.Area + groundTruth.Area - intersection;
        // One double division of the two exact counts, as (double)i / (double)u.
        return (double)intersection / union;
    }

    /// <summary>
    /// Pixels set in both masks: their runs of 1s as index intervals, walked together (each step moves past the
    /// interval that ends first), the overlap of each pair summed. Zero-length runs give empty intervals.
    /// </summary>
    public static long Intersection(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b)
    {
        if (a.Length < 2 || b.Length < 2) return 0;
        long intersection = 0;
        // The current runs of 1s: a[ia] pixels from startA, b[ib] pixels from startB.
        int ia = 1, ib = 1;
        long startA = a[0], startB = b[0];
        while (true)
        {
            long endA = startA + a[ia], endB = startB + b[ib];
            long overlap = Math.Min(endA, endB) - Math.Max(startA, startB);
            if (overlap > 0) intersection += overlap;
            if (endA <= endB)
            {
                if (ia + 2 >= a.Length) return intersection;
                startA = endA + a[ia + 1];
                ia += 2;
            }
            else
            {
                if (ib + 2 >= b.Length) return intersection;
                startB = endB + b[ib + 1];
                ib += 2;
            }
        }
    }

    /// <summary>Pixels set in both masks and in either: the intersection's walk, and both masks' set pixels less it.</summary>
    public static (long Intersection, long Union) IntersectionAndUnion(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b)
    {
        long intersection = Intersection(a, b);
        return (intersection, RunLengthMask.AreaOf(a) + RunLengthMask.AreaOf(b) - intersection);
    }

    /// <summary>The union of masks of one size (pycocotools' <c>merge</c> with intersect = 0).</summary>
    /// <exception cref="ArgumentException">The masks differ in size, or there are none.</exception>
    public static RunLengthMask Union(IReadOnlyList<RunLengthMask> masks) => Merge(masks, intersect: false);

    /// <summary>The intersection of masks of one size (pycocotools' <c>merge</c> with intersect = 1).</summary>
    /// <exception cref="ArgumentException">The masks differ in size, or there are none.</exception>
    public static RunLengthMask Intersection(IReadOnlyList<RunLengthMask> masks) => Merge(masks, intersect: true);

    private static RunLengthMask Merge(IReadOnlyList<RunLengthMask> masks, bool intersect)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.Count == 0) throw new ArgumentException("Merging needs at least one mask.", nameof(masks));
        RunLengthMask result = masks[0];
        for (int i = 1; i < masks.Count; i++)
        {
            RunLengthMask next = masks[i];
            if (next.Height != result.Height || next.Width != result.Width)
            {
                throw new ArgumentException("Only masks of one size can be merged.", nameof(masks));
            }
            result = MergeTwo(result, next, intersect);
        }
        return result;
    }

    /// <summary>Walks the two run lists together and writes a run each time the merged value changes.</summary>
    private static RunLengthMask MergeTwo(RunLengthMask first, RunLengthMask second, bool intersect)
    {
        var counts = new List<uint>(first.Counts.Length + second.Counts.Length);
        bool current = false;
        long run = 0;
        var walk = new RunPairs(first.Counts, second.Counts);
        while (walk.Next(out long step, out bool inA, out bool inB))
        {
            bool value = intersect ? inA && inB : inA || inB;
            if (value != current)
            {
                counts.Add((uint)run);
                run = 0;
                current = value;
            }
            run += step;
        }
        counts.Add((uint)run);
        return new RunLengthMask(first.Height, first.Width, [.. counts], check: false);
    }

    /// <summary>
    /// Walks two masks' run lists together, one stretch at a time: each stretch is as long as the shorter of
    /// the two current runs, and says whether each mask is set over it. Zero-length runs flip the value
    /// without covering a pixel; a mask whose runs ended counts as unset over the rest.
    /// </summary>
    private ref struct RunPairs(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b)
    {
        private readonly ReadOnlySpan<uint> _a = a, _b = b;
        private int _ia, _ib;
        private long _leftA = a.Length > 0 ? a[0] : 0, _leftB = b.Length > 0 ? b[0] : 0;
        private bool _setA, _setB;

        /// <summary>The next stretch, or false once both masks' runs are used up.</summary>
        public bool Next(out long step, out bool inA, out bool inB)
        {
            while (_leftA == 0 && _ia + 1 < _a.Length)
            {
                _leftA = _a[++_ia];
                _setA = !_setA;
            }
            while (_leftB == 0 && _ib + 1 < _b.Length)
            {
                _leftB = _b[++_ib];
                _setB = !_setB;
            }
            if (_leftA == 0 && _leftB == 0)
            {
                (step, inA, inB) = (0, false, false);
                return false;
            }
            step = _leftA == 0 ? _leftB : _leftB == 0 ? _leftA : Math.Min(_leftA, _leftB);
            inA = _setA && _leftA > 0;
            inB = _setB && _leftB > 0;
            _leftA = Math.Max(0, _leftA - step);
            _leftB = Math.Max(0, _leftB - step);
            return true;
        }
    }
}

/// <summary>
/// The run lengths of the last mask asked for, decoded once when it is kept compressed: one per thread, for a
/// loop that compares one detection with many ground truths.
/// </summary>
public sealed class DecodedCounts
{
    private RunLengthMask? _mask;
    private uint[]? _buffer;
    private int _count;

    /// <summary>The run lengths of <paramref name="mask"/>, valid until this is asked for another mask kept compressed.</summary>
    public ReadOnlySpan<uint> Of(RunLengthMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (!mask.IsCompressed) return mask.DecodeCounts(ref _buffer);
        if (!ReferenceEquals(mask, _mask))
        {
            _count = mask.DecodeCounts(ref _buffer).Length;
            _mask = mask;
        }
        return _buffer.AsSpan(0, _count);
    }
}
