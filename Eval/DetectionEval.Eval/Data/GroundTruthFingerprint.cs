using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace DetectionEval.Eval.Data;

// A content fingerprint of a dataset's ground truth: two reports with the same fingerprint were scored
// against the same images, classes and boxes, whatever file (or format) they came from.
//
// Input: a Dataset. What is hashed (SHA-256, little-endian numbers, UTF-8 names), in this order:
//   every category in ascending id: id (int64), name length (int32) and bytes;
//   every image in ascending id: id (int64; a string id: its UTF-8 length with the sign bit set, as an
//   int64, then its UTF-8 bytes), then its ground truth in ascending category id and, within
//   a category, in input order (the order matching uses): category id (int64), x, y, width, height and
//   area (the doubles' bits) and the flags (one byte).
// Left out, because no metric reads them: annotation ids, file names, image sizes and the order of images
// and categories in the file. Everything a metric reads is in, so equal fingerprints give equal ground
// truth for every metric.

/// <summary>The content fingerprint of a dataset's ground truth, written as <c>sha256:</c> and 64 hex digits.</summary>
public static class GroundTruthFingerprint
{
    /// <summary>The prefix naming the hash.</summary>
    public const string Prefix = "sha256:";

    /// <summary>The fingerprint of <paramref name="dataset"/>'s images, categories and ground-truth boxes.</summary>
    public static string Of(Dataset dataset)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> buffer = stackalloc byte[64];

        foreach (Category category in dataset.Categories)
        {
            byte[] name = Encoding.UTF8.GetBytes(category.Name);
            BinaryPrimitives.WriteInt64LittleEndian(buffer, category.Id);
            BinaryPrimitives.WriteInt32LittleEndian(buffer[8..], name.Length);
            hash.AppendData(buffer[..12]);
            hash.AppendData(name);
        }

        GroundTruthTable gt = dataset.GroundTruth;
        ReadOnlySpan<EvaluationUnit> units = dataset.Units;
        int[] unitsStart = UnitsByImage(dataset, out int[] unitOrder);
        foreach (int image in ImagesInIdOrder(dataset))
        {
            AppendImageId(hash, buffer, dataset.Images[image].Id);
            // Units of an image are ordered by category index, which is ascending category id.
            for (int i = unitsStart[image]; i < unitsStart[image + 1]; i++)
            {
                EvaluationUnit unit = units[unitOrder[i]];
                long categoryId = dataset.Categories[unit.Category].Id;
                for (int row = unit.GroundTruthStart; row < unit.GroundTruthStart + unit.GroundTruthCount; row++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(buffer, categoryId);
                    BinaryPrimitives.WriteDoubleLittleEndian(buffer[8..], gt.Boxes[row].X);
                    BinaryPrimitives.WriteDoubleLittleEndian(buffer[16..], gt.Boxes[row].Y);
                    BinaryPrimitives.WriteDoubleLittleEndian(buffer[24..], gt.Boxes[row].Width);
                    BinaryPrimitives.WriteDoubleLittleEndian(buffer[32..], gt.Boxes[row].Height);
                    BinaryPrimitives.WriteDoubleLittleEndian(buffer[40..], gt.Areas[row]);
                    buffer[48] = (byte)gt.Flags[row];
                    hash.AppendData(buffer[..49]);
                }
            }
        }
        return Prefix + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AppendImageId(IncrementalHash hash, Span<byte> buffer, RecordId id)
    {
        if (id.Text is not { } text)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer, id.Number);
            hash.AppendData(buffer[..8]);
            return;
        }
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        BinaryPrimitives.WriteInt64LittleEndian(buffer, long.MinValue + utf8.Length);
        hash.AppendData(buffer[..8]);
        hash.AppendData(utf8);
    }

    private static int[] ImagesInIdOrder(Dataset dataset)
    {
        int[] images = new int[dataset.Images.Count];
        for (int i = 0; i < images.Length; i++) images[dataset.ImageRank(i)] = i;
        return images;
    }

    /// <summary>Unit indices grouped by image (a counting sort that keeps the units' category order).</summary>
    private static int[] UnitsByImage(Dataset dataset, out int[] order)
    {
        ReadOnlySpan<EvaluationUnit> units = dataset.Units;
        int[] start = new int[dataset.Images.Count + 1];
        foreach (EvaluationUnit u in units) start[u.Image + 1]++;
        for (int i = 0; i < dataset.Images.Count; i++) start[i + 1] += start[i];
        order = new int[units.Length];
        int[] next = (int[])start.Clone();
        for (int u = 0; u < units.Length; u++) order[next[units[u].Image]++] = u;
        return start;
    }
}
