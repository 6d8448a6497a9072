using System.Text.Json;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.IO;

namespace DetectionEval.Cli.Tests;

/// <summary>deval evaluate on the annotation formats: detection, class handling and image sizes from image files.</summary>
public sealed class FormatEvaluateTests
{
    private static string Peer(params string[] parts) => ReferenceData.Case(Path.Combine(["peer", .. parts]));

    [Fact]
    public void The_toy_example_prints_the_published_aps_and_says_how_it_read_each_input()
    {
        string gt = Peer("rp_toyexample", "original", "gts_vocpascal_format"), dt = Peer("rp_toyexample", "original", "dets_classname_abs_xywh");
        CommandRun run = Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--box-format", "xywh", "--voc-plus-one", "--metric", "voc");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(" mAP (11-point)  = 0.8864\n mAP (all-point) = 0.8958\n", run.Output);
        Assert.Equal(
            [$"deval: {gt}: read as voc-xml (a folder of .xml files)", $"deval: {dt}: read as txt (.txt files of 'class score a b c d' boxes)"],
            run.ErrorLines);

        CommandRun strict = Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--box-format", "xywh", "--voc-plus-one", "--iou", "0.75", "--metric", "voc", "--json", "-");
        using JsonDocument report = JsonDocument.Parse(strict.Output);
        Assert.Equal(0.4924242424242424, report.RootElement.GetProperty("voc").GetProperty("mAP07").GetDouble());
        Assert.Equal(0.5097222222222222, report.RootElement.GetProperty("voc").GetProperty("mAPAll").GetDouble());
    }

    [Fact]
    public void Prediction_classes_the_ground_truth_lacks_are_dropped_with_counts_when_asked()
    {
        string gt = Peer("cartucho", "original", "ground-truth"), dt = Peer("cartucho", "original", "detection-results");
        CommandRun run = Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--gt-format", "txt", "--pred-format", "txt", "--voc-plus-one", "--metric", "voc", "--ignore-unknown-classes");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            $"deval: warning: {dt}: 44 predictions of classes not in the ground truth were ignored (keyboard 1, knife 1, lamp 1, laptop 2, oven 4, refrigerator 32, toilet 2, toothbrush 1).",
            Assert.Single(run.ErrorLines));
        Assert.Contains(" mAP (all-point) = 0.3105\n", run.Output);
        Assert.Matches(@"^\d+ images, \d+ classes, \d+ ground-truth boxes, \d+ detections \(44 more of classes not in the ground truth dropped\)\n", run.Output);
    }

    [Fact]
    public void Ground_truth_and_predictions_can_name_their_csv_columns_differently()
    {
        string folder = Directory.CreateTempSubdirectory("deval-csv-columns-").FullName;
        try
        {
            string sampleGt = Deval.Sample("formats", "csv", "gt.csv"), samplePredictions = Deval.Sample("formats", "csv", "predictions.csv");
            string gt = Path.Combine(folder, "gt.csv"), predictions = Path.Combine(folder, "predictions.csv");
            string[] gtLines = File.ReadAllLines(sampleGt), predictionLines = File.ReadAllLines(samplePredictions);
            Assert.Equal("image,class,x1,y1,x2,y2,difficult,iscrowd", gtLines[0]);
            Assert.Equal("image,class,x1,y1,x2,y2,score", predictionLines[0]);
            File.WriteAllLines(gt, ["picture,kind,x1,y1,x2,y2,difficult,iscrowd", .. gtLines[1..]]);
            File.WriteAllLines(predictions, ["frame,what,x1,y1,x2,y2,certainty", .. predictionLines[1..]]);
            string names = Deval.Sample("formats", "classes.txt");
            CommandRun expected = Deval.Run("evaluate", "--gt", sampleGt, "--pred", samplePredictions, "--names", names);
            Assert.Equal(0, expected.ExitCode);
            Assert.StartsWith("100 images, 80 classes, 839 ground-truth boxes, 734 detections\n", expected.Output);

            // Each side its own names; --csv-columns still names columns of both, overridden column by column.
            CommandRun run = Deval.Run("evaluate", "--gt", gt, "--pred", predictions, "--names", names, "--csv-columns", "score=certainty,image=frame",
                "--gt-csv-columns", "image=picture,class=kind", "--pred-csv-columns", "class=what");
            Assert.Equal(0, run.ExitCode);
            Assert.Equal(expected.Output, run.Output);

            // One set of names for both cannot read these files.
            CommandRun shared = Deval.Run("evaluate", "--gt", gt, "--pred", predictions, "--names", names, "--csv-columns", "image=picture,class=kind,score=certainty");
            Assert.Equal(2, shared.ExitCode);
            Assert.Equal($"deval: error: {predictions}:1: Expected an image column (picture), but got a header with frame,what,x1,y1,x2,y2,certainty.", shared.ErrorLines[^1]);

            CommandRun malformed = Deval.Run("evaluate", "--gt", gt, "--pred", predictions, "--pred-csv-columns", "label");
            Assert.Equal(2, malformed.ExitCode);
            Assert.StartsWith("deval: error: --pred-csv-columns: Expected column=header with a column among image, class,", malformed.ErrorLines[0]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_class_map_renames_prediction_classes_before_they_are_matched()
    {
        string folder = Directory.CreateTempSubdirectory("deval-class-map-").FullName;
        try
        {
            string map = Path.Combine(folder, "map.csv");
            File.WriteAllText(map, "chat,cat\nchien,dog\n");
            string predictions = Path.Combine(folder, "pred.csv");
            File.WriteAllText(predictions, "image,class,xmin,ymin,xmax,ymax,score\nimg1,chat,10,10,50,50,0.9\nimg1,chien,60,60,90,90,0.8\nimg2,chat,5,5,20,20,0.7\n");
            CommandRun run = Deval.Run("evaluate", "--gt", Deval.TestData("malformed", "csv", "gt.csv"), "--pred", predictions, "--class-map", map, "--metric", "voc");
            Assert.Equal(0, run.ExitCode);
            Assert.Contains(" mAP (all-point) = 1.0000\n", run.Output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void OpenCV_reads_the_size_that_each_jpeg_header_records()
    {
        string[] jpegs = Directory.GetFiles(Peer("cartucho", "images"), "*.jpg");
        Assert.Equal(85, jpegs.Length);
        foreach (string jpeg in jpegs) Assert.Equal(JpegHeaderSize(jpeg), ImageSizeReader.Read(jpeg));
    }

    /// <summary>The size in a JPEG's start-of-frame segment, read independently of OpenCV.</summary>
    private static ImageSize JpegHeaderSize(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int i = 2;
        while (i + 9 < bytes.Length)
        {
            Assert.Equal(0xFF, bytes[i]);
            byte marker = bytes[i + 1];
            int length = (bytes[i + 2] << 8) | bytes[i + 3];
            // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return new ImageSize((bytes[i + 7] << 8) | bytes[i + 8], (bytes[i + 5] << 8) | bytes[i + 6]);
            }
            i += 2 + length;
        }
        throw new InvalidDataException($"no start-of-frame segment in {path}");
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_an_input_error()
    {
        string folder = Directory.CreateTempSubdirectory("deval-not-image-").FullName;
        try
        {
            string fake = Path.Combine(folder, "img1.jpg");
            File.WriteAllText(fake, "not a jpeg");
            var error = Assert.Throws<AnnotationFormatException>(() => ImageSizeReader.Read(fake));
            Assert.Equal($"{fake}: Expected an image OpenCV can decode (JPEG, PNG, BMP, TIFF, WebP), but got a file it cannot decode.", error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Images_and_image_sizes_together_are_a_usage_error()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", Deval.TestData("malformed", "coco", "gt.json"), "--pred", Deval.TestData("malformed", "coco", "dt.json"),
            "--images", Peer("cartucho", "images"), "--image-sizes", Deval.TestData("malformed", "yolo", "sizes.txt"));
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("deval: error: --images and --image-sizes: Expected one source of image sizes, but got both.", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public void Help_lists_every_format_option()
    {
        CommandRun run = Deval.Run("evaluate", "--help");
        Assert.Equal(0, run.ExitCode);
        foreach (string option in new[] { "--gt-format", "--pred-format", "--box-format", "--coords", "--names", "--images", "--image-sizes", "--class-map", "--ignore-unknown-classes", "--csv-columns", "--gt-csv-columns", "--pred-csv-columns" })
        {
            Assert.Contains(option, run.Output);
        }
        foreach (string format in AnnotationFormats.Names) Assert.Contains(format, run.Output);
    }
}
