using DetectionEval.Matching;

namespace DetectionEval.Benchmarks;

/// <summary>Deterministic benchmark inputs: boxes on a 640 x 480 image, detections jittered around objects.</summary>
internal static class Units
{
    public static (Box[] GroundTruth, Box[] Detections, double[] Scores) Make(int groundTruth, int detections, int seed)
    {
        var random = new Random(seed);
        var gt = new Box[groundTruth];
        for (int g = 0; g < gt.Length; g++) gt[g] = new Box(random.Next(600), random.Next(440), 4 + random.Next(120), 4 + random.Next(120));
        var dt = new Box[detections];
        double[] scores = new double[detections];
        for (int d = 0; d < dt.Length; d++)
        {
            Box near = gt[random.Next(gt.Length)];
            dt[d] = random.Next(3) == 0
                ? new Box(random.Next(600), random.Next(440), 4 + random.Next(120), 4 + random.Next(120))
                : new Box(near.X + random.Next(-5, 6), near.Y + random.Next(-5, 6), near.Width + random.Next(-3, 4), near.Height + random.Next(-3, 4));
            scores[d] = Math.Round(random.NextDouble(), 3);
        }
        return (gt, dt, scores);
    }
}
