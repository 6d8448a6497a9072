namespace DetectionEval.Eval.Formats;

/// <summary>The annotation formats deval reads and writes.</summary>
public enum AnnotationFormat
{
    /// <summary>COCO json: a dataset file (images, annotations, categories) or a results list.</summary>
    Coco,

    /// <summary>Pascal VOC annotation XML, one file per image (ground truth).</summary>
    VocXml,

    /// <summary>Pascal VOC results: one <c>comp4_det_test_&lt;class&gt;.txt</c> file per class (predictions).</summary>
    VocResults,

    /// <summary>YOLO txt: one file per image, <c>class cx cy w h [confidence]</c>, normalised.</summary>
    Yolo,

    /// <summary>One txt file per image, <c>class [score] a b c d [difficult]</c> (Cartucho/mAP, rafaelpadilla).</summary>
    Txt,

    /// <summary>A CSV file with one row per box.</summary>
    Csv,

    /// <summary>LabelMe json, one file per image (rectangle shapes).</summary>
    LabelMe,

    /// <summary>CVAT for images 1.1 XML (boxes).</summary>
    Cvat,

    /// <summary>Open Images CSV: normalised XMin, XMax, YMin, YMax; IsGroupOf is a crowd.</summary>
    OpenImages,
}

/// <summary>Which side of an evaluation a file holds.</summary>
public enum AnnotationRole
{
    /// <summary>Ground truth: boxes without scores, with optional difficult and crowd flags.</summary>
    GroundTruth,

    /// <summary>Predictions: boxes with confidence scores.</summary>
    Predictions,
}

/// <summary>How the four numbers of a box are laid out in the text formats (txt, CSV).</summary>
public enum BoxFormat
{
    /// <summary>Corners: left, top, right, bottom. The width is <c>right - left</c>.</summary>
    Xyxy,

    /// <summary>Top-left corner and size: x, y, width, height (COCO's layout).</summary>
    Xywh,

    /// <summary>Centre and size: cx, cy, width, height (YOLO's layout).</summary>
    Cxcywh,
}

/// <summary>Whether box numbers are pixels or fractions of the image size.</summary>
public enum CoordinateSpace
{
    /// <summary>Pixels.</summary>
    Absolute,

    /// <summary>Fractions of the image width and height, between 0 and 1; needs the image sizes.</summary>
    Relative,
}

/// <summary>What to do with a prediction whose class the ground truth does not have.</summary>
public enum UnknownClassHandling
{
    /// <summary>Stop with an input error naming the file, the line and the class.</summary>
    Error,

    /// <summary>Drop such predictions and count them in a warning.</summary>
    Ignore,
}
