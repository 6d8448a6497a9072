using DetectionEval.Plots;
using OpenCvSharp;

namespace DetectionEval.Plots.Tests;

public class OverlayRendererTests
{
    private static byte[] GreyPhoto(int width, int height)
    {
        using var photo = new Mat(height, width, MatType.CV_8UC3, new Scalar(128, 128, 128));
        Cv2.ImEncode(".png", photo, out byte[] png);
        return png;
    }

    private static Vec3b Pixel(byte[] jpeg, int x, int y)
    {
        using Mat image = Cv2.ImDecode(jpeg, ImreadModes.Color);
        return image.At<Vec3b>(y, x);
    }

    [Fact]
    public void Boxes_are_drawn_in_their_colours_below_a_legend_strip()
    {
        OverlayBox[] boxes =
        [
            new(20, 40, 100, 100, OverlayKind.TruePositive, "dog 0.91"),
            new(200, 40, 100, 100, OverlayKind.FalsePositive, "cat 0.40"),
            new(350, 40, 100, 100, OverlayKind.FalseNegative, "dog"),
        ];

        byte[] jpeg = OverlayRenderer.Draw(GreyPhoto(500, 300), boxes, "img.jpg: FP 1, FN 1, TP 1");

        using Mat image = Cv2.ImDecode(jpeg, ImreadModes.Color);
        Assert.Equal(500, image.Width);
        Assert.True(image.Height > 300, "a legend strip is added below the photo");
        // Left edges of the three boxes, halfway down (BGR): green, red, blue.
        Vec3b tp = Pixel(jpeg, 20, 90), fp = Pixel(jpeg, 200, 90), fn = Pixel(jpeg, 350, 90);
        Assert.True(tp.Item1 > tp.Item0 + 60 && tp.Item1 > tp.Item2 + 60, $"TP edge is {tp}");
        Assert.True(fp.Item2 > fp.Item0 + 60 && fp.Item2 > fp.Item1 + 60, $"FP edge is {fp}");
        Assert.True(fn.Item0 > fn.Item2 + 60, $"FN edge is {fn}");
        Vec3b inside = Pixel(jpeg, 70, 120);
        Assert.InRange(inside.Item0, 118, 138);
    }

    [Fact]
    public void Labels_are_filled_in_their_boxs_colour_above_a_detection_and_inside_the_bottom_of_a_miss()
    {
        OverlayBox[] boxes =
        [
            new(40, 60, 150, 150, OverlayKind.TruePositive, "dog 0.91"),
            new(260, 60, 150, 150, OverlayKind.FalseNegative, "cat"),
        ];

        byte[] jpeg = OverlayRenderer.Draw(GreyPhoto(500, 300), boxes, "img.jpg");

        using Mat image = Cv2.ImDecode(jpeg, ImreadModes.Color);
        // The strip just above the TP box's left end is mostly green; the one inside the FN box's bottom mostly blue.
        Assert.True(ShareOf(image, new Rect(42, 46, 20, 12), v => v.Item1 > v.Item0 + 60 && v.Item1 > v.Item2 + 60) > 0.5, "no green label above the TP box");
        Assert.True(ShareOf(image, new Rect(262, 196, 20, 12), v => v.Item0 > v.Item2 + 60) > 0.5, "no blue label inside the FN box's bottom");
        Assert.True(ShareOf(image, new Rect(262, 46, 20, 12), v => Math.Abs(v.Item0 - v.Item2) < 20) > 0.9, "the FN box has no label above it");
    }

    private static double ShareOf(Mat image, Rect area, Func<Vec3b, bool> test)
    {
        int hits = 0;
        for (int y = area.Top; y < area.Bottom; y++)
        {
            for (int x = area.Left; x < area.Right; x++)
            {
                if (test(image.At<Vec3b>(y, x))) hits++;
            }
        }
        return hits / (double)(area.Width * area.Height);
    }

    [Fact]
    public void Bytes_that_are_not_an_image_are_refused()
    {
        Assert.Throws<ArgumentException>(() => OverlayRenderer.Draw("not an image"u8.ToArray(), [], "x"));
    }
}
