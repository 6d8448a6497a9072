using System.Buffers;

namespace DetectionEval.Plots;

/// <summary>
/// Thins a chart's lines to the points that show at the size it is drawn: a PR curve of 10^5 detections
/// becomes a few thousand points that draw the same picture, so every renderer and every file stays light.
/// <para>
/// Inputs: the x and y of a line in data units, one entry per point, and the pixels one data unit spans
/// along each axis (<see cref="PixelScale"/>). A line keeps its first and last points and every corner of
/// a step (where a horizontal stretch meets a vertical one, both a pixel long or more, as on a PR envelope),
/// so steps keep their shape exactly. Between those, Ramer-Douglas-Peucker (Ramer 1972, Douglas and
/// Peucker 1973) at half a pixel keeps a point when it lies more than half a pixel from the segment between
/// the points kept around it: collinear points and steps below a pixel go, and no point of the original
/// line lies more than half a pixel from the thinned one, nor the other way round. Repeated points go.
/// Series drawn with markers keep a point unless its dot would sit within half a pixel of the last kept dot.
/// </para>
/// </summary>
public static class PointThinning
{
    /// <summary>How far, in pixels, the thinned line may stray from the original one.</summary>
    public const double Tolerance = 0.5;

    /// <summary>
    /// Above this many points after thinning a line loses its markers: dots that close only blot the line
    /// (a class with thousands of detections), and each dot is an element of the SVG.
    /// </summary>
    public const int MarkersUpTo = 250;

    /// <summary>
    /// The model with each series thinned for the model's size. Bars, bands and heatmaps are kept as they
    /// are (bands are already built at <see cref="Charts.BandCells"/> cells).
    /// </summary>
    public static ChartModel Thin(ChartModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Series.Count == 0) return model;
        PixelScale scale = PixelScale.Of(model);
        return model with { Series = [.. model.Series.Select(s => Thin(s, scale))] };
    }

    /// <summary>One series thinned at <paramref name="scale"/>; a marked line with more than <see cref="MarkersUpTo"/> dots left becomes a plain line.</summary>
    public static LineSeries Thin(LineSeries series, PixelScale scale)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.X.Count != series.Y.Count) throw new ArgumentException($"Series '{series.Label}' has {series.X.Count} x values and {series.Y.Count} y values.", nameof(series));
        if (series.Style is SeriesStyle.Markers or SeriesStyle.LineAndMarkers)
        {
            int[] kept = ArrayPool<int>.Shared.Rent(Math.Max(1, series.X.Count));
            try
            {
                int count = MarkerIndices(series.X, series.Y, scale, kept);
                if (series.Style == SeriesStyle.Markers || count <= MarkersUpTo)
                {
                    (double[] x, double[] y) = Gather(series.X, series.Y, kept, count);
                    return series with { X = x, Y = y };
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(kept);
            }
            series = series with { Style = SeriesStyle.Line };
        }
        (double[] lx, double[] ly) = Line(series.X, series.Y, scale);
        return series with { X = lx, Y = ly };
    }

    /// <summary>
    /// The points of a line that matter at <paramref name="scale"/>: every original point lies within
    /// <see cref="Tolerance"/> pixels of the returned line and every point of the returned line within
    /// <see cref="Tolerance"/> of the original; it starts and ends where the original does, keeps every
    /// step corner (see <see cref="PointThinning"/>) and keeps only original points, in order.
    /// </summary>
    public static (double[] X, double[] Y) Line(IReadOnlyList<double> x, IReadOnlyList<double> y, PixelScale scale)
    {
        if (x.Count != y.Count) throw new ArgumentException($"A line has {x.Count} x values and {y.Count} y values.", nameof(y));
        if (x.Count <= 2 || !IsUsable(scale)) return ([.. x], [.. y]);
        // Scratch from the shared pool: a report thins hundreds of lines, and fresh arrays for each would
        // cost more in allocation and page faults than the thinning itself.
        int n = x.Count;
        double[] px = ArrayPool<double>.Shared.Rent(n), py = ArrayPool<double>.Shared.Rent(n);
        int[] original = ArrayPool<int>.Shared.Rent(n);
        bool[] keep = ArrayPool<bool>.Shared.Rent(n);
        try
        {
            int distinct = DistinctPixels(x, y, scale, px, py, original);
            if (distinct < 0) return ([.. x], [.. y]);
            ReadOnlySpan<double> dx = px.AsSpan(0, distinct), dy = py.AsSpan(0, distinct);
            Span<bool> kept = keep.AsSpan(0, distinct);
            MarkStepCorners(dx, dy, kept);
            KeepByRamerDouglasPeucker(dx, dy, kept);
            int count = 0;
            for (int k = 0; k < distinct; k++)
            {
                if (keep[k]) original[count++] = original[k];
            }
            return Gather(x, y, original, count);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(px);
            ArrayPool<double>.Shared.Return(py);
            ArrayPool<int>.Shared.Return(original);
            ArrayPool<bool>.Shared.Return(keep);
        }
    }

    /// <summary>
    /// Writes the line's points in pixels (from the origin: only distances matter) to <paramref name="px"/>
    /// and <paramref name="py"/>, without repeats (a point equal to the one before it goes), and the index of
    /// each in <paramref name="original"/>; returns how many, or -1 when a value is not finite (a line with
    /// gaps is drawn as it is).
    /// </summary>
    private static int DistinctPixels(IReadOnlyList<double> x, IReadOnlyList<double> y, PixelScale scale, double[] px, double[] py, int[] original)
    {
        // Plain arrays in the loop (the curves come as arrays): an interface call per value would cost more than the thinning.
        double[] xs = x as double[] ?? [.. x], ys = y as double[] ?? [.. y];
        int count = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            double qx = xs[i] * scale.PerX, qy = ys[i] * scale.PerY;
            if (!(double.IsFinite(qx) && double.IsFinite(qy))) return -1;
            if (count > 0 && qx == px[count - 1] && qy == py[count - 1]) continue;
            px[count] = qx;
            py[count] = qy;
            original[count++] = i;
        }
        return count;
    }

    /// <summary>The points at the first <paramref name="count"/> of <paramref name="indices"/>, in their order.</summary>
    private static (double[] X, double[] Y) Gather(IReadOnlyList<double> x, IReadOnlyList<double> y, int[] indices, int count)
    {
        var gx = new double[count];
        var gy = new double[count];
        for (int k = 0; k < count; k++)
        {
            gx[k] = x[indices[k]];
            gy[k] = y[indices[k]];
        }
        return (gx, gy);
    }

    /// <summary>The points of a marked series whose dots do not sit within <see cref="Tolerance"/> pixels of the last kept dot (the first and last always stay).</summary>
    public static (double[] X, double[] Y) Markers(IReadOnlyList<double> x, IReadOnlyList<double> y, PixelScale scale)
    {
        int[] kept = ArrayPool<int>.Shared.Rent(Math.Max(1, x.Count));
        try
        {
            return Gather(x, y, kept, MarkerIndices(x, y, scale, kept));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(kept);
        }
    }

    /// <summary>
    /// Writes the indices of <see cref="Markers"/>' points to <paramref name="kept"/> and returns how many;
    /// every index when a value or the scale is not finite (a line with gaps or a chart without a range is
    /// drawn as it is).
    /// </summary>
    private static int MarkerIndices(IReadOnlyList<double> x, IReadOnlyList<double> y, PixelScale scale, int[] kept)
    {
        if (x.Count != y.Count) throw new ArgumentException($"A line has {x.Count} x values and {y.Count} y values.", nameof(y));
        int n = x.Count;
        if (n == 0) return 0;
        // Plain arrays in the loops (the curves come as arrays): an interface call per value would cost more than the thinning.
        double[] xs = x as double[] ?? [.. x], ys = y as double[] ?? [.. y];
        if (!IsUsable(scale) || !AllFinite(xs, ys, scale))
        {
            for (int i = 0; i < n; i++) kept[i] = i;
            return n;
        }
        const double tolerance2 = Tolerance * Tolerance;
        kept[0] = 0;
        int count = 1;
        double lastX = xs[0] * scale.PerX, lastY = ys[0] * scale.PerY;
        for (int i = 1; i < n; i++)
        {
            double qx = xs[i] * scale.PerX, qy = ys[i] * scale.PerY;
            double dx = qx - lastX, dy = qy - lastY;
            if (i < n - 1 && dx * dx + dy * dy <= tolerance2) continue;
            kept[count++] = i;
            (lastX, lastY) = (qx, qy);
        }
        return count;
    }

    /// <summary>Whether every point lies at a finite place in pixels.</summary>
    private static bool AllFinite(double[] xs, double[] ys, PixelScale scale)
    {
        for (int i = 0; i < xs.Length; i++)
        {
            if (!(double.IsFinite(xs[i] * scale.PerX) && double.IsFinite(ys[i] * scale.PerY))) return false;
        }
        return true;
    }

    /// <summary>How a maximal stretch of segments runs.</summary>
    private enum Stretch { Horizontal, Vertical, Sloped }

    /// <summary>
    /// The corners of steps, on points without repeats: where a horizontal stretch (segments of equal y)
    /// meets a vertical one (segments of equal x), both spanning at least a pixel. PR envelopes are made of
    /// such steps; Ramer-Douglas-Peucker alone could cut a step of about a pixel into a diagonal.
    /// </summary>
    private static void MarkStepCorners(ReadOnlySpan<double> px, ReadOnlySpan<double> py, Span<bool> corner)
    {
        int n = px.Length;
        corner.Clear();
        Stretch before = Stretch.Sloped;
        double beforeLength = 0;
        for (int start = 0; start < n - 1;)
        {
            Stretch kind = StretchOf(px, py, start);
            int end = start + 1;
            while (end < n - 1 && StretchOf(px, py, end) == kind && kind != Stretch.Sloped) end++;
            double length = kind == Stretch.Horizontal ? Math.Abs(px[end] - px[start]) : Math.Abs(py[end] - py[start]);
            if (kind != Stretch.Sloped && before != Stretch.Sloped && kind != before && length >= 1 && beforeLength >= 1) corner[start] = true;
            (before, beforeLength) = (kind, length);
            start = end;
        }
    }

    private static Stretch StretchOf(ReadOnlySpan<double> px, ReadOnlySpan<double> py, int i) =>
        py[i + 1] == py[i] ? Stretch.Horizontal : px[i + 1] == px[i] ? Stretch.Vertical : Stretch.Sloped;

    /// <summary>
    /// Ramer-Douglas-Peucker with an explicit stack of spans, between the ends and the points that must stay
    /// (marked in <paramref name="keep"/>, which gets the kept points marked too): in each span the point farthest from the chord between its ends is kept
    /// when it lies more than <see cref="Tolerance"/> from it, and splits the span. Each level of splitting
    /// reads every point once, so a curve costs its length times the depth of the splitting (about the
    /// logarithm of the points kept, for the monotone curves charts draw).
    /// </summary>
    private static void KeepByRamerDouglasPeucker(ReadOnlySpan<double> px, ReadOnlySpan<double> py, Span<bool> keep)
    {
        int n = px.Length;
        keep[0] = keep[n - 1] = true;
        // The spans waiting, as pairs of ends in a pooled array: they never overlap, so there are fewer than n.
        int[] spans = ArrayPool<int>.Shared.Rent(2 * n);
        int waiting = 0;
        for (int first = 0, i = 1; i < n; i++)
        {
            if (!keep[i]) continue;
            (spans[2 * waiting], spans[2 * waiting + 1]) = (first, i);
            waiting++;
            first = i;
        }
        const double tolerance2 = Tolerance * Tolerance;
        while (waiting > 0)
        {
            waiting--;
            (int first, int last) = (spans[2 * waiting], spans[2 * waiting + 1]);
            if (last - first < 2) continue;
            double ax = px[first], ay = py[first];
            double dx = px[last] - ax, dy = py[last] - ay;
            double length2 = dx * dx + dy * dy;
            int farthest = -1;
            double farthest2 = tolerance2;
            for (int i = first + 1; i < last; i++)
            {
                double qx = px[i] - ax, qy = py[i] - ay;
                // Distance to the segment, not its line: a point past either end (a curve that turns back) counts from that end.
                double t = length2 > 0 ? Math.Clamp((qx * dx + qy * dy) / length2, 0, 1) : 0;
                double ex = qx - t * dx, ey = qy - t * dy;
                double d2 = ex * ex + ey * ey;
                if (d2 > farthest2)
                {
                    farthest2 = d2;
                    farthest = i;
                }
            }
            if (farthest < 0) continue;
            keep[farthest] = true;
            (spans[2 * waiting], spans[2 * waiting + 1]) = (first, farthest);
            (spans[2 * waiting + 2], spans[2 * waiting + 3]) = (farthest, last);
            waiting += 2;
        }
        ArrayPool<int>.Shared.Return(spans);
    }

    /// <summary>Whether a scale can place points: finite and positive along both axes (a chart without a range has none).</summary>
    private static bool IsUsable(PixelScale scale) =>
        double.IsFinite(scale.PerX) && double.IsFinite(scale.PerY) && scale.PerX > 0 && scale.PerY > 0;
}

/// <summary>
/// How many pixels one data unit spans along each axis of a chart. <see cref="Of"/> takes the whole figure
/// for the data area, which is smaller, so thinning at this scale is finer than the picture needs, never
/// coarser.
/// </summary>
/// <param name="PerX">Pixels per unit of x.</param>
/// <param name="PerY">Pixels per unit of y.</param>
public readonly record struct PixelScale(double PerX, double PerY)
{
    /// <summary>The scale of <paramref name="model"/>: its width over its x range, its height over its y range.</summary>
    public static PixelScale Of(ChartModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        AxisRange r = model.Range;
        return new PixelScale(model.Width / (r.XMax - r.XMin), model.Height / (r.YMax - r.YMin));
    }
}
