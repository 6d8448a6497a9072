namespace DetectionEval.Tests.Shared;

/// <summary>
/// The matching rules of tests/data/reference/README.md (section 5, COCO; section 6, VOC), written out again
/// from that text alone, as plainly as possible: every IoU computed, every ground truth walked, no candidate
/// lists, no buffers, no vectors, no shortcuts. It shares no code with the product (its own box type, its
/// own sort), so the optimised matchers and IoU engines are checked against the rules, not against
/// themselves. Slow on purpose: O(detections x ground truth x thresholds x area ranges) per unit.
/// </summary>
public static class ReferenceRules
{
    /// <summary>A box as the reference files give it: top-left corner, width and height.</summary>
    public readonly record struct Xywh(double X, double Y, double W, double H);

    /// <summary>What a detection became at one (area range, threshold).</summary>
    public enum Verdict
    {
        /// <summary>Counted as a false positive.</summary>
        FalsePositive,

        /// <summary>Counted as a true positive.</summary>
        TruePositive,

        /// <summary>Counted as neither.</summary>
        Ignored,
    }

    /// <summary>The detections' indices by score, highest first; equal scores keep their input order (LINQ's OrderBy is stable).</summary>
    public static int[] ScoreOrder(IReadOnlyList<double> scores) =>
        [.. Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i])];

    // ---- section 5: COCO ----

    /// <summary>Section 5, "IoU": pycocotools' bbIou; a crowd's union is the detection's area alone.</summary>
    public static double CocoIou(Xywh d, Xywh g, bool crowd)
    {
        double iw = Math.Min(d.X + d.W, g.X + g.W) - Math.Max(d.X, g.X);
        if (iw <= 0) return 0;
        double ih = Math.Min(d.Y + d.H, g.Y + g.H) - Math.Max(d.Y, g.Y);
        if (ih <= 0) return 0;
        double i = iw * ih;
        double u = crowd ? d.W * d.H : (d.W * d.H + g.W * g.H) - i;
        return i / u;
    }

    /// <summary>One (image, category) unit for the COCO rules.</summary>
    /// <param name="Truth">Ground-truth boxes, in file order.</param>
    /// <param name="TruthArea">Each ground truth's <c>area</c> field.</param>
    /// <param name="TruthCrowd">Each ground truth's <c>iscrowd</c>.</param>
    /// <param name="Detections">Detection boxes, in file order.</param>
    /// <param name="Scores">Detection scores, in file order.</param>
    public sealed record CocoUnit(Xywh[] Truth, double[] TruthArea, bool[] TruthCrowd, Xywh[] Detections, double[] Scores);

    /// <summary>The COCO result of one unit.</summary>
    /// <param name="Kept">The kept detections' file indices, best first (step 1).</param>
    /// <param name="Verdicts">Verdicts[d][a][t] for the kept detection d, area range a, threshold t.</param>
    /// <param name="Countable">Per area range, the ground truths that are not ignored.</param>
    public sealed record CocoUnitResult(int[] Kept, Verdict[][][] Verdicts, int[] Countable);

    /// <summary>Section 5, "Per image and category", steps 1 to 4, at every area range [lo, hi] and threshold.</summary>
    public static CocoUnitResult MatchCoco(CocoUnit unit, int maxDets, IReadOnlyList<double> thresholds, IReadOnlyList<(double Lo, double Hi)> areaRanges)
    {
        // Step 1: stable score order, the first maxDets kept.
        int[] kept = [.. ScoreOrder(unit.Scores).Take(maxDets)];
        var verdicts = new Verdict[kept.Length][][];
        for (int d = 0; d < kept.Length; d++)
        {
            verdicts[d] = new Verdict[areaRanges.Count][];
            for (int a = 0; a < areaRanges.Count; a++) verdicts[d][a] = new Verdict[thresholds.Count];
        }
        int[] countable = new int[areaRanges.Count];
        for (int a = 0; a < areaRanges.Count; a++)
        {
            (double lo, double hi) = areaRanges[a];
            // A ground truth is ignored in the range if it is a crowd or its area field is < lo or > hi.
            bool[] ignored = [.. unit.Truth.Select((_, g) => unit.TruthCrowd[g] || unit.TruthArea[g] < lo || unit.TruthArea[g] > hi)];
            countable[a] = ignored.Count(i => !i);
            // Step 2: not-ignored ground truth first, then ignored, each in file order.
            int[] walk = [.. Enumerable.Range(0, unit.Truth.Length).Where(g => !ignored[g]), .. Enumerable.Range(0, unit.Truth.Length).Where(g => ignored[g])];
            for (int t = 0; t < thresholds.Count; t++)
            {
                bool[] matched = new bool[unit.Truth.Length];
                // Step 3, one detection after the other in score order.
                for (int d = 0; d < kept.Length; d++)
                {
                    Xywh detection = unit.Detections[kept[d]];
                    int best = -1;
                    double limit = Math.Min(thresholds[t], 1 - 1e-10);
                    foreach (int g in walk)
                    {
                        if (matched[g] && !unit.TruthCrowd[g]) continue;
                        if (best >= 0 && !ignored[best] && ignored[g]) break;
                        double iou = CocoIou(detection, unit.Truth[g], unit.TruthCrowd[g]);
                        if (iou < limit) continue;
                        best = g;
                        limit = iou;
                    }
                    if (best >= 0)
                    {
                        matched[best] = true;
                        verdicts[d][a][t] = ignored[best] ? Verdict.Ignored : Verdict.TruePositive;
                    }
                    else
                    {
                        // Step 4: an unmatched detection whose own area w*h is outside the range is ignored.
                        double area = detection.W * detection.H;
                        verdicts[d][a][t] = area < lo || area > hi ? Verdict.Ignored : Verdict.FalsePositive;
                    }
                }
            }
        }
        return new CocoUnitResult(kept, verdicts, countable);
    }

    // ---- section 6: VOC ----

    /// <summary>Section 6, "IoU", with or without the +1 pixel, in exactly the README's order of operations.</summary>
    public static double VocIou(Xywh d, Xywh g, bool plusOne)
    {
        double dx1 = d.X, dy1 = d.Y, dx2 = d.X + d.W, dy2 = d.Y + d.H;
        double gx1 = g.X, gy1 = g.Y, gx2 = g.X + g.W, gy2 = g.Y + g.H;
        if (!plusOne)
        {
            double iw = Math.Max(Math.Min(dx2, gx2) - Math.Max(dx1, gx1), 0);
            double ih = Math.Max(Math.Min(dy2, gy2) - Math.Max(dy1, gy1), 0);
            double i = iw * ih;
            double u = ((dx2 - dx1) * (dy2 - dy1) + (gx2 - gx1) * (gy2 - gy1)) - i;
            return u > 0 ? i / u : 0;
        }
        else
        {
            double iw = Math.Max((Math.Min(dx2, gx2) - Math.Max(dx1, gx1)) + 1, 0);
            double ih = Math.Max((Math.Min(dy2, gy2) - Math.Max(dy1, gy1)) + 1, 0);
            double i = iw * ih;
            double areaD = ((dx2 - dx1) + 1) * ((dy2 - dy1) + 1);
            double areaG = ((gx2 - gx1) + 1) * ((gy2 - gy1) + 1);
            return i / ((areaD + areaG) - i);
        }
    }

    /// <summary>
    /// Section 6, "Matching", steps 1 and 2: the largest IoU with every ground truth of the unit and the first
    /// ground truth that reaches it; (-1, -infinity) when the unit has none.
    /// </summary>
    public static (int Jmax, double Ovmax) VocBestOverlap(Xywh detection, IReadOnlyList<Xywh> truth, bool plusOne)
    {
        int jmax = -1;
        double ovmax = double.NegativeInfinity;
        for (int g = 0; g < truth.Count; g++)
        {
            double iou = VocIou(detection, truth[g], plusOne);
            if (iou > ovmax)
            {
                ovmax = iou;
                jmax = g;
            }
        }
        return (jmax, ovmax);
    }

    /// <summary>Section 6, "Matching": each detection of the unit, in score order, with its verdict.</summary>
    /// <param name="truth">The unit's ground truth, in file order.</param>
    /// <param name="difficult">Difficult, ignore or crowd, per ground truth.</param>
    /// <param name="detections">The unit's detections, in file order.</param>
    /// <param name="scores">Their scores.</param>
    /// <param name="threshold">t.</param>
    /// <param name="strict">True for the <c>gt</c> test (IoU &gt; t), false for <c>ge</c>.</param>
    /// <param name="plusOne">The +1 pixel convention.</param>
    public static (int Detection, Verdict Verdict)[] MatchVoc(
        Xywh[] truth, bool[] difficult, Xywh[] detections, double[] scores, double threshold, bool strict, bool plusOne)
    {
        bool[] marked = new bool[truth.Length];
        var result = new List<(int, Verdict)>();
        foreach (int d in ScoreOrder(scores))
        {
            (int jmax, double ovmax) = VocBestOverlap(detections[d], truth, plusOne);
            bool hit = truth.Length > 0 && (strict ? ovmax > threshold : ovmax >= threshold);
            Verdict verdict;
            if (!hit) verdict = Verdict.FalsePositive;
            else if (difficult[jmax]) verdict = Verdict.Ignored;
            else if (!marked[jmax])
            {
                marked[jmax] = true;
                verdict = Verdict.TruePositive;
            }
            else verdict = Verdict.FalsePositive;
            result.Add((d, verdict));
        }
        return [.. result];
    }
}
