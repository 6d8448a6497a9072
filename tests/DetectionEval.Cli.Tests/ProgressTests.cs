using DetectionEval.Cli.Runs;
using DetectionEval.Eval;

namespace DetectionEval.Cli.Tests;

/// <summary>The progress line's wording and estimate (pure functions) and the display, drawn on a writer with a hand-moved clock.</summary>
public sealed class ProgressTests
{
    private const string Clear = "\r\u001b[2K";

    private static TimeSpan Seconds(double s) => TimeSpan.FromSeconds(s);

    [Fact]
    public void Loading_shows_the_bytes_read_of_the_total_the_share_and_the_time_left_at_the_stage_rate()
    {
        // 15.8 % done in 1.5 s: 1.5 s * 1,668 MB / 312 MB = 8.02 s left, shown as 9 s (rounded up).
        Assert.Equal(
            "loading 312 MB of 1.98 GB (15 %), about 9 s left",
            ProgressLine.Format("loading", ProgressUnit.Bytes, 312_000_000, 1_980_000_000, Seconds(1.5)));
    }

    [Fact]
    public void Counted_stages_show_their_count_with_thousands_separators_and_their_unit()
    {
        // 1.2 s * 2,900 / 2,100 = 1.66 s left.
        Assert.Equal(
            "matching COCO 2,100 of 5,000 image-class pairs (42 %), about 2 s left",
            ProgressLine.Format("matching COCO", ProgressUnit.ImageClassPairs, 2_100, 5_000, Seconds(1.2)));
        Assert.Equal("resampling 1 of 1,000 replicates (0 %)", ProgressLine.Format("resampling", ProgressUnit.Replicates, 1, 1_000, Seconds(0.1)));
    }

    [Theory]
    [InlineData(240, 3.0, "accumulating 240 of 5,000 detections (4 %)")]
    [InlineData(2_500, 0.9, "accumulating 2,500 of 5,000 detections (50 %)")]
    [InlineData(5_000, 9.0, "accumulating 5,000 of 5,000 detections (100 %, 9.0 s)")]
    [InlineData(5_100, 9.0, "accumulating 5,000 of 5,000 detections (100 %, 9.0 s)")]
    public void The_time_left_shows_only_after_5_percent_and_1_second_and_the_time_so_far_once_the_count_is_done(long done, double elapsed, string expected) =>
        Assert.Equal(expected, ProgressLine.Format("accumulating", ProgressUnit.Detections, done, 5_000, Seconds(elapsed)));

    [Fact]
    public void A_stage_of_unknown_size_shows_its_time_so_far()
    {
        Assert.Equal("operating points (1.2 s)", ProgressLine.Format("operating points", ProgressUnit.None, 0, 0, Seconds(1.23)));
        Assert.Equal("loading (2.0 s)", ProgressLine.Format("loading", ProgressUnit.Bytes, 500, 0, Seconds(2)));
    }

    [Fact]
    public void The_time_left_is_the_time_so_far_scaled_by_the_work_left_over_the_work_done()
    {
        Assert.Equal(Seconds(30), ProgressLine.Remaining(Seconds(10), 25, 100));
        Assert.Equal(Seconds(1), ProgressLine.Remaining(Seconds(1), 50, 100));
        Assert.Null(ProgressLine.Remaining(Seconds(10), 4, 100));
        Assert.Null(ProgressLine.Remaining(Seconds(0.99), 50, 100));
        Assert.Null(ProgressLine.Remaining(Seconds(10), 100, 100));
        Assert.Null(ProgressLine.Remaining(Seconds(10), 0, 0));
    }

    [Theory]
    [InlineData(0.2, "1 s")]
    [InlineData(8.02, "9 s")]
    [InlineData(89, "89 s")]
    [InlineData(150, "3 min")]
    [InlineData(5_369, "89 min")]
    [InlineData(5_400, "1 h 30 min")]
    public void A_time_left_reads_in_seconds_then_minutes_then_hours(double seconds, string expected) =>
        Assert.Equal(expected, ProgressLine.Duration(Seconds(seconds)));

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(999, "999 B")]
    [InlineData(1_000, "1.00 kB")]
    [InlineData(47_300_000, "47.3 MB")]
    [InlineData(312_000_000, "312 MB")]
    [InlineData(999_700_000, "1.00 GB")]
    [InlineData(1_983_140_026, "1.98 GB")]
    public void Byte_counts_read_in_decimal_units_with_three_digits(long bytes, string expected) =>
        Assert.Equal(expected, ProgressLine.Bytes(bytes));

    [Fact]
    public void The_display_draws_the_current_stage_from_what_the_loader_told_it()
    {
        var terminal = new StringWriter();
        TimeSpan now = TimeSpan.Zero;
        var progress = new Progress(terminal, () => now, "loading");

        progress.Begin(WorkStage.Loading, 2_000_000);
        now = Seconds(1.5);
        progress.Advance(500_000);
        progress.Show();

        // 1.5 s * 1.5 MB / 0.5 MB = 4.5 s left.
        Assert.Equal(Clear + "deval: loading 500 kB of 2.00 MB (25 %), about 5 s left", terminal.ToString());
        Assert.Same(progress, progress.Sink);
    }

    [Fact]
    public void Two_loads_side_by_side_make_one_stage_of_both_sizes()
    {
        var terminal = new StringWriter();
        var progress = new Progress(terminal, () => Seconds(0.5), "loading");

        progress.Begin(WorkStage.Loading, 1_000);
        progress.Advance(300);
        progress.Begin(WorkStage.Loading, 1_000);
        progress.Advance(300);
        progress.Show();

        Assert.Equal(Clear + "deval: loading 600 B of 2.00 kB (30 %)", terminal.ToString());
    }

    [Fact]
    public void Each_stage_estimates_from_its_own_start_not_the_run_start()
    {
        var terminal = new StringWriter();
        TimeSpan now = TimeSpan.Zero;
        var progress = new Progress(terminal, () => now, "loading");
        progress.Begin(WorkStage.Loading, 1_000);
        progress.Advance(1_000);
        now = Seconds(10);

        progress.Begin(WorkStage.MatchingCoco, 5_000);
        now = Seconds(11.2);
        progress.Advance(2_100);
        progress.Show();

        // 1.2 s into the stage: 1.7 s left (the run's 11.2 s would have said 16 s).
        Assert.Equal(Clear + "deval: matching COCO 2,100 of 5,000 image-class pairs (42 %), about 2 s left", terminal.ToString());
    }

    [Fact]
    public void A_stage_the_command_names_shows_its_own_time()
    {
        var terminal = new StringWriter();
        TimeSpan now = Seconds(3);
        var progress = new Progress(terminal, () => now, "loading");

        progress.Stage("operating points");
        now = Seconds(4.5);
        progress.Show();

        Assert.Equal(Clear + "deval: operating points (1.5 s)", terminal.ToString());
    }

    [Fact]
    public void A_message_during_the_run_clears_the_line_first_and_the_next_draw_comes_below_it()
    {
        var terminal = new StringWriter { NewLine = "\n" };
        var progress = new Progress(terminal, () => Seconds(2), "grouping");

        progress.Show();
        progress.Writer.WriteLine("deval: warning: something");
        progress.Writer.WriteLine("deval: another");
        progress.Show();

        Assert.Equal(
            Clear + "deval: grouping (0.0 s)" + Clear + "deval: warning: something\ndeval: another\n" + Clear + "deval: grouping (0.0 s)",
            terminal.ToString());
    }

    [Fact]
    public void Done_clears_a_line_it_drew_and_draws_nothing_after()
    {
        var terminal = new StringWriter();
        var progress = new Progress(terminal, () => TimeSpan.Zero, "loading");
        progress.Show();

        progress.Done();
        progress.Show();
        progress.Dispose();

        Assert.Equal(Clear + "deval: loading (0.0 s)" + Clear, terminal.ToString());
    }

    [Fact]
    public void A_display_that_never_drew_clears_nothing()
    {
        var terminal = new StringWriter();
        var progress = new Progress(terminal, () => TimeSpan.Zero, "loading");

        progress.Done();

        Assert.Equal("", terminal.ToString());
    }

    [Fact]
    public void A_writer_that_is_not_the_terminal_gets_no_display_no_sink_and_its_messages_unchanged()
    {
        var error = new StringWriter { NewLine = "\n" };
        using var progress = Progress.Start(error, "loading");

        Assert.Null(progress.Sink);
        Assert.Same(error, progress.Writer);
        progress.Begin(WorkStage.Loading, 10);
        progress.Advance(10);
        progress.Writer.WriteLine("deval: note");
        progress.Done();

        Assert.Equal("deval: note\n", error.ToString());
    }
}
