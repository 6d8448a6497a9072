using System.Globalization;
using DetectionEval.Matching;

namespace DetectionEval.Eval.Formats;

/*
 * The one place where the four numbers of a text format become a Box and back.
 * Inputs: a, b, c, d as written, the BoxFormat (xyxy, xywh, cxcywh) and whether they are pixels or
 * fractions of the image size. Conventions (reference README sections 8 and 9):
 *   xyxy   -> Box.FromCorners(x1, y1, x2, y2): the width is x2 - x1 (the VOC rendering rule);
 *   xywh   -> Box(x, y, w, h) as written (COCO's layout, nothing recomputed);
 *   cxcywh -> w and h as written, x = cx - w / 2 (YOLO; relative: x = cx*W - w*W/2, the c02 rule).
 * Relative numbers are multiplied by the image width (x, w) or height (y, h) first. A relative number
 * outside [0, 1], a negative size and x2 < x1 are input errors; nothing is clipped.
 */

/// <summary>Converts the four numbers of a box between a text layout and <see cref="Box"/>.</summary>
internal static class BoxLayout
{
    /// <summary>The names of the four numbers of a layout, for messages and CSV headers.</summary>
    public static IReadOnlyList<string> FieldNames(BoxFormat format) => format switch
    {
        BoxFormat.Xyxy => ["x1", "y1", "x2", "y2"],
        BoxFormat.Xywh => ["x", "y", "w", "h"],
        _ => ["cx", "cy", "w", "h"],
    };

    /// <summary>The option value of a layout ("xyxy").</summary>
    public static string Name(BoxFormat format) => format switch
    {
        BoxFormat.Xyxy => "xyxy",
        BoxFormat.Xywh => "xywh",
        _ => "cxcywh",
    };

    /// <summary>A problem with the four numbers: which of them (0..3) and the message parts.</summary>
    public readonly record struct Problem(int Field, string Expected, string Found);

    /// <summary>Builds a box; on failure returns false and says which number is wrong.</summary>
    /// <param name="format">The layout.</param>
    /// <param name="values">The four numbers as written.</param>
    /// <param name="size">The image size for relative numbers; null for pixels.</param>
    /// <param name="box">The box.</param>
    /// <param name="problem">What is wrong, when false.</param>
    public static bool TryToBox(BoxFormat format, ReadOnlySpan<double> values, ImageSize? size, out Box box, out Problem problem)
    {
        box = default;
        IReadOnlyList<string> names = FieldNames(format);
        if (size is not null)
        {
            for (int i = 0; i < 4; i++)
            {
                if (!(values[i] >= 0 && values[i] <= 1))
                {
                    problem = new Problem(i, $"a relative {names[i]} between 0 and 1", Number(values[i]));
                    return false;
                }
            }
        }
        if (format == BoxFormat.Xyxy)
        {
            if (values[2] < values[0])
            {
                problem = new Problem(2, $"x2 >= x1 ({Number(values[0])})", Number(values[2]));
                return false;
            }
            if (values[3] < values[1])
            {
                problem = new Problem(3, $"y2 >= y1 ({Number(values[1])})", Number(values[3]));
                return false;
            }
        }
        else
        {
            for (int i = 2; i < 4; i++)
            {
                if (values[i] < 0)
                {
                    problem = new Problem(i, $"a {(i == 2 ? "width" : "height")} of 0 or more", Number(values[i]));
                    return false;
                }
            }
        }
        box = size is ImageSize s ? Relative(format, values, s.Width, s.Height) : Absolute(format, values);
        if (!IsFinite(box))
        {
            problem = new Problem(2, FiniteBox, $"{BoxLayout.Name(format)} [{string.Join(", ", values.ToArray().Select(Number))}]");
            box = default;
            return false;
        }
        problem = default;
        return true;
    }

    /// <summary>What a box must be besides its layout's rules, for messages.</summary>
    public const string FiniteBox = "a box whose edges, width, height and area are finite numbers (each below about 1e308)";

    /// <summary>Rule: a box's far edges and its area must be finite doubles; 1e308 + 1e308 or 1e200 * 1e200 would be infinite and every IoU with the box NaN.</summary>
    public static bool IsFinite(Box box) =>
        double.IsFinite(box.X) && double.IsFinite(box.Y) && double.IsFinite(box.Width) && double.IsFinite(box.Height)
        && double.IsFinite(box.X2) && double.IsFinite(box.Y2) && double.IsFinite(box.Area);

    private static Box Absolute(BoxFormat format, ReadOnlySpan<double> v) => format switch
    {
        BoxFormat.Xyxy => Box.FromCorners(v[0], v[1], v[2], v[3]),
        BoxFormat.Xywh => new Box(v[0], v[1], v[2], v[3]),
        _ => new Box(v[0] - v[2] / 2, v[1] - v[3] / 2, v[2], v[3]),
    };

    private static Box Relative(BoxFormat format, ReadOnlySpan<double> v, double width, double height)
    {
        switch (format)
        {
            case BoxFormat.Xyxy:
                return Box.FromCorners(v[0] * width, v[1] * height, v[2] * width, v[3] * height);
            case BoxFormat.Xywh:
                return new Box(v[0] * width, v[1] * height, v[2] * width, v[3] * height);
            default:
                // The c02 YOLO rendering's rule: x = cx*W - w*W/2 with the width w*W.
                double w = v[2] * width, h = v[3] * height;
                return new Box(v[0] * width - w / 2, v[1] * height - h / 2, w, h);
        }
    }

    /// <summary>The four numbers of a box in a layout; relative when <paramref name="size"/> is given.</summary>
    public static void FromBox(BoxFormat format, Box box, ImageSize? size, Span<double> values)
    {
        switch (format)
        {
            case BoxFormat.Xyxy:
                values[0] = box.X; values[1] = box.Y; values[2] = box.X2; values[3] = box.Y2;
                break;
            case BoxFormat.Xywh:
                values[0] = box.X; values[1] = box.Y; values[2] = box.Width; values[3] = box.Height;
                break;
            default:
                values[0] = box.X + box.Width / 2; values[1] = box.Y + box.Height / 2; values[2] = box.Width; values[3] = box.Height;
                break;
        }
        if (size is ImageSize s)
        {
            values[0] /= s.Width; values[2] /= s.Width;
            values[1] /= s.Height; values[3] /= s.Height;
        }
    }

    /// <summary>A double as the shortest text that reads back as the same double.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
