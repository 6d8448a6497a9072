using System.Text.Json.Nodes;
using DetectionEval.Cli.Visuals;
using DetectionEval.Matching.Masks;
using DetectionEval.Plots;
using OpenCvSharp;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// --overlays of mask and keypoint runs (tests/data/overlays): masks as a translucent fill with an outline
/// in the verdict's colour, keypoints as points and limbs of the category's skeleton. The pictures are
/// checked pixel by pixel where the expected colour is known: a mask's inside is the photo blended 60/40
/// with the colour, a spot no shape covers is the photo (up to JPEG's rounding).
/// </summary>
public sealed class OverlayShapeTests : IDisposable
{
    private static readonly string Cartucho = Path.Combine(ReferenceData.Case("peer/cartucho"), "images");
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-overlays-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Case(string name) => Deval.TestData("overlays", name);

    private string Out(string name) => Path.Combine(_folder, name);

    // BGR colours of OverlayRenderer: TP green, FP red, FN blue.
    private static readonly Vec3b Green = new(40, 170, 40), Red = new(40, 40, 220), Blue = new(220, 110, 20);

    private static Mat Read(string path) => Cv2.ImRead(path, ImreadModes.Color);

    /// <summary>The photo's pixel blended with <paramref name="color"/> at the overlay's 40 % opacity.</summary>
    private static Vec3b Blend(Vec3b photo, Vec3b color) =>
        new((byte)Math.Round((0.6 * photo.Item0) + (0.4 * color.Item0)), (byte)Math.Round((0.6 * photo.Item1) + (0.4 * color.Item1)), (byte)Math.Round((0.6 * photo.Item2) + (0.4 * color.Item2)));

    /// <summary>The pixel of the 3 × 3 around (x, y) nearest to <paramref name="color"/>: a 2-pixel line may fall between pixels.</summary>
    private static Vec3b Nearest(Mat image, int x, int y, Vec3b color)
    {
        Vec3b best = image.At<Vec3b>(y, x);
        int bestDistance = int.MaxValue;
        for (int dy = -1; dy <= 1; dy++)
        {
            for (int dx = -1; dx <= 1; dx++)
            {
                Vec3b p = image.At<Vec3b>(y + dy, x + dx);
                int d = Math.Abs(p.Item0 - color.Item0) + Math.Abs(p.Item1 - color.Item1) + Math.Abs(p.Item2 - color.Item2);
                if (d < bestDistance) (best, bestDistance) = (p, d);
            }
        }
        return best;
    }

    private static void AssertNear(Vec3b expected, Vec3b actual, int tolerance, string where)
    {
        int worst = Math.Max(Math.Abs(expected.Item0 - actual.Item0), Math.Max(Math.Abs(expected.Item1 - actual.Item1), Math.Abs(expected.Item2 - actual.Item2)));
        Assert.True(worst <= tolerance, $"{where}: expected about {expected}, got {actual}");
    }

    [Fact]
    public void A_segm_run_fills_each_mask_in_its_verdicts_colour_and_leaves_the_rest_of_the_photo()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", Case("masks_gt.json"), "--pred", Case("masks_dt.json"), "--iou-type", "segm",
            "--overlays", Out("overlays"), "--images", Cartucho, "--score-threshold", "0.5");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        Assert.Contains("Per class, COCO segm:", run.Output, StringComparison.Ordinal);
        Assert.Equal(["01_2007_000027.jpg"], Directory.GetFiles(Out("overlays")).Select(Path.GetFileName));

        using Mat photo = Read(Path.Combine(Cartucho, "2007_000027.jpg"));
        using Mat overlay = Read(Out("overlays/01_2007_000027.jpg"));
        // The photo keeps its size; the legend strip is added below it.
        Assert.Equal(photo.Cols, overlay.Cols);
        Assert.True(overlay.Rows > photo.Rows);
        // Inside the missed lantern (blue), the TV found (green), the plant taken for a lantern (red, score 0.61).
        foreach ((int x, int y, Vec3b color, string what) in new[] { (357, 240, Blue, "the lantern, above the table"), (80, 100, Green, "the TV"), (290, 215, Red, "the plant") })
        {
            AssertNear(Blend(photo.At<Vec3b>(y, x), color), overlay.At<Vec3b>(y, x), 24, what);
        }
        // The bookshelf, under no shape: the photo itself. Segm alone draws no box: the table's box corner
        // (179, 478) stays photo too (its mask's outline is drawn at the mask's own edge).
        foreach ((int x, int y) in new[] { (560, 200), (470, 60) }) AssertNear(photo.At<Vec3b>(y, x), overlay.At<Vec3b>(y, x), 20, $"({x}, {y})");
    }

    [Fact]
    public void A_segm_run_without_bbox_draws_at_the_best_f1_confidence_of_its_box_matches()
    {
        // Box matches at IoU 0.5: the table (0.92) and the TV (0.88) are found, the plant (0.61) is not; of 3 objects.
        // F1 is 0.8 at 0.88 (precision 1, recall 2/3) and 0.667 at 0.61: the overlay keeps 0.88 and up.
        CommandRun run = Deval.Run("evaluate", "--gt", Case("masks_gt.json"), "--pred", Case("masks_dt.json"), "--iou-type", "segm",
            "--overlays", Out("overlays"), "--images", Cartucho);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        // The segm run reports no box numbers for matching them.
        Assert.DoesNotContain("VOC", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("COCO bbox", run.Output, StringComparison.Ordinal);
        using Mat photo = Read(Path.Combine(Cartucho, "2007_000027.jpg"));
        using Mat overlay = Read(Out("overlays/01_2007_000027.jpg"));
        AssertNear(photo.At<Vec3b>(215, 290), overlay.At<Vec3b>(215, 290), 20, "the plant, under the confidence");
        AssertNear(Blend(photo.At<Vec3b>(100, 80), Green), overlay.At<Vec3b>(100, 80), 24, "the TV");
    }

    [Fact]
    public void A_keypoint_run_draws_visible_points_and_the_limbs_between_them()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", Case("keypoints_gt.json"), "--pred", Case("keypoints_dt.json"), "--iou-type", "keypoints",
            "--overlays", Out("overlays"), "--images", Deval.TestData("overlays"), "--score-threshold", "0.5");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        using Mat photo = Read(Case("figures.png"));
        using Mat overlay = Read(Out("overlays/01_figures.jpg"));
        // The found person's left shin, knee (107.4, 188.4) to ankle (106.2, 234): a green limb of the detection.
        AssertNear(Green, Nearest(overlay, 107, 211, Green), 40, "the found person's left shin");
        // The missed person's right shin, knee (301.7, 199.8) to ankle (302.6, 234): a blue limb of the ground truth.
        AssertNear(Blue, Nearest(overlay, 302, 217, Blue), 40, "the missed person's right shin");
        // Its left wrist is not labelled (v = 0): neither it, at (263, 162), nor the forearm to it is drawn.
        AssertNear(photo.At<Vec3b>(162, 263), overlay.At<Vec3b>(162, 263), 12, "the unlabelled wrist");
        AssertNear(photo.At<Vec3b>(150, 265), overlay.At<Vec3b>(150, 265), 12, "the forearm to it");
    }

    [Fact]
    public void The_categorys_own_skeleton_gives_the_limbs_and_coco_persons_is_the_default()
    {
        // The ground truth with a skeleton of the shoulders alone ([6, 7]): the hips' limb is no longer drawn.
        JsonNode gt = JsonNode.Parse(File.ReadAllText(Case("keypoints_gt.json")))!;
        gt["categories"]![0]!["skeleton"] = new JsonArray(new JsonArray(6, 7));
        string own = Out("own_skeleton.json");
        File.WriteAllText(own, gt.ToJsonString());
        gt["categories"]![0]!.AsObject().Remove("skeleton");
        string none = Out("no_skeleton.json");
        File.WriteAllText(none, gt.ToJsonString());
        string[] common = ["--pred", Case("keypoints_dt.json"), "--iou-type", "keypoints", "--images", Deval.TestData("overlays"), "--score-threshold", "0.5"];
        Assert.Equal(0, Deval.Run(["evaluate", "--gt", own, "--overlays", Out("own"), .. common]).ExitCode);
        Assert.Equal(0, Deval.Run(["evaluate", "--gt", none, "--overlays", Out("default"), .. common]).ExitCode);
        using Mat photo = Read(Case("figures.png"));
        using Mat withOwn = Read(Out("own/01_figures.jpg"));
        using Mat withDefault = Read(Out("default/01_figures.jpg"));
        // The found person's shoulders (101.4, 68.4)-(144.6, 68.4) and hips (109.8, 140.4)-(136.2, 140.4), between their points.
        AssertNear(Green, Nearest(withOwn, 118, 68, Green), 40, "shoulders, own skeleton");
        AssertNear(photo.At<Vec3b>(140, 123), withOwn.At<Vec3b>(140, 123), 12, "hips, own skeleton");
        AssertNear(Green, Nearest(withDefault, 118, 68, Green), 40, "shoulders, COCO person's");
        AssertNear(Green, Nearest(withDefault, 123, 140, Green), 40, "hips, COCO person's");
    }

    [Fact]
    public void A_skeleton_that_is_not_pairs_of_keypoint_numbers_is_one_line_and_exit_code_2()
    {
        JsonNode gt = JsonNode.Parse(File.ReadAllText(Case("keypoints_gt.json")))!;
        gt["categories"]![0]!["skeleton"] = new JsonArray(new JsonArray(16, 14), new JsonArray(0, 12));
        string path = Out("bad_skeleton.json");
        File.WriteAllText(path, gt.ToJsonString());
        CommandRun run = Deval.Run("evaluate", "--gt", path, "--pred", Case("keypoints_dt.json"), "--iou-type", "keypoints");
        Assert.Equal(2, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"deval: error: {path}:1:", line, StringComparison.Ordinal);
        Assert.EndsWith("$.categories[0].skeleton[1][0]: Expected a keypoint pair of two whole numbers of 1 or more [a, b], but got the number 0.", line, StringComparison.Ordinal);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public void A_run_length_mask_is_cut_to_its_rectangle_for_drawing()
    {
        // 4 rows × 3 columns, column by column. Runs: 5 out (column 0, row 0 of column 1), 2 in (rows 1-2
        // of column 1), 2 out (row 3 of column 1, row 0 of column 2), 1 in (row 1 of column 2), 2 out.
        // The rectangle is columns 1-2, rows 1-2; row 1 is in, in; row 2 is in, out.
        var mask = new RunLengthMask(4, 3, [5, 2, 2, 1, 2]);
        OverlayMask cut = ShapeOverlays.MaskOf(mask)!;
        Assert.Equal((1, 1, 2, 2), (cut.Left, cut.Top, cut.Width, cut.Height));
        Assert.Equal([255, 255, 255, 0], cut.Pixels);
        Assert.Null(ShapeOverlays.MaskOf(RunLengthMask.Empty(4, 3)));
    }
}
