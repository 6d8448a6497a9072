using System.Globalization;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/// <summary>An image's size in pixels.</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public readonly record struct ImageSize(int Width, int Height);

/// <summary>
/// Where the sizes of images come from, for formats with relative coordinates (YOLO, Open Images,
/// <c>--coords rel</c>). Images are named as the annotation files name them: a file stem such as
/// <c>000000008249</c>, or a file name such as <c>000000008249.jpg</c>.
/// </summary>
public interface IImageSizeSource
{
    /// <summary>What the sizes come from, for messages (e.g. "--image-sizes sizes.txt").</summary>
    string Description { get; }

    /// <summary>The images this source knows, by the name it was given (a stem or file name).</summary>
    IReadOnlyCollection<string> ImageNames { get; }

    /// <summary>Looks up an image by file name or stem.</summary>
    /// <exception cref="AnnotationFormatException">The image exists but its size cannot be read.</exception>
    bool TryGetSize(string image, out ImageSize size);
}

/// <summary>Image names as the formats write them: matched by the name itself, else by its stem.</summary>
public static class ImageNames
{
    /// <summary>The file name without folders and without the last extension: <c>a/b/x.jpg</c> gives <c>x</c>.</summary>
    public static string Stem(string name)
    {
        int slash = Math.Max(name.LastIndexOf('/'), name.LastIndexOf('\\'));
        string file = slash >= 0 ? name[(slash + 1)..] : name;
        int dot = file.LastIndexOf('.');
        return dot > 0 ? file[..dot] : file;
    }
}

/// <summary>Sizes listed in a text file: lines <c>&lt;image&gt; &lt;width&gt; &lt;height&gt;</c>, space or comma separated.</summary>
public sealed class ImageSizeTable : IImageSizeSource
{
    private readonly Dictionary<string, ImageSize> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ImageSize> _byStem = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];

    private ImageSizeTable(string description) => Description = description;

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public IReadOnlyCollection<string> ImageNames => _names;

    /// <summary>Reads the file. Blank lines and lines starting with <c>#</c> are skipped.</summary>
    /// <exception cref="AnnotationFormatException">A line is not <c>image width height</c>, or an image is listed twice.</exception>
    public static ImageSizeTable Read(string path)
    {
        InputFiles.RequireFile(path);
        using LineReader reader = LineReader.Open(path, path);
        return Read(reader);
    }

    /// <summary>Reads the sizes from an open reader.</summary>
    /// <exception cref="AnnotationFormatException">A line is not <c>image width height</c>, or an image is listed twice.</exception>
    internal static ImageSizeTable Read(LineReader reader)
    {
        var table = new ImageSizeTable($"--image-sizes {reader.DisplayName}");
        Span<Range> fields = stackalloc Range[3];
        const string Shape = "'<image> <width> <height>' (space or comma separated)";
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            if (Fields.IsBlankLine(line) || line.TrimStart((byte)' ')[0] == (byte)'#') continue;
            int count = line.Contains((byte)',') ? Fields.SplitOn(line, (byte)',', fields) : SplitLastTwo(line, fields);
            if (count != 3) throw reader.Error(Shape, Fields.Count(count));
            string name = Fields.Text(line, fields[0]);
            int width = Pixels(reader, line, fields[1], "the width");
            int height = Pixels(reader, line, fields[2], "the height");
            if (!table._byName.TryAdd(name, new ImageSize(width, height)))
            {
                throw reader.Error("each image listed once", $"{InputLimits.Quote(name)} again", Fields.Column(line, fields[0]));
            }
            table._names.Add(name);
            // A stem shared by two files (x.jpg, x.png) cannot name either; only the full names do.
            string stem = Formats.ImageNames.Stem(name);
            if (!table._byStem.TryAdd(stem, new ImageSize(width, height))) table._byStem[stem] = new ImageSize(-1, -1);
        }
        return table;
    }

    /// <summary>Whitespace separated: the image name may contain spaces, the last two fields are the size.</summary>
    private static int SplitLastTwo(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        Span<Range> all = stackalloc Range[64];
        int count = Fields.Split(line, all);
        if (count < 3 || count > all.Length) return count;
        fields[0] = new Range(all[0].Start, all[count - 3].End);
        fields[1] = all[count - 2];
        fields[2] = all[count - 1];
        return 3;
    }

    private static int Pixels(LineReader reader, ReadOnlySpan<byte> line, Range field, string what)
    {
        ReadOnlySpan<byte> text = line[field];
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0) return value;
        throw reader.Error($"{what} in pixels, a whole number of 1 or more", Fields.Quote(text), Fields.Column(line, field));
    }

    /// <inheritdoc/>
    public bool TryGetSize(string image, out ImageSize size)
    {
        if (_byName.TryGetValue(image, out size)) return true;
        if (_byStem.TryGetValue(Formats.ImageNames.Stem(image), out size) && size.Width > 0) return true;
        size = default;
        return false;
    }
}

/// <summary>
/// The images of a folder, whose sizes are read from the image files when first asked for (all of them at
/// once, in parallel). Reading an image is left to <see cref="SizeReader"/>, which must be thread-safe
/// (the command line reads them with OpenCV).
/// </summary>
public sealed class ImageFolder : IImageSizeSource
{
    /// <summary>The file extensions taken as images.</summary>
    public static IReadOnlySet<string> Extensions { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp",
    };

    private readonly Dictionary<string, string> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _byStem = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ImageSize> _sizes = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private readonly Func<string, ImageSize> _read;

    /// <summary>Lists the images in <paramref name="directory"/> (not its subfolders).</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="readSize">Reads one image file's size; throws <see cref="AnnotationFormatException"/> when it cannot.</param>
    /// <exception cref="AnnotationFormatException">The folder does not exist.</exception>
    public ImageFolder(string directory, Func<string, ImageSize> readSize)
    {
        if (!Directory.Exists(directory))
        {
            throw new AnnotationFormatException(new SourceLocation(directory), "a folder of images for --images", File.Exists(directory) ? "a file" : "no such folder");
        }
        Description = $"--images {directory}";
        _read = readSize;
        foreach (string file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            if (!Extensions.Contains(Path.GetExtension(name))) continue;
            _byName.Add(name, file);
            _names.Add(name);
            string stem = Formats.ImageNames.Stem(name);
            // x.jpg and x.png share a stem; then only their full names identify them.
            if (!_byStem.TryAdd(stem, file)) _byStem[stem] = null;
        }
    }

    /// <summary>The function that reads one image file's size.</summary>
    public Func<string, ImageSize> SizeReader => _read;

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public IReadOnlyCollection<string> ImageNames => _names;

    /// <inheritdoc/>
    public bool TryGetSize(string image, out ImageSize size)
    {
        string? file = _byName.GetValueOrDefault(image) ?? _byStem.GetValueOrDefault(Formats.ImageNames.Stem(image));
        if (file is null)
        {
            size = default;
            return false;
        }
        ReadAllOnce();
        if (!_sizes.TryGetValue(file, out size))
        {
            // Its reading failed during the first pass: read it again to raise its error here, for this image.
            size = _read(file);
            _sizes.Add(file, size);
        }
        return true;
    }

    /// <summary>
    /// Decoding an image is the slow part (milliseconds each), so the first request reads every image of
    /// the folder, on all cores. A file that cannot be read fails only when an annotation needs its size.
    /// </summary>
    private void ReadAllOnce()
    {
        if (_readAll) return;
        _readAll = true;
        string[] files = [.. _byName.Values];
        var sizes = new ImageSize?[files.Length];
        Parallel.For(0, files.Length, i =>
        {
            try
            {
                sizes[i] = _read(files[i]);
            }
            catch (Exception e) when (e is AnnotationFormatException or IOException)
            {
                sizes[i] = null;
            }
        });
        for (int i = 0; i < files.Length; i++)
        {
            if (sizes[i] is ImageSize size) _sizes.TryAdd(files[i], size);
        }
    }

    private bool _readAll;
}
