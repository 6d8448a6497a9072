using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DetectionEval.Eval.IO;

/// <summary>
/// An input's content, as a fingerprint that does not depend on where the input lives: its size and SHA-256.
/// A folder input (VOC, YOLO, txt, LabelMe) is hashed as the SHA-256 of each file's path relative to the
/// folder, a NUL, its bytes and a NUL, in ordinal path order; its size is the total of its files. The HTML
/// report's provenance and the merge of partial results (the shards read the same predictions) use it.
/// </summary>
/// <param name="Bytes">The file's size, or the total size of the folder's files.</param>
/// <param name="Sha256">The SHA-256, 64 lowercase hex digits.</param>
/// <param name="IsFolder">Whether the input is a folder of files.</param>
public sealed record InputDigest(long Bytes, string Sha256, bool IsFolder)
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>The digest of the file or folder at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The input cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The input cannot be read.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was cancelled.</exception>
    public static InputDigest Of(string path, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] chunk = new byte[ChunkBytes];
        if (!Directory.Exists(path))
        {
            long size = Append(hash, path, chunk, cancellation);
            return new InputDigest(size, Convert.ToHexStringLower(hash.GetHashAndReset()), IsFolder: false);
        }
        long bytes = 0;
        foreach (string file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(path, f)).Order(StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file.Replace(Path.DirectorySeparatorChar, '/')));
            hash.AppendData([0]);
            bytes += Append(hash, Path.Combine(path, file), chunk, cancellation);
            hash.AppendData([0]);
        }
        return new InputDigest(bytes, Convert.ToHexStringLower(hash.GetHashAndReset()), IsFolder: true);
    }

    /// <summary>For messages: <c>1,234 bytes, sha256:0123456789ab</c> (the first 12 hex digits).</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"{Bytes:N0} bytes, sha256:{Sha256[..Math.Min(12, Sha256.Length)]}");

    /// <summary>Hashes the file in chunks (cancellable), returning its size.</summary>
    private static long Append(IncrementalHash hash, string file, byte[] chunk, CancellationToken cancellation)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        long size = 0;
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            cancellation.ThrowIfCancellationRequested();
            hash.AppendData(chunk.AsSpan(0, read));
            size += read;
        }
        return size;
    }
}
