namespace DetectionEval.Matching.Masks;

// Polygons and boxes to run-length masks, exactly as pycocotools' rleFrPoly rasterises them.
//
// Input: flat [x1, y1, x2, y2, ...] in pixel coordinates (a trailing odd value is ignored) and the image's
// height and width. The rule works on a grid five times finer than the pixels: the vertices are snapped to
// it by truncation toward zero (a C cast, not floor), the boundary is walked point by point on that grid,
// and each step of the boundary across the centre line of a pixel column records the row where the mask
// flips there. Sorting the flips gives the runs. Nothing here is a bitmap.
// Reference: cocodataset/cocoapi common/maskApi.c (rleFrPoly, rleFrBbox), and
// shared/reference/README.md section 11 for the same rule in words.

/// <summary>Rasterises polygons and boxes into run-length masks, as pycocotools does.</summary>
public static class PolygonRaster
{
    /// <summary>pycocotools' grid: five steps per pixel.</summary>
    private const double Scale = 5;

    /// <summary>The mask of one polygon, flat <c>[x1, y1, x2, y2, ...]</c>, in an image of <paramref name="height"/> × <paramref name="width"/>.</summary>
    public static RunLengthMask FromPolygon(ReadOnlySpan<double> xy, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        List<uint> flips = BoundaryCrossings(xy, xy.Length / 2, height, width);
        return RunsFromFlips(flips, height, width);
    }

    /// <summary>
    /// The mask of an object made of several polygons: their union, overlapping parts counted once
    /// (pycocotools' <c>frPyObjects</c> then <c>merge</c>).
    /// </summary>
    public static RunLengthMask FromPolygons(IReadOnlyList<double[]> polygons, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(polygons);
        if (polygons.Count == 0) return RunLengthMask.Empty(height, width);
        var masks = new RunLengthMask[polygons.Count];
        for (int i = 0; i < masks.Length; i++) masks[i] = FromPolygon(polygons[i], height, width);
        return masks.Length == 1 ? masks[0] : MaskRules.Union(masks);
    }

    /// <summary>The mask of a box <c>[x, y, w, h]</c>: its four corners as a polygon (maskApi.c rleFrBbox).</summary>
    public static RunLengthMask FromBox(Box box, int height, int width)
    {
        double xs = box.X, xe = xs + box.Width, ys = box.Y, ye = ys + box.Height;
        return FromPolygon([xs, ys, xs, ye, xe, ye, xe, ys], height, width);
    }

    /// <summary>C's <c>(int)</c> cast: truncation toward zero (.NET saturates where C is undefined).</summary>
    private static int Truncate(double value) => (int)value;

    /// <summary>
    /// The boundary on the fine grid, walked without storing it: the snapped vertices (closed), then every grid
    /// point of every edge, stepping along the edge's longer axis and rounding the other coordinate as
    /// pycocotools does; each step from one point to the next goes to <see cref="ColumnCrossings.Step"/>.
    /// </summary>
    private static List<uint> BoundaryCrossings(ReadOnlySpan<double> xy, int k, int height, int width)
    {
        var crossings = new ColumnCrossings(height, width);
        if (k == 0) return crossings.Flips;
        int xFirst = Truncate((Scale * xy[0]) + .5), yFirst = Truncate((Scale * xy[1]) + .5);
        for (int j = 0; j < k; j++)
        {
            int xs = Truncate((Scale * xy[j * 2]) + .5), ys = Truncate((Scale * xy[(j * 2) + 1]) + .5);
            int xe = j + 1 < k ? Truncate((Scale * xy[(j + 1) * 2]) + .5) : xFirst;
            int ye = j + 1 < k ? Truncate((Scale * xy[((j + 1) * 2) + 1]) + .5) : yFirst;
            int dx = Math.Abs(xe - xs), dy = Math.Abs(ys - ye);
            // Step from the end with the smaller coordinate along the stepping axis; list the points from
            // vertex j to vertex j + 1 all the same.
            bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if (flip)
            {
                (xs, xe) = (xe, xs);
                (ys, ye) = (ye, ys);
            }
            // A zero-length edge divides 0 by 0; its one point's y is never read (only changes of x are).
            double s = dx >= dy ? (double)(ye - ys) / dx : (double)(xe - xs) / dy;
            if (dx >= dy)
            {
                for (int d = 0; d <= dx; d++)
                {
                    int t = flip ? dx - d : d;
                    crossings.Step(t + xs, Truncate(ys + (s * t) + .5));
                }
            }
            else
            {
                for (int d = 0; d <= dy; d++)
                {
                    int t = flip ? dy - d : d;
                    crossings.Step(Truncate(xs + (s * t) + .5), t + ys);
                }
            }
        }
        return crossings.Flips;
    }

    /// <summary>
    /// The pixel index of every step of the boundary across the centre line of a pixel column: the step's
    /// smaller x must be 5c + 2 for a column c inside the image; its row is the smaller y brought back to
    /// pixels, clamped to [0, h] and rounded up.
    /// </summary>
    private sealed class ColumnCrossings(int height, int width)
    {
        /// <summary>Each thread's list of flips, used again for its next polygon (grown lists are most of the garbage otherwise).</summary>
        [ThreadStatic]
        private static List<uint>? _reused;

        private bool _started;
        private int _u, _v;

        public List<uint> Flips { get; } = TakeList();

        private static List<uint> TakeList()
        {
            List<uint> list = _reused ??= new List<uint>(1024);
            list.Clear();
            return list;
        }

        /// <summary>The boundary's next point (u, v) on the fine grid.</summary>
        public void Step(int u, int v)
        {
            (int previousU, int previousV, bool started) = (_u, _v, _started);
            (_u, _v, _started) = (u, v, true);
            if (!started || u == previousU) return;
            double xd = u < previousU ? u : u - 1;
            xd = ((xd + .5) / Scale) - .5;
            if (Math.Floor(xd) != xd || xd < 0 || xd > width - 1) return;
            double yd = v < previousV ? v : previousV;
            yd = ((yd + .5) / Scale) - .5;
            if (yd < 0) yd = 0;
            else if (yd > height) yd = height;
            yd = Math.Ceiling(yd);
            Flips.Add((uint)(((int)xd * height) + (int)yd));
        }
    }

    /// <summary>
    /// Runs from the flip indices: sorted, closed by h·w, turned into differences, and a zero difference
    /// (two flips at one index cancel) merged into the run before it, as maskApi.c does.
    /// </summary>
    private static RunLengthMask RunsFromFlips(List<uint> flips, int height, int width)
    {
        flips.Add((uint)((long)height * width));
        flips.Sort();
        uint previous = 0;
        for (int j = 0; j < flips.Count; j++)
        {
            uint t = flips[j];
            flips[j] -= previous;
            previous = t;
        }
        var counts = new List<uint>(flips.Count) { flips[0] };
        int i = 1;
        while (i < flips.Count)
        {
            if (flips[i] > 0)
            {
                counts.Add(flips[i++]);
            }
            else
            {
                i++;
                if (i < flips.Count) counts[^1] += flips[i++];
            }
        }
        return new RunLengthMask(height, width, [.. counts], check: false);
    }
}
