namespace DetectionEval.Plots;

/// <summary>A rectangle in whole pixels: left, top, width and height; the right and bottom edges are exclusive.</summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    /// <summary>The first column to the right of the rectangle.</summary>
    public int Right => X + Width;

    /// <summary>The first row below the rectangle.</summary>
    public int Bottom => Y + Height;

    /// <summary>True when the two share at least one pixel (touching edges do not count).</summary>
    public bool Intersects(PixelRect other) => X < other.Right && other.X < Right && Y < other.Bottom && other.Y < Bottom;

    /// <summary>How many pixels the two share.</summary>
    public long OverlapArea(PixelRect other)
    {
        long w = Math.Min(Right, other.Right) - Math.Max(X, other.X);
        long h = Math.Min(Bottom, other.Bottom) - Math.Max(Y, other.Y);
        return w > 0 && h > 0 ? w * h : 0;
    }

    /// <summary>True when every pixel lies in a <paramref name="width"/> x <paramref name="height"/> image.</summary>
    public bool IsInside(int width, int height) => X >= 0 && Y >= 0 && Right <= width && Bottom <= height;
}

/// <summary>Where a box's label goes when nothing is in the way.</summary>
public enum LabelAnchor
{
    /// <summary>On top of the box, its left edge at the box's (detections).</summary>
    AboveTop,

    /// <summary>Inside the box along its bottom edge (ground truth, so a detection's label on the same object does not cover it).</summary>
    InsideBottom,
}

/// <summary>One box's label to place.</summary>
/// <param name="Box">The box, in image pixels.</param>
/// <param name="Width">The label's width in the normal font.</param>
/// <param name="Height">The label's height in the normal font.</param>
/// <param name="SmallWidth">Its width in the smaller font, tried when the normal one does not fit at the box.</param>
/// <param name="SmallHeight">Its height in the smaller font.</param>
/// <param name="Anchor">Where it goes when nothing is in the way.</param>
public sealed record LabelRequest(PixelRect Box, int Width, int Height, int SmallWidth, int SmallHeight, LabelAnchor Anchor);

/// <summary>A line from a label to the box it names, for a label that could not be put at its box.</summary>
/// <param name="FromX">The end at the label.</param>
/// <param name="FromY">The end at the label.</param>
/// <param name="ToX">The end on the box's outline.</param>
/// <param name="ToY">The end on the box's outline.</param>
public readonly record struct LeaderLine(int FromX, int FromY, int ToX, int ToY);

/// <summary>Where a label was put.</summary>
/// <param name="Label">Its rectangle, inside the image.</param>
/// <param name="Small">True when it is set in the smaller font.</param>
/// <param name="Leader">The line to its box when it does not touch the box; null when it does.</param>
public sealed record PlacedLabel(PixelRect Label, bool Small, LeaderLine? Leader);

/// <summary>
/// Places box labels on a picture so none covers another. Inputs: the image size and, in the order to
/// place them (most important first), each box with its label's size in a normal and a smaller font.
/// Each label is tried, in order:
/// <list type="number">
/// <item>at its box in the normal font: its usual spot (<see cref="LabelAnchor"/>; outside the box when the
/// box is less than three labels tall, so the label does not hide it) first, then slid along that edge,
/// then along the box's other top and bottom edges;</item>
/// <item>the same in the smaller font;</item>
/// <item>anywhere in the image, nearest to its box first, with a leader line to the box (normal, then small font).</item>
/// </list>
/// Every spot is shifted to lie inside the image. A spot is taken only when it covers no label placed
/// before and keeps a small gap to them. A label's usual spot is its own when free; past it, among the
/// free spots of a step, one that hides no leader line (covers none, and its own runs over no label) and
/// leaves every later label's usual spot free wins over the order above, so a label that has to move does
/// not push a neighbour off its box. A label that fits nowhere is left out (null): the box is still drawn.
/// The rule is greedy and deterministic: the same boxes give the same picture.
/// </summary>
public static class LabelPlacement
{
    /// <summary>Places every label; the result has one entry per request, null for a label that fits nowhere.</summary>
    /// <param name="requests">The labels, most important first.</param>
    /// <param name="imageWidth">The image's width in pixels.</param>
    /// <param name="imageHeight">The image's height in pixels.</param>
    public static IReadOnlyList<PlacedLabel?> Place(IReadOnlyList<LabelRequest> requests, int imageWidth, int imageHeight)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentOutOfRangeException.ThrowIfNegative(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegative(imageHeight);
        var image = new PixelRect(0, 0, imageWidth, imageHeight);
        var scene = new Scene(image, [.. requests.Select(r => UsualSpot(r, image))]);
        var placed = new PlacedLabel?[requests.Count];
        for (int i = 0; i < requests.Count; i++)
        {
            scene.Next = i + 1;
            placed[i] = AtBox(requests[i], small: false, scene)
                ?? AtBox(requests[i], small: true, scene)
                ?? WithLeader(requests[i], small: false, scene)
                ?? WithLeader(requests[i], small: true, scene);
            if (placed[i] is not { } p) continue;
            scene.Taken.Add(p.Label);
            if (p.Leader is { } line) scene.Lines.Add(line);
        }
        return placed;
    }

    /// <summary>What the labels placed so far occupy, and the usual spots kept free for the labels to come.</summary>
    private sealed class Scene(PixelRect image, PixelRect?[] usual)
    {
        public PixelRect Image { get; } = image;

        public List<PixelRect> Taken { get; } = [];

        public List<LeaderLine> Lines { get; } = [];

        /// <summary>The first label not placed yet.</summary>
        public int Next { get; set; }

        /// <summary>True when the spot (with its gap) covers a placed label.</summary>
        public bool IsTaken(PixelRect spot)
        {
            PixelRect grown = WithGap(spot);
            foreach (PixelRect r in Taken)
            {
                if (grown.Intersects(r)) return true;
            }
            return false;
        }

        /// <summary>True when the spot covers the usual spot of a label still to be placed.</summary>
        public bool BlocksLater(PixelRect spot)
        {
            for (int i = Next; i < usual.Length; i++)
            {
                if (usual[i] is { } r && spot.Intersects(r)) return true;
            }
            return false;
        }

        /// <summary>True when the spot covers a placed leader line, or its own <paramref name="line"/> runs over a placed label.</summary>
        public bool HidesALine(PixelRect spot, LeaderLine? line)
        {
            foreach (LeaderLine l in Lines)
            {
                if (Crosses(l, spot)) return true;
            }
            if (line is not { } own) return false;
            foreach (PixelRect r in Taken)
            {
                if (Crosses(own, r)) return true;
            }
            return false;
        }
    }

    /// <summary>The first spot tried for a label in the normal font, or null when it is larger than the image.</summary>
    private static PixelRect? UsualSpot(LabelRequest r, PixelRect image) =>
        Fits(r.Width, r.Height, image) ? ShiftInside(EdgeSpots(r.Box, r.Width, r.Height, r.Anchor).First(), image) : null;

    private static bool Fits(int width, int height, PixelRect image) => width > 0 && height > 0 && width <= image.Width && height <= image.Height;

    /// <summary>
    /// The first free spot along the box's edges that hides no leader line and, past the usual spot, blocks
    /// no later label's usual spot; failing that, the first free one that hides no line, then the first free
    /// one. Null when every spot covers a placed label.
    /// </summary>
    private static PlacedLabel? AtBox(LabelRequest r, bool small, Scene scene)
    {
        (int w, int h) = small ? (r.SmallWidth, r.SmallHeight) : (r.Width, r.Height);
        if (!Fits(w, h, scene.Image)) return null;
        PixelRect? best = null;
        int bestFaults = int.MaxValue;
        bool usual = true;
        foreach (PixelRect spot in EdgeSpots(r.Box, w, h, r.Anchor))
        {
            PixelRect inside = ShiftInside(spot, scene.Image);
            // The usual spot is the label's by right: only the spots it moves on to give way to later labels.
            bool blocks = !usual && scene.BlocksLater(inside);
            usual = false;
            if (scene.IsTaken(inside)) continue;
            int faults = (scene.HidesALine(inside, null) ? 2 : 0) + (blocks ? 1 : 0);
            if (faults == 0) return new PlacedLabel(inside, small, null);
            if (faults >= bestFaults) continue;
            best = inside;
            bestFaults = faults;
        }
        return best is { } b ? new PlacedLabel(b, small, null) : null;
    }

    /// <summary>
    /// Spots touching the box, in order of preference: the anchor's edge first, then the others (outside
    /// ones first for a box less than three labels tall). Along each
    /// edge the label starts at the box's left edge and slides right in steps of half its height, ending
    /// flush with the box's right edge (a label wider than the box slides the other way).
    /// </summary>
    internal static IEnumerable<PixelRect> EdgeSpots(PixelRect box, int width, int height, LabelAnchor anchor)
    {
        int above = box.Y - height, insideTop = box.Y, below = box.Bottom, insideBottom = box.Bottom - height;
        // A label inside a box less than three labels tall would hide most of what the box shows: such a
        // box gets its label outside first.
        bool roomInside = box.Height >= 3 * height;
        int[] rows = (anchor, roomInside) switch
        {
            (LabelAnchor.AboveTop, true) => [above, insideTop, below, insideBottom],
            (LabelAnchor.AboveTop, false) => [above, below, insideTop, insideBottom],
            (_, true) => [insideBottom, insideTop, below, above],
            _ => [below, above, insideBottom, insideTop],
        };
        int flushRight = box.Right - width;
        int step = Math.Max(1, height / 2);
        foreach (int y in rows)
        {
            yield return new PixelRect(box.X, y, width, height);
            int direction = Math.Sign(flushRight - box.X);
            if (direction == 0) continue;
            for (int x = box.X + direction * step; direction * (flushRight - x) > 0; x += direction * step) yield return new PixelRect(x, y, width, height);
            yield return new PixelRect(flushRight, y, width, height);
        }
    }

    /// <summary>
    /// The free spot nearest to the box anywhere in the image (on a grid of half the label's height), with a
    /// leader line to the box; spots that hide no line, then those that keep later labels' usual spots free,
    /// win over nearer ones. Null when none is free.
    /// </summary>
    private static PlacedLabel? WithLeader(LabelRequest r, bool small, Scene scene)
    {
        (int w, int h) = small ? (r.SmallWidth, r.SmallHeight) : (r.Width, r.Height);
        if (!Fits(w, h, scene.Image)) return null;
        int step = Math.Max(1, h / 2);
        PlacedLabel? best = null;
        (int Faults, long Distance) bestKey = (int.MaxValue, long.MaxValue);
        foreach (int y in GridOf(scene.Image.Height - h, step))
        {
            foreach (int x in GridOf(scene.Image.Width - w, step))
            {
                var spot = new PixelRect(x, y, w, h);
                long distance = DistanceSquared(spot, r.Box);
                // Cheapest test first: a spot further than a faultless best one cannot win.
                if (bestKey.Faults == 0 && distance >= bestKey.Distance) continue;
                if (scene.IsTaken(spot)) continue;
                LeaderLine? line = distance == 0 ? null : LeaderTo(spot, r.Box);
                (int, long) key = ((scene.HidesALine(spot, line) ? 2 : 0) + (scene.BlocksLater(spot) ? 1 : 0), distance);
                if (key.CompareTo(bestKey) >= 0) continue;
                best = new PlacedLabel(spot, small, line);
                bestKey = key;
            }
        }
        return best;
    }

    /// <summary>0, step, 2 step ... and <paramref name="last"/> itself, so the far edge of the image is tried too.</summary>
    private static IEnumerable<int> GridOf(int last, int step)
    {
        for (int v = 0; v < last; v += step) yield return v;
        yield return last;
    }

    /// <summary>
    /// The rectangle grown by an eighth of its height (at least a pixel) on every side: labels keep that gap,
    /// so two labels of one colour read as two, not as one block.
    /// </summary>
    private static PixelRect WithGap(PixelRect r)
    {
        int gap = Math.Max(1, r.Height / 8);
        return new PixelRect(r.X - gap, r.Y - gap, r.Width + 2 * gap, r.Height + 2 * gap);
    }

    /// <summary>A rectangle moved the least that puts it inside the image (which it must fit).</summary>
    internal static PixelRect ShiftInside(PixelRect r, PixelRect image) =>
        r with { X = Math.Clamp(r.X, image.X, image.Right - r.Width), Y = Math.Clamp(r.Y, image.Y, image.Bottom - r.Height) };

    /// <summary>The squared gap between two rectangles; 0 when they touch or overlap.</summary>
    private static long DistanceSquared(PixelRect a, PixelRect b)
    {
        long dx = Math.Max(0, Math.Max(b.X - a.Right, a.X - b.Right));
        long dy = Math.Max(0, Math.Max(b.Y - a.Bottom, a.Y - b.Bottom));
        return dx * dx + dy * dy;
    }

    /// <summary>From the label's point nearest the box to the box's outline point nearest that one.</summary>
    private static LeaderLine LeaderTo(PixelRect label, PixelRect box)
    {
        int toX = Math.Clamp(Mid(label.X, label.Right), box.X, box.Right);
        int toY = Math.Clamp(Mid(label.Y, label.Bottom), box.Y, box.Bottom);
        return new LeaderLine(Math.Clamp(toX, label.X, label.Right), Math.Clamp(toY, label.Y, label.Bottom), toX, toY);
    }

    /// <summary>True when the line passes through the rectangle's inside (Liang-Barsky clipping; touching an edge does not count).</summary>
    internal static bool Crosses(LeaderLine line, PixelRect r)
    {
        double x0 = line.FromX, y0 = line.FromY, dx = line.ToX - x0, dy = line.ToY - y0;
        double enter = 0, leave = 1;
        // Each pair: the line's change along one axis, and how far it may go before it leaves that side.
        ReadOnlySpan<(double P, double Q)> sides = [(-dx, x0 - r.X), (dx, r.Right - x0), (-dy, y0 - r.Y), (dy, r.Bottom - y0)];
        foreach ((double p, double q) in sides)
        {
            if (p == 0)
            {
                if (q <= 0) return false;
                continue;
            }
            double t = q / p;
            if (p < 0) enter = Math.Max(enter, t);
            else leave = Math.Min(leave, t);
        }
        return enter < leave;
    }

    private static int Mid(int from, int to) => from + (to - from) / 2;
}
