namespace DetectionEval.Matching;

/// <summary>
/// The two IoU rules the references use. They agree in value up to rounding but not in operation order,
/// so each reference's numbers are reproduced only by its own rule; both are written exactly in the
/// order the reference evaluates them.
/// </summary>
public static class IouRules
{
    /// <summary>
    /// COCO IoU, as pycocotools' <c>bbIou</c> (maskApi.c) computes it. Areas come from the given sizes
    /// (<c>w * h</c>). For a crowd ground truth the union is the detection's area alone, so a detection
    /// inside a crowd region scores its covered fraction.
    /// </summary>
    /// <returns>IoU in [0, 1]; 0 when the boxes do not overlap (touching edges included).</returns>
    public static double Coco(in Box detection, in Box groundTruth, bool groundTruthIsCrowd)
    {
        // maskApi.c: w = fmin(db[2]+db[0], gb[2]+gb[0]) - fmax(db[0], gb[0]); if (w <= 0) continue;
        double iw = Math.Min(detection.X2, groundTruth.X2) - Math.Max(detection.X, groundTruth.X);
        if (iw <= 0) return 0;
        double ih = Math.Min(detection.Y2, groundTruth.Y2) - Math.Max(detection.Y, groundTruth.Y);
        if (ih <= 0) return 0;
        double intersection = iw * ih;
        double detectionArea = detection.Width * detection.Height;
        // u = crowd ? da : da + ga - i, evaluated as (da + ga) - i.
        double union = groundTruthIsCrowd
            ? detectionArea
            : (detectionArea + groundTruth.Width * groundTruth.Height) - intersection;
        return intersection / union;
    }

    /// <summary>
    /// VOC IoU, as the classic <c>voc_eval</c> computes it from the corners <c>x1 = x, x2 = x + w</c>.
    /// </summary>
    /// <param name="detection">The detection.</param>
    /// <param name="groundTruth">The ground truth.</param>
    /// <param name="pixelOffset">0 for continuous coordinates; 1 for the inclusive-pixel convention of the
    /// VOC devkit and py-faster-rcnn, where a box <c>[x1, x2]</c> covers <c>x2 - x1 + 1</c> pixels.
    /// Adding 0.0 leaves every intermediate value bit-identical, so one formula serves both.</param>
    /// <returns>IoU in [0, 1]; 0 when the union is empty (two zero-area boxes).</returns>
    public static double Voc(in Box detection, in Box groundTruth, double pixelOffset)
    {
        double dx1 = detection.X, dy1 = detection.Y, dx2 = detection.X2, dy2 = detection.Y2;
        double gx1 = groundTruth.X, gy1 = groundTruth.Y, gx2 = groundTruth.X2, gy2 = groundTruth.Y2;
        // iw = np.maximum(ixmax - ixmin + 1., 0.), with ixmax - ixmin evaluated first.
        double iw = Math.Max((Math.Min(dx2, gx2) - Math.Max(dx1, gx1)) + pixelOffset, 0.0);
        double ih = Math.Max((Math.Min(dy2, gy2) - Math.Max(dy1, gy1)) + pixelOffset, 0.0);
        double intersection = iw * ih;
        // Widths are taken back from the corners, which is not always bit-equal to the given width.
        double detectionArea = ((dx2 - dx1) + pixelOffset) * ((dy2 - dy1) + pixelOffset);
        double groundTruthArea = ((gx2 - gx1) + pixelOffset) * ((gy2 - gy1) + pixelOffset);
        double union = (detectionArea + groundTruthArea) - intersection;
        return union > 0 ? intersection / union : 0.0;
    }
}
