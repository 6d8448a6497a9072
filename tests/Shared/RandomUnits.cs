namespace DetectionEval.Tests.Shared;

/// <summary>
/// Random (image, class) units made to hit the corners of the matching rules: boxes on a half-pixel grid,
/// detections that are ground truths with one edge moved by a fraction (IoU exactly 0.5, 0.75, 0.8, ...),
/// identical detections and identical ground-truth pairs (ties in IoU), a handful of score values, 0.0 and
/// -0.0 among them (ties in score), crowds and difficult objects, area fields on the COCO range bounds and
/// detections of exactly 32 x 32 and 96 x 96, zero-area boxes, boxes off the grid (where the order of
/// operations decides the last bit), and units without ground truth or detections.
/// </summary>
public static class RandomUnits
{
    /// <summary>One unit in plain arrays, file order.</summary>
    /// <param name="Truth">Ground-truth boxes.</param>
    /// <param name="TruthArea">The <c>area</c> field of each ground truth (not always w * h).</param>
    /// <param name="Crowd">iscrowd per ground truth.</param>
    /// <param name="Difficult">VOC difficult per ground truth (difficult, ignore or crowd).</param>
    /// <param name="Detections">Detection boxes.</param>
    /// <param name="Scores">Detection scores.</param>
    public sealed record Unit(ReferenceRules.Xywh[] Truth, double[] TruthArea, bool[] Crowd, bool[] Difficult, ReferenceRules.Xywh[] Detections, double[] Scores);

    private static readonly double[] EdgeFractions = [1.0, 0.5, 0.75, 0.8, 0.85, 0.9, 0.95, 0.25];

    private static readonly double[] ScoreLevels = [0.9, 0.5, 0.5, 0.25, 0.0, -0.0, 1.0];

    /// <summary>A unit with up to <paramref name="maxTruth"/> ground truths and <paramref name="maxDetections"/> detections.</summary>
    public static Unit Next(Random random, int maxTruth = 9, int maxDetections = 12)
    {
        int truthCount = random.Next(0, maxTruth + 1);
        var truth = new List<ReferenceRules.Xywh>();
        var area = new List<double>();
        var crowd = new List<bool>();
        var difficult = new List<bool>();
        for (int g = 0; g < truthCount; g++)
        {
            // One in six is a copy of an earlier ground truth: two objects with the same IoU for everything.
            ReferenceRules.Xywh box = truth.Count > 0 && random.Next(6) == 0 ? truth[random.Next(truth.Count)] : AnyBox(random);
            truth.Add(box);
            area.Add(random.Next(8) switch
            {
                0 => 1024.0,
                1 => 9216.0,
                2 => 1024.0000000000002,
                3 => box.W * box.H * 0.75,
                _ => box.W * box.H,
            });
            bool isCrowd = random.Next(8) == 0;
            crowd.Add(isCrowd);
            difficult.Add(isCrowd || random.Next(8) == 0);
        }

        int detectionCount = random.Next(0, maxDetections + 1);
        var detections = new List<ReferenceRules.Xywh>();
        var scores = new List<double>();
        for (int d = 0; d < detectionCount; d++)
        {
            int kind = random.Next(10);
            ReferenceRules.Xywh box;
            if (truth.Count > 0 && kind < 5) box = MoveOneEdge(truth[random.Next(truth.Count)], random);
            else if (detections.Count > 0 && kind < 7) box = detections[random.Next(detections.Count)];
            else if (kind == 7) box = new ReferenceRules.Xywh(random.Next(0, 40) * 0.5, random.Next(0, 40) * 0.5, 32, 32);
            else box = AnyBox(random);
            detections.Add(box);
            scores.Add(random.Next(3) == 0 ? random.Next(1000) / 1000.0 : ScoreLevels[random.Next(ScoreLevels.Length)]);
        }
        return new Unit([.. truth], [.. area], [.. crowd], [.. difficult], [.. detections], [.. scores]);
    }

    private static ReferenceRules.Xywh AnyBox(Random random) => random.Next(20) switch
    {
        0 => new(random.Next(0, 40) * 0.5, random.Next(0, 40) * 0.5, 96, 96),
        1 => new(random.Next(0, 40) * 0.5, random.Next(0, 40) * 0.5, 0, random.Next(0, 30) * 0.5),
        // Off the grid: sums and products round, so only the reference's order of operations gives its bits.
        2 or 3 or 4 => new(random.NextDouble() * 40, random.NextDouble() * 40, random.NextDouble() * 30, random.NextDouble() * 30),
        _ => new(random.Next(0, 80) * 0.5, random.Next(0, 80) * 0.5, random.Next(1, 60) * 0.5, random.Next(1, 60) * 0.5),
    };

    /// <summary>The box with its width or height times a fraction, the other corner kept: IoU with the box is the fraction where the product is exact.</summary>
    private static ReferenceRules.Xywh MoveOneEdge(ReferenceRules.Xywh box, Random random)
    {
        double f = EdgeFractions[random.Next(EdgeFractions.Length)];
        return random.Next(2) == 0 ? box with { H = box.H * f } : box with { W = box.W * f };
    }
}
