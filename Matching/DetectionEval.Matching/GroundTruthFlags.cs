namespace DetectionEval.Matching;

/// <summary>The flags a ground-truth box can carry. Each rule set reads them its own way.</summary>
/// <remarks>
/// COCO (pycocotools) ignores a ground truth exactly when it is a crowd: it overwrites any <c>ignore</c>
/// key with <c>iscrowd</c> and never reads <c>difficult</c>. The VOC rules treat any of the three as
/// "difficult" (see <see cref="Voc.VocMatcher"/>).
/// </remarks>
[Flags]
public enum GroundTruthFlags : byte
{
    /// <summary>An ordinary object.</summary>
    None = 0,

    /// <summary><c>iscrowd = 1</c>: a region of many objects.</summary>
    Crowd = 1,

    /// <summary><c>difficult = 1</c> (Pascal VOC).</summary>
    Difficult = 2,

    /// <summary><c>ignore = 1</c>.</summary>
    Ignore = 4,
}
