using DetectionEval.Eval.Data;
using DetectionEval.Matching;

namespace DetectionEval.Eval.Loaders;

// The fast path for COCO results files: a byte scanner for the common shape
//   [ {"image_id": 1, "category_id": 3, "bbox": [x, y, w, h], "score": 0.9}, ... ]
// with the four keys in any order and any JSON whitespace. It streams the file in chunks into flat
// arrays and commits them to the DatasetBuilder only when the whole file was read without surprise.
// Anything else (another key, an escape in a key, a missing key, a value of the wrong type, a negative
// size, an unknown image, invalid JSON, a top-level object) makes it give up, and the caller reads the
// file again with the general reader, which accepts what is valid and reports what is not with the exact
// file:line:column, JSON path, expected and found. So the fast path changes speed, never results or
// messages. Numbers go through FastDecimal, which gives the same doubles as double.Parse.

/// <summary>A scanner for well-formed COCO results lists; returns false to hand over to the general reader.</summary>
internal sealed class CocoResultsFastPath
{
    private const int ChunkSize = 1 << 20;

    private readonly DatasetBuilder _builder;
    private readonly List<int> _images = [];
    private readonly List<int> _categories = [];
    private readonly List<Box> _boxes = [];
    private readonly List<double> _scores = [];
    private readonly List<long> _unknownCategories = [];
    private int _objects;

    // The image and category of the last detection, to skip the dictionary when the next has the same.
    private long _lastImageId = long.MinValue, _lastCategoryId = long.MinValue;
    private int _lastImage, _lastCategory;

    private CocoResultsFastPath(DatasetBuilder builder) => _builder = builder;

    /// <summary>Reads <paramref name="stream"/> into <paramref name="builder"/> when it has the common shape.</summary>
    /// <returns>False, with <paramref name="builder"/> untouched, when the general reader must read the file.</returns>
    public static bool TryRead(Stream stream, DatasetBuilder builder)
    {
        var reader = new CocoResultsFastPath(builder);
        if (!reader.Scan(stream)) return false;
        reader.Commit();
        return true;
    }

    private void Commit()
    {
        _builder.AddDetections(_images, _categories, _boxes, _scores);
        foreach (long id in _unknownCategories) _builder.CountDetectionOfUnknownCategory(id);
    }

    private enum Step { Done, NeedMore, GiveUp }

    private bool Scan(Stream stream)
    {
        byte[] buffer = new byte[ChunkSize];
        int length = 0, position = 0;
        bool final = false;
        bool started = false, opened = false, closed = false, expectObject = true;
        while (true)
        {
            // Refill: keep the unread tail, read more after it.
            if (position > 0)
            {
                Buffer.BlockCopy(buffer, position, buffer, 0, length - position);
                length -= position;
                position = 0;
            }
            if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            int read = stream.Read(buffer, length, buffer.Length - length);
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
                if (p == span.Length) break;
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
                    if (expectObject && _objects > 0) return false;
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
            }
            if (final) return opened && closed;
        }
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> span, int p)
    {
        while (p < span.Length && span[p] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') p++;
        return p;
    }

    /// <summary>One object with exactly the four keys; <paramref name="p"/> moves past it on success.</summary>
    private Step ReadDetection(ReadOnlySpan<byte> span, ref int p, bool final)
    {
        Step incomplete = final ? Step.GiveUp : Step.NeedMore;
        if (span[p] != (byte)'{') return Step.GiveUp;
        int i = p + 1;
        long imageId = 0, categoryId = 0;
        double score = 0, x = 0, y = 0, w = 0, h = 0;
        int seen = 0;
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
            if (seen != 0)
            {
                if (span[i] != (byte)',') return Step.GiveUp;
                i = SkipWhitespace(span, i + 1);
                if (i == span.Length) return incomplete;
            }
            if (span[i] != (byte)'"') return Step.GiveUp;
            int keyEnd = span[(i + 1)..].IndexOf((byte)'"');
            if (keyEnd < 0) return incomplete;
            ReadOnlySpan<byte> key = span.Slice(i + 1, keyEnd);
            i = SkipWhitespace(span, i + keyEnd + 2);
            if (i == span.Length) return incomplete;
            if (span[i] != (byte)':') return Step.GiveUp;
            i = SkipWhitespace(span, i + 1);
            Step step;
            if (key.SequenceEqual("image_id"u8)) { step = ReadInteger(span, ref i, final, out imageId); seen |= 1; }
            else if (key.SequenceEqual("category_id"u8)) { step = ReadInteger(span, ref i, final, out categoryId); seen |= 2; }
            else if (key.SequenceEqual("bbox"u8)) { step = ReadBox(span, ref i, final, out x, out y, out w, out h); seen |= 4; }
            else if (key.SequenceEqual("score"u8)) { step = ReadNumber(span, ref i, final, out score); seen |= 8; }
            else return Step.GiveUp;
            if (step != Step.Done) return step;
        }
        if (seen != 15 || !double.IsFinite(score)) return Step.GiveUp;
        if (!Resolve(imageId, categoryId, out int image, out int category)) return Step.GiveUp;
        if (category >= 0)
        {
            _images.Add(image);
            _categories.Add(category);
            _boxes.Add(new Box(x, y, w, h));
            _scores.Add(score);
        }
        else
        {
            _unknownCategories.Add(categoryId);
        }
        p = i;
        return Step.Done;
    }

    /// <summary>Image and category indices; false for an unknown image (an input error the general reader reports). An unknown category gives -1.</summary>
    private bool Resolve(long imageId, long categoryId, out int image, out int category)
    {
        if (imageId != _lastImageId)
        {
            if (!_builder.TryGetImage(imageId, out _lastImage))
            {
                image = category = 0;
                return false;
            }
            _lastImageId = imageId;
        }
        if (categoryId != _lastCategoryId)
        {
            _lastCategory = _builder.TryGetCategory(categoryId, out int index) ? index : -1;
            _lastCategoryId = categoryId;
        }
        image = _lastImage;
        category = _lastCategory;
        return true;
    }

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
            if (!double.IsFinite(values[k]) || (k >= 2 && values[k] < 0)) return Step.GiveUp;
            i = SkipWhitespace(span, i);
            if (i == span.Length) return incomplete;
            if (span[i] != (byte)(k < 3 ? ',' : ']')) return Step.GiveUp;
            i++;
        }
        (x, y, w, h) = (values[0], values[1], values[2], values[3]);
        return Step.Done;
    }

    private static Step ReadInteger(ReadOnlySpan<byte> span, ref int i, bool final, out long value)
    {
        value = 0;
        int start = i;
        Step step = ScanNumber(span, ref i, final, out bool integral);
        if (step != Step.Done) return step;
        // Only plain integers up to 18 digits; "3.0" and the like go to the general reader, which accepts them.
        if (!integral || i - start > 18) return Step.GiveUp;
        bool negative = span[start] == (byte)'-';
        for (int k = negative ? start + 1 : start; k < i; k++) value = value * 10 + (span[k] - '0');
        if (negative) value = -value;
        return Step.Done;
    }

    private static Step ReadNumber(ReadOnlySpan<byte> span, ref int i, bool final, out double value)
    {
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
