using DetectionEval.Eval.Formats;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Tests;

/// <summary>
/// Auto-detection never guesses between two formats that would read the same files differently: it
/// decides on evidence, or stops with one line naming both formats and the option that chooses.
/// </summary>
public sealed class FormatDetectionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-detection-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string relative, string text)
    {
        string path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private string Folder(string name) => Path.Combine(_folder, name);

    private static DetectedFormat Detect(string path, AnnotationRole role = AnnotationRole.GroundTruth, LoadOptions? options = null) =>
        AnnotationFormats.Detect(path, role, options ?? new LoadOptions());

    /// <summary>The message without the temporary folder.</summary>
    private string Refusal(Func<DetectedFormat> detect) => Assert.Throws<AnnotationFormatException>(() => detect()).Message.Replace(_folder + "/", "");

    [Fact]
    public void A_box_format_for_txt_predictions_leaves_a_yolo_folder_yolo()
    {
        Write("labels/a.txt", "0 0.5 0.5 0.2 0.2\n1 0.25 0.75 0.1 0.3\n");
        Write("labels/classes.txt", "cat\ndog\n");
        DetectedFormat detected = Detect(Folder("labels"), options: new LoadOptions { BoxFormat = BoxFormat.Xywh });
        Assert.Equal(new DetectedFormat(AnnotationFormat.Yolo, ".txt files of 'class cx cy w h' in [0, 1]"), detected);
    }

    [Theory]
    [InlineData(AnnotationRole.GroundTruth, "0 0.5 0.5 0.2 0.2\n", "'class cx cy w h'", "'class a b c d'", "--gt-format")]
    [InlineData(AnnotationRole.Predictions, "0 0.5 0.5 0.2 0.2 0.9\n", "'class cx cy w h conf'", "'class score a b c d'", "--pred-format")]
    public void Fractions_with_coords_rel_could_be_yolo_or_txt_and_are_refused(AnnotationRole role, string line, string yolo, string txt, string option)
    {
        Write("labels/a.txt", line);
        string message = Refusal(() => Detect(Folder("labels"), role, new LoadOptions { Coordinates = CoordinateSpace.Relative }));
        Assert.Equal(
            $"labels: Expected input whose format can be told (yolo or txt here), but got lines of a class index and fractions ('{line.TrimEnd()}' in a.txt), "
            + $"which yolo reads as {yolo} and txt with --coords rel as {txt}. Name it with {option} yolo or {option} txt.",
            message);
    }

    [Fact]
    public void Pixel_lines_are_txt_and_fraction_lines_yolo_without_coords_rel()
    {
        Write("pixels/a.txt", "0 10 20 50 80\n");
        Write("names/a.txt", "cat 0.1 0.2 0.3 0.4\n");
        Write("fractions/a.txt", "3 0.1 0.2 0.3 0.4\n");
        Assert.Equal(AnnotationFormat.Txt, Detect(Folder("pixels")).Format);
        Assert.Equal(AnnotationFormat.Txt, Detect(Folder("names")).Format);
        Assert.Equal(AnnotationFormat.Yolo, Detect(Folder("fractions")).Format);
        // A class name cannot be YOLO, so --coords rel leaves it txt.
        Assert.Equal(AnnotationFormat.Txt, Detect(Folder("names"), options: new LoadOptions { Coordinates = CoordinateSpace.Relative }).Format);
    }

    [Fact]
    public void Files_of_yolo_lines_and_of_lines_yolo_cannot_read_are_refused()
    {
        Write("mixed/a.txt", "0 0.5 0.5 0.2 0.2\n");
        Write("mixed/b.txt", "dog 10 20 30 40\n");
        Assert.Equal(
            "mixed: Expected input whose format can be told (yolo or txt here), but got lines like yolo's ('0 0.5 0.5 0.2 0.2' in a.txt) and lines yolo cannot read ('dog 10 20 30 40' in b.txt). "
            + "Name it with --gt-format yolo or --gt-format txt.",
            Refusal(() => Detect(Folder("mixed"))));

        // A few YOLO lines among pixel lines: txt would read them as boxes under a pixel.
        Write("few/a.txt", "0 0.5 0.5 0.2 0.2\n");
        Write("few/b.txt", "0 10 20 30 40\n0 15 25 35 45\n");
        Assert.StartsWith("few: Expected input whose format can be told (yolo or txt here), but got lines like yolo's ('0 0.5 0.5 0.2 0.2' in a.txt) and lines yolo cannot read ('0 10 20 30 40' in b.txt).",
            Refusal(() => Detect(Folder("few"))), StringComparison.Ordinal);

        // Most lines YOLO: YOLO, whose reader then reports the line out of range.
        Write("most/a.txt", "0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.1 0.1\n");
        Write("most/b.txt", "0 0.5 0.5 1.2 0.2\n");
        Assert.Equal(AnnotationFormat.Yolo, Detect(Folder("most")).Format);
    }

    [Fact]
    public void Some_results_files_named_det_among_other_txt_files_are_refused()
    {
        Write("results/comp4_det_test_cat.txt", "img1 0.9 1 2 3 4\n");
        Write("results/img1.txt", "cat 0.9 1 2 3 4\n");
        Assert.Equal(
            "results: Expected input whose format can be told (voc-results or txt here), but got 1 results file named *_det_* (comp4_det_test_cat.txt) and 1 other .txt file (img1.txt). "
            + "Name it with --pred-format voc-results or --pred-format txt.",
            Refusal(() => Detect(Folder("results"), AnnotationRole.Predictions)));
    }

    [Fact]
    public void The_option_named_in_a_refusal_is_the_one_the_command_has()
    {
        Write("labels/a.txt", "0 0.5 0.5 0.2 0.2\n");
        string message = Refusal(() => AnnotationFormats.Detect(Folder("labels"), AnnotationRole.GroundTruth, new LoadOptions { Coordinates = CoordinateSpace.Relative }, "--from"));
        Assert.EndsWith("Name it with --from yolo or --from txt.", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"images\": [{\"id\": 1, \"file_name\": \"shapes.jpg\"}], \"categories\": [{\"id\": 1, \"name\": \"shapes\"}]}", AnnotationFormat.Coco, "a .json file with \"images\"")]
    [InlineData("{\"info\": {\"shapes\": 3}, \"annotations\": []}", AnnotationFormat.Coco, "a .json file with \"annotations\"")]
    [InlineData("\uFEFF[{\"image_id\": 1}]", AnnotationFormat.Coco, "a .json file holding a list")]
    [InlineData("{\"version\": \"5.4.1\", \"flags\": {}, \"shapes\": [{\"label\": \"images\"}]}", AnnotationFormat.LabelMe, "a .json file with \"shapes\"")]
    [InlineData("{\"info\": {}}", AnnotationFormat.Coco, "a .json file")]
    public void A_json_file_goes_by_its_top_level_keys_not_by_words_anywhere_in_it(string content, AnnotationFormat format, string because) =>
        Assert.Equal(new DetectedFormat(format, because), Detect(Write("a.json", content)));

    [Fact]
    public void A_json_file_with_both_labelme_and_coco_keys_is_refused()
    {
        Assert.Equal(
            "both.json: Expected input whose format can be told (labelme or coco here), but got a .json file with both \"shapes\" (labelme) and \"images\" (coco). "
            + "Name it with --gt-format labelme or --gt-format coco.",
            Refusal(() => Detect(Write("both.json", "{\"shapes\": [], \"images\": []}"))));
    }

    [Theory]
    [InlineData("ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n", AnnotationFormat.OpenImages)]
    [InlineData("\"ImageID\";\"LabelName\";\"Score\";\"XMin\";\"XMax\";\"YMin\";\"YMax\"\n", AnnotationFormat.OpenImages)]
    [InlineData("image,class,XMin,YMin,XMax,YMax\n", AnnotationFormat.Csv)]
    [InlineData("ImageIDs,XMinimum\n", AnnotationFormat.Csv)]
    public void A_csv_file_is_open_images_only_with_open_images_own_column_names(string header, AnnotationFormat format) =>
        Assert.Equal(format, Detect(Write("a.csv", header)).Format);

    [Fact]
    public void Empty_txt_files_read_alike_as_yolo_or_txt()
    {
        Write("empty/a.txt", "");
        Write("listed/a.txt", "\n");
        Write("listed/classes.txt", "cat\n");
        Assert.Equal(new DetectedFormat(AnnotationFormat.Txt, "empty .txt files"), Detect(Folder("empty")));
        Assert.Equal(new DetectedFormat(AnnotationFormat.Yolo, "empty .txt files next to classes.txt"), Detect(Folder("listed")));
    }
}
