using DetectionEval.Eval.Data;
using DetectionEval.Eval.Matches;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Gate;

// The bootstrap's inputs from the shards of a file run (deval evaluate --shard I/N --partial), as the single
// run's match stages would give them.
//
// A shard keeps its records and, per unit (image and class), the ground truth that counts; each image's
// place in the whole ground-truth file; records name images by index among the shard's own. So each record
// is renamed by its image's place in the file (the single run's image index, which the weights of a draw
// follow) and by its image's rank among all images in ascending id (the accumulation's tie key), and each
// unit's counts likewise: the replicates of the shards together are those of the single run, bit for bit.

internal static class ShardReplicates
{
    /// <summary>The values of <paramref name="keys"/> of the run that <paramref name="shards"/>, every shard of it once, make up.</summary>
    /// <exception cref="ArgumentException">The partials are not every shard of one file run.</exception>
    public static ResampledMetrics Resampled(IReadOnlyList<PartialResult> shards, IReadOnlyList<MetricKey> keys)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(keys);
        if (shards.Count == 0 || shards.Any(s => s.Shard is null)) throw new ArgumentException("A bootstrap from partials needs the shards of a file run.", nameof(shards));
        (int[][] index, int[][] rank, int images) = PlacesOfImages(shards);
        PartialResult first = shards[0];
        EvaluationOptions options = first.Settings.ToOptions();
        int classes = first.Categories.Count;
        MetricKey[] Own(IouType iouType) => [.. keys.Where(k => k.Metric.Family() == MetricSet.Coco && k.Metric.IouType() == iouType)];

        CocoReplicates? Coco(IouType iouType, Func<PartialResult, (PartialUnits Units, int[] Classes, StoredMatch[] Records, int AreaRanges)> of)
        {
            MetricKey[] own = Own(iouType);
            if (own.Length == 0) return null;
            int areas = of(first).AreaRanges;
            var records = Classes<CocoMatchRecord>(classes);
            var units = Classes<int>(classes);
            var counts = Classes<int>(classes);
            for (int p = 0; p < shards.Count; p++)
            {
                (PartialUnits u, int[] recordClasses, StoredMatch[] stored, _) = of(shards[p]);
                for (int r = 0; r < stored.Length; r++)
                {
                    StoredMatch m = stored[r];
                    if (m.RankInUnit == StoredMatch.NoCocoRecord) continue;
                    records[recordClasses[r]].Add(new CocoMatchRecord(m.Score, index[p][m.ImageRank], rank[p][m.ImageRank], 0, m.InputPosition, m.RankInUnit, m.Coco));
                }
                for (int i = 0; i < u.Count; i++)
                {
                    ReadOnlySpan<int> row = u.Countable.AsSpan(i * areas, areas);
                    if (!row.ContainsAnyExcept(0)) continue;
                    units[u.Classes[i]].Add(index[p][u.Images[i]]);
                    counts[u.Classes[i]].AddRange(row);
                }
            }
            IReadOnlyList<int> maxDetections = iouType == IouType.Keypoints ? CocoParameters.KeypointMaxDetections : options.MaxDetections;
            return new CocoReplicates(areas, maxDetections, [.. records.Select(r => r.ToArray())], ([.. units.Select(u => u.ToArray())], [.. counts.Select(c => c.ToArray())]), own);
        }

        VocReplicates? Voc()
        {
            if (!keys.Any(k => k.Metric.Family() == MetricSet.Voc)) return null;
            var records = Classes<VocMatchRecord>(classes);
            var units = Classes<int>(classes);
            var positives = Classes<int>(classes);
            for (int p = 0; p < shards.Count; p++)
            {
                PartialResult shard = shards[p];
                for (int r = 0; r < shard.Records.Length; r++)
                {
                    StoredMatch m = shard.Records[r];
                    records[shard.RecordClasses[r]].Add(new VocMatchRecord(m.Score, index[p][m.ImageRank], 0, m.InputPosition, m.Voc));
                }
                PartialUnits u = shard.Counts.Units;
                for (int i = 0; i < u.Count; i++)
                {
                    if (u.Positives[i] == 0) continue;
                    units[u.Classes[i]].Add(index[p][u.Images[i]]);
                    positives[u.Classes[i]].Add(u.Positives[i]);
                }
            }
            return new VocReplicates([.. Enumerable.Range(0, classes).Select(k => (records[k].ToArray(), units[k].ToArray(), positives[k].ToArray()))]);
        }

        (PartialUnits, int[], StoredMatch[], int) Shape(PartialResult shard, IouType iouType) =>
            shard.ShapeMatches.FirstOrDefault(s => s.IouType == iouType) is { } shape
                ? (shape.Units, shape.Classes, shape.Records, shape.AreaRanges)
                : throw new ArgumentException($"The shards hold no {IouTypeNames.Name(iouType)} matches.", nameof(keys));

        return new ResampledMetrics(
            first.Categories, images, keys,
            Coco(IouType.Bbox, s => (s.Counts.Units, s.RecordClasses, s.Records, s.Counts.AreaRanges)),
            Voc(),
            Coco(IouType.Segm, s => Shape(s, IouType.Segm)),
            Coco(IouType.Keypoints, s => Shape(s, IouType.Keypoints)));
    }

    private static List<T>[] Classes<T>(int classes) => [.. Enumerable.Range(0, classes).Select(_ => new List<T>())];

    /// <summary>
    /// Per shard and image of it: the image's place in the whole ground-truth file, and its rank among all
    /// images in ascending id; and the number of images. Refuses places that are not each image of the file once.
    /// </summary>
    private static (int[][] Index, int[][] Rank, int Images) PlacesOfImages(IReadOnlyList<PartialResult> shards)
    {
        int images = shards.Sum(s => s.ImageCount);
        var all = new List<(RecordId Id, int Shard, int Local)>(images);
        var seen = new bool[images];
        for (int p = 0; p < shards.Count; p++)
        {
            for (int i = 0; i < shards[p].ImageCount; i++)
            {
                int place = shards[p].ImageIndices[i];
                if ((uint)place >= (uint)images || seen[place]) throw new ArgumentException("The shards' images are not each image of one ground truth once.", nameof(shards));
                seen[place] = true;
                all.Add((shards[p].Images[i], p, i));
            }
        }
        all.Sort((a, b) => a.Id.CompareTo(b.Id));
        int[][] index = [.. shards.Select(s => s.ImageIndices)];
        int[][] rank = [.. shards.Select(s => new int[s.ImageCount])];
        for (int r = 0; r < all.Count; r++) rank[all[r].Shard][all[r].Local] = r;
        return (index, rank, images);
    }
}
