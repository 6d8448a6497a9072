using System.Text;
using System.Xml;
using CsvHelper;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Tests;

/// <summary>
/// Absurd inputs fail with the located input error, without reading them whole: endless tokens and lines,
/// deep nesting, huge numbers, long class names and too many classes. The endless inputs are streams that
/// never end, so a loader that kept reading would never return.
/// </summary>
public sealed class InputLimitTests
{
    /// <summary>A prefix, then one byte repeated for ever; counts what was read.</summary>
    private sealed class EndlessStream(string prefix, byte repeated) : Stream
    {
        private readonly byte[] _prefix = Encoding.UTF8.GetBytes(prefix);

        public long BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            for (int i = 0; i < count; i++) buffer[offset + i] = BytesRead + i < _prefix.Length ? _prefix[BytesRead + i] : repeated;
            BytesRead += count;
            return count;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static GroundTruthSink Sink(LoadOptions? options = null) => new(new DatasetBuilder(), options ?? new LoadOptions(), []);

    private static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void An_endless_json_string_stops_at_64_mib_with_its_path()
    {
        var stream = new EndlessStream("{\"images\": [{\"id\": 1, \"file_name\": \"", (byte)'a');
        var e = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadGroundTruth(stream, "gt.json", new DatasetBuilder()));
        Assert.Equal("gt.json: $.images[0].file_name: Expected JSON values (strings, numbers, whitespace between them) of at most 64 MiB, but got one of more than 64 MiB.", e.Message);
        Assert.InRange(stream.BytesRead, 64L << 20, 65L << 20);
    }

    [Fact]
    public void An_endless_line_stops_at_1_mib_with_its_line_number()
    {
        var stream = new EndlessStream("cat 1 2 3 4\ndog ", (byte)'9');
        using LineReader reader = LineReader.FromStream(stream, "img1.txt");
        var e = Assert.Throws<AnnotationFormatException>(() => TxtFormat.ReadGroundTruthFile(reader, "img1", Sink()));
        Assert.Equal("img1.txt:2: Expected lines of at most 1 MiB, but got a longer line (1 MiB without a line break).", e.Message);
        Assert.True(stream.BytesRead <= 2 << 20, $"{stream.BytesRead} bytes read");
    }

    [Fact]
    public void An_endless_csv_record_stops_with_its_line()
    {
        var stream = new EndlessStream("image,class,x1,y1,x2,y2\nimg1,\"", (byte)'x');
        using CsvReader csv = CsvFormat.Open(stream, "gt.csv");
        var e = Assert.Throws<AnnotationFormatException>(() => CsvFormat.ReadGroundTruth(csv, "gt.csv", Sink()));
        Assert.StartsWith("gt.csv:2: Expected well-formed CSV, but got ", e.Message);
        Assert.True(stream.BytesRead <= 4 << 20, $"{stream.BytesRead} bytes read");
    }

    [Theory]
    [InlineData("<annotation><filename>", (byte)'x', "img1.xml:1: Expected XML whose text and tags are at most 16 MiB each, but got a run of more than 16 MiB without '<' or '>'.")]
    [InlineData("<annotation\n", (byte)'\n', "img1.xml:1: Expected XML tags with at most 64 KiB of spaces and line breaks in a row, but got a tag with more than 64 KiB of them.")]
    public void Endless_xml_text_or_tag_space_stops_with_its_line(string prefix, byte repeated, string message)
    {
        var stream = new EndlessStream(prefix, repeated);
        var e = Assert.Throws<AnnotationFormatException>(() => VocXmlFormat.ReadFile(stream, "img1.xml", "img1", Sink()));
        Assert.Equal(message, e.Message);
        Assert.True(stream.BytesRead <= 17 << 20, $"{stream.BytesRead} bytes read");
    }

    [Fact]
    public void Json_nested_deeper_than_64_is_a_syntax_error_with_its_line()
    {
        string deep = "{\"info\": " + new string('[', 100_000);
        var e = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadGroundTruth(Text(deep), "gt.json", new DatasetBuilder()));
        Assert.StartsWith("gt.json:1:", e.Message);
        Assert.Contains("Expected valid JSON, but got", e.Message);
        Assert.Contains("depth", e.Message);
    }

    [Fact]
    public void Xml_nested_deeper_than_64_is_refused_at_the_element_that_goes_too_deep()
    {
        string deep = "<annotations>\n" + string.Concat(Enumerable.Repeat("<a>", 100_000));
        using XmlReader xml = XmlInput.Open(Text(deep), "annotations.xml");
        var e = Assert.Throws<AnnotationFormatException>(() => CvatFormat.ReadGroundTruth(xml, "annotations.xml", Sink()));
        Assert.StartsWith("annotations.xml:2:", e.Message);
        Assert.EndsWith(": Expected XML elements nested at most 64 deep, but got <a> at depth 65.", e.Message);
    }

    [Theory]
    [InlineData("\"width\": 1e12", "$.images[0].width: Expected an image size in pixels, a whole number from 0 to 2147483647, but got the number 1e12.")]
    [InlineData("\"height\": 1e308", "$.images[0].height: Expected an image size in pixels, a whole number from 0 to 2147483647, but got the number 1e308.")]
    [InlineData("\"id\": 1e308", "$.images[0].id: Expected an integer image id, but got the number 1e308.")]
    public void Absurd_image_sizes_and_ids_are_input_errors(string property, string message)
    {
        string json = $$"""{"images": [{"id": 1, {{property}}}], "annotations": [], "categories": []}""";
        var e = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadGroundTruth(Text(json), "gt.json", new DatasetBuilder()));
        Assert.EndsWith(message, e.Message);
    }

    [Fact]
    public void Ids_of_a_trillion_are_ordinary_ids()
    {
        const string Json = """{"images": [{"id": 1000000000000}], "annotations": [{"id": 999999999999, "image_id": 1e12, "category_id": 1000000000001, "bbox": [1, 2, 3, 4]}], "categories": [{"id": 1000000000001, "name": "a"}]}""";
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Text(Json), "gt.json", builder);
        Dataset dataset = builder.Build();
        Assert.Equal(1_000_000_000_000, dataset.Images[0].Id);
        Assert.Equal(999_999_999_999, dataset.GroundTruth.AnnotationIds[0]);
    }

    [Theory]
    [InlineData("[1e308, 0, 1e308, 1]", "[1E+308, 0, 1E+308, 1]")]
    [InlineData("[0, 0, 1e200, 1e200]", "[0, 0, 1E+200, 1E+200]")]
    public void A_box_whose_edge_or_area_overflows_is_an_input_error(string bbox, string found)
    {
        string json = $$"""{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": {{bbox}}}], "categories": [{"id": 1}]}""";
        var e = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadGroundTruth(Text(json), "gt.json", new DatasetBuilder()));
        Assert.Equal($"gt.json:1:111: $.annotations[0].bbox: Expected a box whose edges, width, height and area are finite numbers (each below about 1e308), but got {found}.", e.Message);
    }

    [Fact]
    public void A_txt_box_whose_corners_overflow_names_its_line()
    {
        using LineReader reader = LineReader.FromStream(Text("cat 0 0 1 1\ncat -1e308 0 1e308 1\n"), "img1.txt");
        var e = Assert.Throws<AnnotationFormatException>(() => TxtFormat.ReadGroundTruthFile(reader, "img1", Sink()));
        Assert.StartsWith("img1.txt:2:", e.Message);
        Assert.Contains("Expected a box whose edges, width, height and area are finite numbers", e.Message);
    }

    [Fact]
    public void A_class_name_of_100000_characters_is_refused_in_a_short_message()
    {
        string name = new('x', 100_000);
        using LineReader reader = LineReader.FromStream(Text($"{name} 1 2 3 4\n"), "img1.txt");
        var e = Assert.Throws<AnnotationFormatException>(() => TxtFormat.ReadGroundTruthFile(reader, "img1", Sink()));
        Assert.Equal($"img1.txt:1:1: Expected a class name of at most 1,000 characters, but got '{new string('x', 57)}...' (100,000 characters).", e.Message);

        string json = $$"""{"images": [], "annotations": [], "categories": [{"id": 1, "name": "{{name}}"}]}""";
        e = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadGroundTruth(Text(json), "gt.json", new DatasetBuilder()));
        Assert.StartsWith("gt.json:1:", e.Message);
        Assert.Contains("$.categories[0].name: Expected a class name of at most 1,000 characters", e.Message);
    }

    [Fact]
    public void More_than_50000_classes_are_refused_at_the_first_one_too_many()
    {
        var json = new StringBuilder("{\"images\": [], \"annotations\": [], \"categories\": [");
        for (int i = 1; i <= 60_000; i++) json.Append(i == 1 ? "" : ",").Append("{\"id\": ").Append(i).Append('}');
        json.Append("]}");
        var e = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadGroundTruth(Text(json.ToString()), "gt.json", new DatasetBuilder()));
        Assert.Contains(": $.categories[50000]: Expected at most 50,000 classes, but got more.", e.Message);

        var names = new StringBuilder();
        for (int i = 0; i < 60_000; i++) names.Append('c').Append(i).Append('\n');
        using LineReader reader = LineReader.FromStream(Text(names.ToString()), "names.txt");
        e = Assert.Throws<AnnotationFormatException>(() => ClassList.Read(reader, yaml: false));
        Assert.Equal("names.txt:50001: Expected at most 50,000 classes, but got more.", e.Message);
    }

    [Fact]
    public void A_yaml_map_of_many_classes_reads_in_linear_time()
    {
        // The duplicate checks were quadratic: 50,000 classes took minutes.
        var yaml = new StringBuilder("names:\n");
        for (int i = 0; i < 50_000; i++) yaml.Append("  ").Append(i).Append(": c").Append(i).Append('\n');
        using LineReader reader = LineReader.FromStream(Text(yaml.ToString()), "data.yaml");
        Assert.Equal(50_000, ClassList.Read(reader, yaml: true).Classes.Count);
    }

    [Fact]
    public void A_lone_surrogate_escape_in_a_json_string_is_an_input_error()
    {
        const string Json = """{"images": [{"id": 1, "file_name": "a\uD800"}], "annotations": [], "categories": []}""";
        var e = Assert.Throws<AnnotationFormatException>(() => CocoJson.ReadGroundTruth(Text(Json), "gt.json", new DatasetBuilder()));
        Assert.Equal("gt.json:1:36: $.images[0].file_name: Expected a string of valid Unicode, but got an escaped half of a surrogate pair (\\uD800 to \\uDFFF) on its own.", e.Message);
    }

    [Fact]
    public void An_input_error_is_one_line_however_the_input_looks()
    {
        var e = new AnnotationFormatException(new SourceLocation("a\nb.json", 1), "a name", "'x\r\ny\tz\u2028" + new string('w', 500) + "'");
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\r', e.Message);
        Assert.StartsWith("a\\nb.json:1: Expected a name, but got 'x\\r\\ny\\tz\\u2028www", e.Message);
        Assert.EndsWith("....", e.Message);
        Assert.True(e.Message.Length < 300, e.Message);
    }
}
