namespace DetectionEval.Eval.Tests;

/// <summary>Counts in human-readable text: separators from 1,000 on, and nouns that agree with the count.</summary>
public sealed class CountingTests
{
    [Theory]
    [InlineData(0, "0")]
    [InlineData(999, "999")]
    [InlineData(1000, "1,000")]
    [InlineData(1911, "1,911")]
    [InlineData(36781, "36,781")]
    [InlineData(21000000, "21,000,000")]
    public void Counts_get_thousands_separators_from_1000_on(long count, string text)
    {
        Assert.Equal(text, Counting.Number(count));
    }

    [Theory]
    [InlineData(1, "class", "1 class")]
    [InlineData(0, "class", "0 classes")]
    [InlineData(80, "class", "80 classes")]
    [InlineData(1, "image", "1 image")]
    [InlineData(100, "image", "100 images")]
    [InlineData(839, "ground-truth box", "839 ground-truth boxes")]
    [InlineData(1, "ground-truth box", "1 ground-truth box")]
    [InlineData(1911, "detection", "1,911 detections")]
    [InlineData(2, "check", "2 checks")]
    [InlineData(3, "category", "3 categories")]
    [InlineData(2, "replicate", "2 replicates")]
    [InlineData(4, "key", "4 keys")]
    [InlineData(2, "match", "2 matches")]
    public void The_noun_agrees_with_the_count(long count, string singular, string text)
    {
        Assert.Equal(text, Counting.Of(count, singular));
    }

    [Fact]
    public void A_weighted_count_is_whole_when_it_is_whole()
    {
        Assert.Equal("648", Counting.Number(648.0));
        Assert.Equal("2,645", Counting.Number(2645.0));
        Assert.Equal("1.5", Counting.Number(1.5));
    }
}
