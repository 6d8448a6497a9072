namespace DetectionEval.Matching;

/// <summary>An axis-aligned box: top-left corner and size, in continuous coordinates.</summary>
/// <remarks>
/// The box keeps the width and height exactly as they were given, because the references compute with
/// them: pycocotools takes a box's area as <c>w * h</c> from the given size, while the VOC evaluation
/// takes the corners <c>x2 = x + w</c> and later measures the width back as <c>x2 - x1</c>, which is not
/// always bit-equal to <c>w</c>. Keeping both views exact is what lets each rule reproduce its reference
/// to the last bit. Nothing is clipped to an image. The VOC inclusive-pixel "+1" is not part of the box;
/// it is an option of the VOC IoU rule (<see cref="IouRules.Voc"/>).
/// </remarks>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width as given (never negative once loaded).</param>
/// <param name="Height">Height as given (never negative once loaded).</param>
public readonly record struct Box(double X, double Y, double Width, double Height)
{
    /// <summary>Right edge, <c>X + Width</c> computed in double.</summary>
    public double X2 => X + Width;

    /// <summary>Bottom edge, <c>Y + Height</c> computed in double.</summary>
    public double Y2 => Y + Height;

    /// <summary>Area from the given size, <c>Width * Height</c> (the COCO rule for detections).</summary>
    public double Area => Width * Height;

    /// <summary>Builds a box from its corners; the width is <c>x2 - x1</c>.</summary>
    public static Box FromCorners(double x1, double y1, double x2, double y2) => new(x1, y1, x2 - x1, y2 - y1);
}
