using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;
using DetectionEval.Matching.Masks;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/// <summary>COCO json through the format registry: <see cref="CocoJson"/> reads, this writes.</summary>
internal sealed class CocoFormat : IAnnotationFormat
{
    public AnnotationFormat Format => AnnotationFormat.Coco;

    public bool IsFolder => false;

    public bool Supports(AnnotationRole role) => true;

    public void ReadGroundTruth(string path, GroundTruthSink sink) => CocoJson.ReadGroundTruth(path, sink.Builder, sink.Options.Cancellation, sink.Options.Progress);

    public void ReadPredictions(string path, PredictionSink sink)
    {
        sink.RequireIdsThatMeanSomething(path, "COCO results");
        CocoJson.ReadDetections(path, sink.Builder, sink.Options.Cancellation, sink.Options.Progress);
    }

    public void Write(Dataset dataset, AnnotationRole role, string path, WriteOptions options) =>
        AtomicFile.Write(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
            if (role == AnnotationRole.GroundTruth) WriteGroundTruth(json, dataset);
            else WriteResults(json, new DatasetView(dataset));
        });

    private static void WriteGroundTruth(Utf8JsonWriter json, Dataset dataset)
    {
        json.WriteStartObject();
        json.WriteStartArray("images");
        foreach (ImageInfo image in dataset.Images)
        {
            json.WriteStartObject();
            json.WriteRecordId("id", image.Id);
            if (image.FileName is { } name) json.WriteString("file_name", name);
            if (image.Width is int w) json.WriteNumber("width", w);
            if (image.Height is int h) json.WriteNumber("height", h);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        GroundTruthTable gt = dataset.GroundTruth;
        json.WriteStartArray("annotations");
        for (int row = 0; row < gt.Count; row++)
        {
            json.WriteStartObject();
            json.WriteRecordId("id", gt.AnnotationIds[row]);
            json.WriteRecordId("image_id", dataset.Images[gt.Images[row]].Id);
            json.WriteNumber("category_id", dataset.Categories[gt.Categories[row]].Id);
            WriteBox(json, gt.Boxes[row]);
            json.WriteNumber("area", gt.Areas[row]);
            GroundTruthFlags flags = gt.Flags[row];
            json.WriteNumber("iscrowd", flags.HasFlag(GroundTruthFlags.Crowd) ? 1 : 0);
            if (flags.HasFlag(GroundTruthFlags.Difficult)) json.WriteNumber("difficult", 1);
            if (flags.HasFlag(GroundTruthFlags.Ignore)) json.WriteNumber("ignore", 1);
            if (!gt.Shapes.IsEmpty && gt.Shapes[row] is { } shape)
            {
                // Ground truth's RLE as COCO's crowd regions have it: counts as a list.
                WriteSegmentation(json, shape, compressed: false);
                WriteKeypoints(json, shape, groundTruth: true);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartArray("categories");
        foreach (Category category in dataset.Categories)
        {
            json.WriteStartObject();
            json.WriteNumber("id", category.Id);
            json.WriteString("name", category.Name);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteResults(Utf8JsonWriter json, DatasetView view)
    {
        Dataset dataset = view.Dataset;
        DetectionTable dt = dataset.Detections;
        json.WriteStartArray();
        foreach (int row in view.DetectionOrder)
        {
            json.WriteStartObject();
            json.WriteRecordId("image_id", dataset.Images[dt.Images[row]].Id);
            json.WriteNumber("category_id", dataset.Categories[dt.Categories[row]].Id);
            // Results read without boxes (areas from masks or keypoints) are written without them, so that
            // pycocotools' loadRes, ruled by the first result, takes the same areas again.
            if (dt.Areas.IsEmpty || double.IsNaN(dt.Areas[row])) WriteBox(json, dt.Boxes[row]);
            json.WriteNumber("score", dt.Scores[row]);
            if (!dt.Shapes.IsEmpty && dt.Shapes[row] is { } shape)
            {
                // Results' RLE is compressed: loadRes measures it with maskUtils.area, which reads strings.
                WriteSegmentation(json, shape, compressed: true);
                WriteKeypoints(json, shape, groundTruth: false);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>Writes "segmentation": the polygons as read, else the mask as RLE; nothing for an object without either.</summary>
    private static void WriteSegmentation(Utf8JsonWriter json, ObjectShape shape, bool compressed)
    {
        if (shape.Polygons is { } polygons)
        {
            json.WriteStartArray("segmentation");
            foreach (double[] polygon in polygons)
            {
                json.WriteStartArray();
                foreach (double value in polygon) json.WriteNumberValue(value);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            return;
        }
        if (shape.Mask is not { } mask) return;
        json.WriteStartObject("segmentation");
        json.WriteStartArray("size");
        json.WriteNumberValue(mask.Height);
        json.WriteNumberValue(mask.Width);
        json.WriteEndArray();
        if (compressed)
        {
            json.WriteString("counts", CompressedCounts.Encode(mask.Counts));
        }
        else
        {
            json.WriteStartArray("counts");
            foreach (uint count in mask.Counts) json.WriteNumberValue(count);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static void WriteKeypoints(Utf8JsonWriter json, ObjectShape shape, bool groundTruth)
    {
        if (shape.Keypoints is not { } keypoints) return;
        json.WriteStartArray("keypoints");
        foreach (double value in keypoints) json.WriteNumberValue(value);
        json.WriteEndArray();
        if (groundTruth && shape.LabelledKeypoints is int labelled) json.WriteNumber("num_keypoints", labelled);
    }

    private static void WriteBox(Utf8JsonWriter json, Box box)
    {
        json.WriteStartArray("bbox");
        json.WriteNumberValue(box.X);
        json.WriteNumberValue(box.Y);
        json.WriteNumberValue(box.Width);
        json.WriteNumberValue(box.Height);
        json.WriteEndArray();
    }
}
