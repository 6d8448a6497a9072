using DetectionEval.Eval.Formats;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Tests;

public sealed class ImageFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("deval-images-").FullName;
    private readonly string _images;
    private readonly string _outside;
    private static readonly SourceLocation Where = new("gt.json", Path: "$.images[0].file_name");

    public ImageFilesTests()
    {
        _images = Directory.CreateDirectory(Path.Combine(_root, "images")).FullName;
        Directory.CreateDirectory(Path.Combine(_images, "sub"));
        File.WriteAllBytes(Path.Combine(_images, "a.jpg"), [1]);
        File.WriteAllBytes(Path.Combine(_images, "sub", "b.png"), [2]);
        _outside = Path.Combine(_root, "secret.jpg");
        File.WriteAllBytes(_outside, [3]);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_relative_name_is_found_inside_the_folder()
    {
        var files = new ImageFiles(_images);

        Assert.Equal(Path.Combine(_images, "a.jpg"), files.Find("a.jpg", Where));
        Assert.Equal(Path.Combine(_images, "sub", "b.png"), files.Find("sub/b.png", Where));
    }

    [Fact]
    public void A_name_without_extension_is_tried_with_the_usual_image_extensions()
    {
        Assert.Equal(Path.Combine(_images, "a.jpg"), new ImageFiles(_images).Find("a", Where));
    }

    [Fact]
    public void A_missing_file_is_not_an_error()
    {
        Assert.Null(new ImageFiles(_images).Find("missing.jpg", Where));
    }

    [Theory]
    [InlineData("../secret.jpg")]
    [InlineData("sub/../../secret.jpg")]
    [InlineData("..\\secret.jpg")]
    [InlineData("/etc/passwd")]
    [InlineData("C:\\Windows\\win.ini")]
    [InlineData("")]
    public void Names_that_are_absolute_or_climb_out_are_input_errors(string name)
    {
        var error = Assert.Throws<AnnotationFormatException>(() => new ImageFiles(_images).Find(name, Where));

        Assert.StartsWith("gt.json: $.images[0].file_name: Expected ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_symbolic_link_that_leads_out_of_the_folder_is_refused()
    {
        File.CreateSymbolicLink(Path.Combine(_images, "link.jpg"), _outside);
        Directory.CreateSymbolicLink(Path.Combine(_images, "up"), _root);
        var files = new ImageFiles(_images);

        var file = Assert.Throws<AnnotationFormatException>(() => files.Find("link.jpg", Where));
        Assert.Contains("'link.jpg'", file.Message, StringComparison.Ordinal);
        Assert.Throws<AnnotationFormatException>(() => files.Find("up/secret.jpg", Where));
    }

    [Fact]
    public void A_symbolic_link_that_stays_inside_the_folder_is_followed()
    {
        File.CreateSymbolicLink(Path.Combine(_images, "alias.jpg"), Path.Combine(_images, "sub", "b.png"));

        Assert.Equal(Path.Combine(_images, "alias.jpg"), new ImageFiles(_images).Find("alias.jpg", Where));
    }
}
