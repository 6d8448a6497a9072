using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Matches;

namespace DetectionEval.Eval.Gate;

// VOC metrics of a resampled dataset, for the bootstrap's inner loop.
//
// Input: the match stage (VocMatches) and, per call, one weight per image. The result equals
// VocAccumulation.Accumulate(matches, options, weights) to the last bit; the tests compare them.
// Each class's records are sorted once (score descending, input position: voc_eval's stable sort) into
// flat arrays: the images of the true positives, and of the false positives before each of them (ignored
// detections change no count; nothing after the last true positive changes an AP). Both AP rules read the precision envelope only where recall
// changes, i.e. at true positives, so VocAp's calculators get the (recall, precision) pairs of the true
// positives alone and return the same doubles as on the full curve: the envelope at a true positive is
// the maximum over later true positives (a false positive only lowers precision), the 11-point lookup
// lands on a true positive (or on the first entry, for threshold 0, whose envelope is the overall
// maximum either way), and the all-point sum has one term per recall change plus the closing (1, 0) term.
// Sentinel: a class whose weighted positives are 0 has no AP (NaN here, null in reports) and is left
// out of the means.

/// <summary>VOC values for any image weights, from one match stage.</summary>
internal sealed class VocReplicates
{
    private readonly int[][] _tpImages;      // per class: images of the true positives, in accumulation order
    private readonly int[][] _fpEnd;         // per class: false positives before each true positive
    private readonly int[][] _fpImages;      // per class: images of the false positives before the last true positive
    private readonly int[][] _unitImages;    // per class: image of each unit with positives
    private readonly int[][] _unitPositives;

    /// <summary>Sorts every class's records once.</summary>
    public VocReplicates(VocMatches matches)
        : this(RecordsAndUnitsOfEachClass(matches))
    {
    }

    /// <summary>Sorts every class's records (in any order) once; with each class's units of positives (image, npos).</summary>
    /// <param name="classes">Per class: its records, whose <see cref="VocMatchRecord.Image"/> indexes the weights; and the image and positives of each unit with any.</param>
    internal VocReplicates((VocMatchRecord[] Records, int[] UnitImages, int[] UnitPositives)[] classes)
    {
        _tpImages = new int[classes.Length][];
        _fpEnd = new int[classes.Length][];
        _fpImages = new int[classes.Length][];
        _unitImages = new int[classes.Length][];
        _unitPositives = new int[classes.Length][];
        for (int k = 0; k < classes.Length; k++)
        {
            VocMatchRecord[] sorted = [.. classes[k].Records];
            // Rule: the class's detections in score order, equal scores in input order across images too.
            AccumulationOrder.Sort(sorted, r => r.Score, r => r.InputPosition);
            // Ignored detections change neither count, and nothing after the last true positive changes
            // a precision at a true positive: keep true positives, and the false positives before them.
            var tpImages = new List<int>();
            var fpEnd = new List<int>();
            var fpImages = new List<int>();
            int last = Array.FindLastIndex(sorted, r => r.Outcome == VocOutcome.TruePositive);
            for (int i = 0; i <= last; i++)
            {
                if (sorted[i].Outcome == VocOutcome.FalsePositive) fpImages.Add(sorted[i].Image);
                else if (sorted[i].Outcome == VocOutcome.TruePositive)
                {
                    fpEnd.Add(fpImages.Count);
                    tpImages.Add(sorted[i].Image);
                }
            }
            _tpImages[k] = [.. tpImages];
            _fpEnd[k] = [.. fpEnd];
            _fpImages[k] = [.. fpImages];
            _unitImages[k] = classes[k].UnitImages;
            _unitPositives[k] = classes[k].UnitPositives;
        }
        MostTruePositives = _tpImages.Length == 0 ? 0 : _tpImages.Max(t => t.Length);
    }

    /// <summary>Each class's records, unit by unit, and its units of positives.</summary>
    private static (VocMatchRecord[] Records, int[] UnitImages, int[] UnitPositives)[] RecordsAndUnitsOfEachClass(VocMatches matches)
    {
        var classes = new (VocMatchRecord[], int[], int[])[matches.Dataset.Categories.Count];
        for (int k = 0; k < classes.Length; k++)
        {
            var records = new List<VocMatchRecord>();
            var unitImages = new List<int>();
            var unitPositives = new List<int>();
            foreach (int u in matches.Dataset.UnitsOfCategory(k))
            {
                foreach (VocMatchRecord r in matches.RecordsOfUnit(u)) records.Add(r);
                if (matches.Positives(u) == 0) continue;
                unitImages.Add(matches.Dataset.Units[u].Image);
                unitPositives.Add(matches.Positives(u));
            }
            classes[k] = ([.. records], [.. unitImages], [.. unitPositives]);
        }
        return classes;
    }

    /// <summary>The largest number of true positives of one class: the size of the event buffers.</summary>
    public int MostTruePositives { get; }

    /// <summary>Number of classes.</summary>
    public int Classes => _tpImages.Length;

    /// <summary>
    /// The 11-point and all-point AP of class <paramref name="k"/> under <paramref name="weights"/>; NaN
    /// for both when the class has no positives there.
    /// </summary>
    /// <param name="k">The class index.</param>
    /// <param name="weights">One weight per image.</param>
    /// <param name="recall">Scratch of at least <see cref="MostTruePositives"/> entries.</param>
    /// <param name="precision">Scratch of the same size.</param>
    /// <param name="scratch">Scratch for the AP calculators, at least 3 * <see cref="MostTruePositives"/> + 5 entries.</param>
    public (double Ap07, double ApAll) ClassAp(int k, int[] weights, double[] recall, double[] precision, double[] scratch)
    {
        int positives = 0;
        int[] unitImages = _unitImages[k], unitPositives = _unitPositives[k];
        for (int u = 0; u < unitImages.Length; u++) positives += weights[unitImages[u]] * unitPositives[u];
        if (positives == 0) return (double.NaN, double.NaN);

        int[] tpImages = _tpImages[k], fpEnd = _fpEnd[k], fpImages = _fpImages[k];
        int tp = 0, fp = 0, events = 0, fpNext = 0;
        for (int i = 0; i < tpImages.Length; i++)
        {
            for (int end = fpEnd[i]; fpNext < end; fpNext++) fp += weights[fpImages[fpNext]];
            int w = weights[tpImages[i]];
            if (w == 0) continue;
            tp += w;
            // rec = tp / float(npos); prec = tp / np.maximum(tp + fp, eps); whole counts, exact in double.
            recall[events] = (double)tp / positives;
            precision[events] = tp / Math.Max((double)(tp + fp), VocAccumulation.Epsilon);
            events++;
        }
        ReadOnlySpan<double> r = recall.AsSpan(0, events), p = precision.AsSpan(0, events);
        Span<double> s = scratch;
        return (VocAp.ElevenPoint(r, p, s[..events]), VocAp.AllPoint(r, p, s[..(events + 2)], s.Slice(events + 2, events + 2), s.Slice(2 * events + 4, events + 1)));
    }
}
