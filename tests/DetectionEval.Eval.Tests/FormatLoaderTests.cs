using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Tests;

/// <summary>Hand-checkable behaviour of the format loaders: layouts, class lists, image numbering, detection.</summary>
public sealed class FormatLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-loaders-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string relative, string text)
    {
        string path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData(BoxFormat.Xyxy, 10, 20, 40, 80, 10, 20, 30, 60)]
    [InlineData(BoxFormat.Xywh, 10, 20, 30, 60, 10, 20, 30, 60)]
    [InlineData(BoxFormat.Cxcywh, 25, 50, 30, 60, 10, 20, 30, 60)]
    public void Each_box_layout_gives_the_same_pixel_box(BoxFormat format, double a, double b, double c, double d, double x, double y, double w, double h)
    {
        Assert.True(BoxLayout.TryToBox(format, [a, b, c, d], null, out Box box, out _));
        Assert.Equal(new Box(x, y, w, h), box);
        Span<double> back = stackalloc double[4];
        BoxLayout.FromBox(format, box, null, back);
        Assert.Equal([a, b, c, d], back.ToArray());
    }

    [Fact]
    public void Numbers_read_as_exactly_the_double_a_full_parser_gives()
    {
        var random = new Random(7);
        var texts = new List<string> { ".88", "-0", "+5", "5.", "0.48166000000000003", "9007199254740993", "1e-3", "123456789012345678901234" };
        for (int i = 0; i < 20000; i++)
        {
            double any = BitConverter.Int64BitsToDouble(random.NextInt64(0, 0x7FEFFFFFFFFFFFFF));
            texts.Add(any.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            texts.Add((random.NextDouble() * 1000).ToString("F" + random.Next(0, 17), System.Globalization.CultureInfo.InvariantCulture));
            texts.Add("0." + random.NextInt64(0, 10_000_000_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        foreach (string text in texts)
        {
            double expected = double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Fields.TryParseDouble(System.Text.Encoding.UTF8.GetBytes(text), out double actual), text);
            Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), $"{text}: {expected:R} vs {actual:R}");
        }
        foreach (string bad in new[] { "", ".", "-", "0,5", "NaN", "Infinity", "1e999", "ten", "1.2.3" })
        {
            Assert.False(Fields.TryParseDouble(System.Text.Encoding.UTF8.GetBytes(bad), out _), bad);
        }
    }

    [Fact]
    public void Relative_yolo_numbers_follow_the_c02_rule()
    {
        // x = cx*W - w*W/2 with the width w*W, as the reference README's YOLO rendering says.
        Assert.True(BoxLayout.TryToBox(BoxFormat.Cxcywh, [0.5, 0.25, 0.2, 0.1], new ImageSize(200, 100), out Box box, out _));
        Assert.Equal(new Box(80, 20, 40, 10), box);
        Assert.False(BoxLayout.TryToBox(BoxFormat.Cxcywh, [0.5, 0.25, 1.2, 0.1], new ImageSize(200, 100), out _, out BoxLayout.Problem problem));
        Assert.Equal(new BoxLayout.Problem(2, "a relative w between 0 and 1", "1.2"), problem);
    }

    [Fact]
    public void A_names_file_numbers_classes_by_line_and_a_data_yaml_by_its_names_key()
    {
        Assert.Equal([new NamedClass(0, "person"), new NamedClass(1, "traffic light")], ClassList.Read(Write("names.txt", "person\ntraffic light\n\n")).Classes);
        Assert.Equal([new NamedClass(0, "cat"), new NamedClass(1, "dog")], ClassList.Read(Write("flow.yaml", "path: x\nnames: ['cat', \"dog\"]\nnc: 2\n")).Classes);
        Assert.Equal([new NamedClass(0, "cat"), new NamedClass(1, "dog")], ClassList.Read(Write("list.yaml", "names:\n  - cat\n  - dog\nnc: 2\n")).Classes);
        Assert.Equal([new NamedClass(0, "person"), new NamedClass(5, "bus")], ClassList.Read(Write("map.yml", "train: a\nnames:\n  0: person\n  5: bus # sparse\nval: b\n")).Classes);
    }

    [Fact]
    public void An_empty_line_inside_a_names_file_is_an_error_because_it_shifts_the_classes()
    {
        var error = Assert.Throws<AnnotationFormatException>(() => ClassList.Read(Write("names.txt", "cat\n\ndog\n")));
        Assert.Equal(3, error.Location.Line);
    }

    [Fact]
    public void Image_sizes_read_space_or_comma_separated_lines_and_match_by_stem()
    {
        ImageSizeTable sizes = ImageSizeTable.Read(Write("sizes.txt", "# name width height\nimg 1.jpg 640 480\nb.png,10,20\n"));
        Assert.True(sizes.TryGetSize("img 1", out ImageSize size));
        Assert.Equal(new ImageSize(640, 480), size);
        Assert.True(sizes.TryGetSize("sub/b.png", out size));
        Assert.Equal(new ImageSize(10, 20), size);
        Assert.False(sizes.TryGetSize("c", out _));
        var error = Assert.Throws<AnnotationFormatException>(() => ImageSizeTable.Read(Write("bad.txt", "a 640\n")));
        Assert.Equal("bad.txt:1: Expected '<image> <width> <height>' (space or comma separated), but got 2 fields.", error.Message.Replace(_folder + "/", ""));
    }

    [Fact]
    public void An_image_folder_reads_every_size_once_and_fails_only_for_an_image_that_is_needed()
    {
        Write("images/a.jpg", "");
        Write("images/b.png", "");
        Write("images/broken.jpg", "");
        Write("images/notes.txt", "");
        int reads = 0;
        var folder = new ImageFolder(Path.Combine(_folder, "images"), path =>
        {
            Interlocked.Increment(ref reads);
            if (path.EndsWith("broken.jpg", StringComparison.Ordinal)) throw new AnnotationFormatException(new SourceLocation(path), "an image", "a broken file");
            return path.EndsWith(".png", StringComparison.Ordinal) ? new ImageSize(20, 10) : new ImageSize(640, 480);
        });
        Assert.Equal(["a.jpg", "b.png", "broken.jpg"], folder.ImageNames);
        Assert.True(folder.TryGetSize("b", out ImageSize size));
        Assert.Equal(new ImageSize(20, 10), size);
        Assert.True(folder.TryGetSize("a.jpg", out size));
        Assert.Equal(new ImageSize(640, 480), size);
        Assert.Equal(3, reads);
        Assert.False(folder.TryGetSize("notes", out _));
        Assert.Throws<AnnotationFormatException>(() => folder.TryGetSize("broken", out _));
    }

    [Fact]
    public void Images_named_by_whole_numbers_keep_them_as_ids_and_others_are_numbered_in_name_order()
    {
        Write("numeric/000000000042.txt", "cat 0 0 1 1\n");
        Write("numeric/7.txt", "cat 0 0 1 1\n");
        Dataset numeric = AnnotationLoader.Load(new AnnotationInput(Path.Combine(_folder, "numeric"), AnnotationFormat.Txt), null, new LoadOptions()).Builder.Build();
        Assert.Equal([7L, 42L], numeric.Images.Select(i => i.Id));

        Write("named/b.txt", "dog 0 0 1 1\n");
        Write("named/a.txt", "cat 0 0 1 1\n");
        Write("named/10.txt", "");
        Dataset named = AnnotationLoader.Load(new AnnotationInput(Path.Combine(_folder, "named"), AnnotationFormat.Txt), null, new LoadOptions()).Builder.Build();
        Assert.Equal(["10", "a", "b"], named.Images.Select(i => i.FileName));
        Assert.Equal([1L, 2L, 3L], named.Images.Select(i => i.Id));
        Assert.Equal(["cat", "dog"], named.Categories.Select(c => c.Name));
    }

    [Fact]
    public void A_class_name_may_contain_spaces_but_not_end_in_a_number()
    {
        Write("gt/a.txt", "traffic light 1 2 3 4\n");
        Dataset dataset = AnnotationLoader.Load(new AnnotationInput(Path.Combine(_folder, "gt"), AnnotationFormat.Txt), null, new LoadOptions()).Builder.Build();
        Assert.Equal("traffic light", Assert.Single(dataset.Categories).Name);

        Write("bad/a.txt", "cat 0.9 1 2 3 4\n");
        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationLoader.Load(new AnnotationInput(Path.Combine(_folder, "bad"), AnnotationFormat.Txt), null, new LoadOptions()));
        Assert.Equal("Expected 5 fields '<class> <x1> <y1> <x2> <y2> [difficult]', but got 6 fields.", error.Message[(error.Message.IndexOf("Expected", StringComparison.Ordinal))..]);
    }

    [Fact]
    public void A_classes_txt_next_to_the_files_fixes_class_ids_and_order()
    {
        Write("gt/classes.txt", "zebra\nant\n");
        Write("gt/a.txt", "ant 0 0 1 1\nzebra 0 0 2 2\n");
        LoadedAnnotations loaded = AnnotationLoader.Load(new AnnotationInput(Path.Combine(_folder, "gt"), AnnotationFormat.Txt), null, new LoadOptions());
        Dataset dataset = loaded.Builder.Build();
        Assert.Equal([new Category(0, "zebra"), new Category(1, "ant")], dataset.Categories);
        Assert.Equal($"class names from {Path.Combine(_folder, "gt", "classes.txt")}", Assert.Single(loaded.Notices));
    }

    [Theory]
    [InlineData("yolo/a.txt", "0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.05 0.05\n", AnnotationFormat.Yolo)]
    [InlineData("txt/a.txt", "cat 10 10 50 50\n", AnnotationFormat.Txt)]
    [InlineData("pixels/a.txt", "0 10 10 50 50\n", AnnotationFormat.Txt)]
    [InlineData("voc/a.xml", "<annotation><object/></annotation>", AnnotationFormat.VocXml)]
    [InlineData("labelme/a.json", "{\"shapes\": []}", AnnotationFormat.LabelMe)]
    [InlineData("results/comp4_det_test_cat.txt", "a 0.9 1 2 3 4\n", AnnotationFormat.VocResults)]
    public void A_folder_format_is_detected_from_its_files(string file, string content, AnnotationFormat expected)
    {
        string path = Write(file, content);
        Assert.Equal(expected, AnnotationFormats.Detect(Path.GetDirectoryName(path)!, AnnotationRole.GroundTruth, new LoadOptions()).Format);
    }

    [Theory]
    [InlineData("a.json", "[{\"image_id\": 1}]", AnnotationFormat.Coco)]
    [InlineData("b.json", "{\"images\": [], \"annotations\": [], \"categories\": []}", AnnotationFormat.Coco)]
    [InlineData("c.json", "{\"version\": \"5.4.1\", \"shapes\": []}", AnnotationFormat.LabelMe)]
    [InlineData("d.xml", "<?xml version=\"1.0\"?>\n<annotations><version>1.1</version></annotations>", AnnotationFormat.Cvat)]
    [InlineData("e.csv", "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax\n", AnnotationFormat.OpenImages)]
    [InlineData("f.csv", "filename,width,height,class,xmin,ymin,xmax,ymax\n", AnnotationFormat.Csv)]
    public void A_file_format_is_detected_from_its_extension_and_first_bytes(string file, string content, AnnotationFormat expected) =>
        Assert.Equal(expected, AnnotationFormats.Detect(Write(file, content), AnnotationRole.GroundTruth, new LoadOptions()).Format);

    [Fact]
    public void An_open_images_boxes_file_with_empty_flag_cells_reads_them_as_0()
    {
        // The boxes file as exporters write it: every column of the official file, flag cells left empty.
        const string Header = "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n";
        string empty = Write("empty.csv", Header
            + "0001eeaf4aed83f9,xclick,/m/0cmf2,1,0.1,0.5,0.2,0.6,,,,,\n"
            + "0001eeaf4aed83f9,xclick,/m/0cmf2,1,0.5,0.9,0.2,0.6,1,0,1,0,0\n"
            + "000a1249af2bc5f0,activemil,/m/01g317,1,0.0,1.0,0.0,1.0,,,,,\n");
        string zeros = Write("zeros.csv", Header
            + "0001eeaf4aed83f9,xclick,/m/0cmf2,1,0.1,0.5,0.2,0.6,0,0,0,0,0\n"
            + "0001eeaf4aed83f9,xclick,/m/0cmf2,1,0.5,0.9,0.2,0.6,1,0,1,0,0\n"
            + "000a1249af2bc5f0,activemil,/m/01g317,1,0.0,1.0,0.0,1.0,0,0,0,0,0\n");
        var options = new LoadOptions { ImageSizes = ImageSizeTable.Read(Write("sizes.txt", "0001eeaf4aed83f9 1024 768\n000a1249af2bc5f0 640 480\n")) };
        Dataset fromEmpty = AnnotationLoader.Load(new AnnotationInput(empty), null, options).Builder.Build();
        Dataset fromZeros = AnnotationLoader.Load(new AnnotationInput(zeros), null, options).Builder.Build();
        Assert.Equal([GroundTruthFlags.None, GroundTruthFlags.Crowd, GroundTruthFlags.None], fromEmpty.GroundTruth.Flags.ToArray());
        Assert.True(fromZeros.GroundTruth.Flags.SequenceEqual(fromEmpty.GroundTruth.Flags));
        Assert.True(fromZeros.GroundTruth.Boxes.SequenceEqual(fromEmpty.GroundTruth.Boxes));
        // The documented conversion: corners XMin*W, YMin*H, XMax*W, YMax*H.
        Assert.Equal(new Box(0.1 * 1024, 0.2 * 768, (0.5 * 1024) - (0.1 * 1024), (0.6 * 768) - (0.2 * 768)), fromEmpty.GroundTruth.Boxes[0]);
    }

    [Fact]
    public void Csv_with_tensorflow_columns_reads_width_and_height_as_the_image_size()
    {
        string gt = Write("tf.csv", "filename,width,height,class,xmin,ymin,xmax,ymax\na.jpg,640,480,cat,10,20,110,220\n");
        Dataset dataset = AnnotationLoader.Load(new AnnotationInput(gt, AnnotationFormat.Csv), null, new LoadOptions()).Builder.Build();
        Assert.Equal(new ImageInfo(1, "a.jpg", 640, 480), Assert.Single(dataset.Images));
        Assert.Equal(new Box(10, 20, 100, 200), dataset.GroundTruth.Boxes[0]);
    }

    [Fact]
    public void Csv_header_names_can_be_chosen_per_role()
    {
        string gt = Write("gt.csv", "file;what;l;t;r;b\na;cat;1;2;3;4\n");
        var options = new LoadOptions
        {
            BoxFormat = BoxFormat.Xyxy,
            CsvColumns = CsvColumnNames.Parse("image=file,class=what,x1=l,y1=t,x2=r,y2=b"),
        };
        Dataset dataset = AnnotationLoader.Load(new AnnotationInput(gt, AnnotationFormat.Csv), null, options).Builder.Build();
        Assert.Equal(Box.FromCorners(1, 2, 3, 4), dataset.GroundTruth.Boxes[0]);
    }

    [Fact]
    public void Ids_given_in_name_order_do_not_match_numbers_in_predictions()
    {
        string gt = Write("names.csv", "image,class,x,y,w,h\ncat.jpg,cat,1,2,3,4\ndog.jpg,dog,1,2,3,4\n");
        string byClassId = Write("class-id.csv", "image,class,x,y,w,h,score\ncat.jpg,1,1,2,3,4,0.5\n");
        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationLoader.Load(new AnnotationInput(gt), new AnnotationInput(byClassId), new LoadOptions()));
        Assert.Contains(": column 'class': Expected a class of the ground truth (cat, dog), but got '1'.", error.Message);
        string byImageId = Write("image-id.csv", "image,class,x,y,w,h,score\n2,dog,1,2,3,4,0.5\n");
        error = Assert.Throws<AnnotationFormatException>(() => AnnotationLoader.Load(new AnnotationInput(gt), new AnnotationInput(byImageId), new LoadOptions()));
        Assert.Contains("Expected an image of the ground truth, but got '2', which it does not have.", error.Message);
    }

    [Fact]
    public void Coco_results_need_ground_truth_ids_that_mean_something()
    {
        string results = Write("results.json", "[{\"image_id\": 2, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]");
        // Images named cat.jpg and dog.jpg are numbered 1, 2 in name order: image_id 2 would silently be dog.jpg.
        string named = Write("names.csv", "image,class,x,y,w,h\ncat.jpg,cat,1,2,3,4\ndog.jpg,dog,1,2,3,4\n");
        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationLoader.Load(new AnnotationInput(named), new AnnotationInput(results), new LoadOptions()));
        Assert.Equal($"{results}: Expected ground truth whose image ids COCO results can name (COCO json, or files named by whole numbers), but got images that deval numbered 1..N in name order. "
            + "Give COCO ground truth with the ids the predictions use, or predictions that name images (csv, txt, ...).", error.Message);

        // Images named by numbers keep them; classes without a list are numbered 1..K in name order.
        string numbered = Write("numbered.csv", "image,class,x,y,w,h\n1.jpg,cat,1,2,3,4\n2.jpg,dog,1,2,3,4\n");
        error = Assert.Throws<AnnotationFormatException>(() => AnnotationLoader.Load(new AnnotationInput(numbered), new AnnotationInput(results), new LoadOptions()));
        Assert.Equal($"{results}: Expected ground truth whose class ids COCO results can name (COCO json, or a class list), but got classes that deval numbered 1..K in name order. "
            + "Give the class list with --names (line i is category_id i).", error.Message);

        // With a class list, category_id is its line index: 1 is dog.
        var options = new LoadOptions { Names = ClassList.FromNames("names.txt", ["cat", "dog"]) };
        Dataset dataset = AnnotationLoader.Load(new AnnotationInput(numbered), new AnnotationInput(results), options).Builder.Build();
        Assert.Equal("dog", dataset.Categories[Assert.Single(dataset.Detections.Categories.ToArray())].Name);
        Assert.Equal(new RecordId(2), dataset.Images[dataset.Detections.Images[0]].Id);
    }

    [Fact]
    public void Predictions_match_coco_images_by_file_name_stem_and_classes_by_name()
    {
        string gt = Write("gt.json", """{"images": [{"id": 9, "file_name": "dir/x.jpg"}], "annotations": [], "categories": [{"id": 3, "name": "cat"}]}""");
        string predictions = Write("pred.csv", "image,class,x,y,w,h,score\nx,cat,1,2,3,4,0.5\nx.jpg,3,1,2,3,4,0.4\n9,cat,1,2,3,4,0.3\n");
        Dataset dataset = AnnotationLoader.Load(new AnnotationInput(gt), new AnnotationInput(predictions), new LoadOptions()).Builder.Build();
        Assert.Equal(3, dataset.Detections.Count);
        Assert.Equal([0.5, 0.4, 0.3], dataset.Detections.Scores.ToArray());
    }
}
