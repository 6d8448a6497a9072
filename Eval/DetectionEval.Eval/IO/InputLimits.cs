using System.Globalization;

namespace DetectionEval.Eval.IO;

/*
 * The bounds every loader keeps, so that a hostile or broken file fails with the one-line input error
 * instead of exhausting memory, overflowing the stack or running for hours. Each bound lies far above
 * anything a real annotation file holds (the remark of each says what the largest real value is) and is
 * checked where the data is read, with the file and the location of the offending value.
 */

/// <summary>The sizes beyond which an input is refused as malformed.</summary>
public static class InputLimits
{
    /// <summary>Longest line of the line-based formats (YOLO, txt, VOC results, image sizes, class lists) and longest CSV record: 1 MiB.</summary>
    /// <remarks>A real line is a class name and a few numbers, well under 1 KiB.</remarks>
    public const int MaxLineBytes = 1 << 20;

    /// <summary>Longest single JSON token (a string, a number, a run of whitespace): 64 MiB.</summary>
    /// <remarks>The longest real one is LabelMe's <c>imageData</c>, a base64 image of a few MiB.</remarks>
    public const int MaxJsonTokenBytes = 64 << 20;

    /// <summary>Longest run of XML without a <c>&lt;</c> or <c>&gt;</c> (one text node, one tag with its attributes): 16 MiB.</summary>
    /// <remarks>CVAT writes a polygon's points in one attribute, a few KiB for the largest.</remarks>
    public const int MaxXmlTokenBytes = 16 << 20;

    /// <summary>Longest run of spaces and line breaks inside one XML tag: 64 KiB.</summary>
    /// <remarks>Real tags have a space between attributes; XmlReader's time grows with the square of such a run.</remarks>
    public const int MaxXmlTagSpace = 64 << 10;

    /// <summary>Deepest nesting of XML elements: 64 (VOC and CVAT nest 4 or 5 deep). JSON's reader has the same limit.</summary>
    public const int MaxXmlDepth = 64;

    /// <summary>Longest class name, in characters: 1,000.</summary>
    /// <remarks>Class names are words or short phrases (Open Images' longest description has 31 characters).</remarks>
    public const int MaxClassNameLength = 1000;

    /// <summary>Most classes in one ground truth: 50,000.</summary>
    /// <remarks>
    /// The largest detection vocabularies have about 13,000 (V3Det) and 21,000 (ImageNet-21k) classes; COCO's
    /// accumulation keeps about 100 KB of tables per class, so a million classes would need 100 GB.
    /// </remarks>
    public const int MaxClasses = 50_000;

    /// <summary>A byte count in words: "64 MiB", "1 MiB", "512 KiB".</summary>
    public static string Describe(long bytes) => bytes switch
    {
        >= 1 << 20 when bytes % (1 << 20) == 0 => $"{(bytes >> 20).ToString(CultureInfo.InvariantCulture)} MiB",
        >= 1 << 10 when bytes % (1 << 10) == 0 => $"{(bytes >> 10).ToString(CultureInfo.InvariantCulture)} KiB",
        _ => $"{bytes.ToString(CultureInfo.InvariantCulture)} bytes",
    };

    /// <summary>A name as messages quote it: in single quotes, cut to 60 characters.</summary>
    public static string Quote(string name) => name.Length <= 60 ? $"'{name}'" : $"'{name[..57]}...' ({name.Length.ToString("N0", CultureInfo.InvariantCulture)} characters)";

    /// <summary>Fails when a class name is longer than <see cref="MaxClassNameLength"/>.</summary>
    /// <exception cref="AnnotationFormatException">The name is too long.</exception>
    public static void RequireClassName(string name, SourceLocation at)
    {
        if (name.Length > MaxClassNameLength)
        {
            throw new AnnotationFormatException(at, $"a class name of at most {MaxClassNameLength.ToString("N0", CultureInfo.InvariantCulture)} characters", Quote(name));
        }
    }

    /// <summary>Fails when adding a class would exceed <see cref="MaxClasses"/>.</summary>
    /// <param name="count">Classes already known.</param>
    /// <param name="at">Where the next class was found.</param>
    /// <exception cref="AnnotationFormatException">There would be too many classes.</exception>
    public static void RequireRoomForClass(int count, SourceLocation at)
    {
        if (count >= MaxClasses)
        {
            throw new AnnotationFormatException(at, $"at most {MaxClasses.ToString("N0", CultureInfo.InvariantCulture)} classes", "more");
        }
    }
}
