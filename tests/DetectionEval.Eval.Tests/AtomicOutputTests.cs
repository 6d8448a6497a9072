using DetectionEval.Eval.Reports;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Tests;

/// <summary>Every output goes through these two: a write that fails or is cancelled midway leaves the old file (or none), never a part.</summary>
public sealed class AtomicOutputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-atomic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static void WriteHalfThenFail(Stream stream, Exception failure)
    {
        stream.Write(new byte[1 << 20]);
        throw failure;
    }

    public static TheoryData<string> Failures() => ["io", "cancelled"];

    private static Exception Failure(string kind) => kind == "io" ? new IOException("disk full") : new OperationCanceledException();

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_file_write_that_fails_midway_leaves_no_file_and_no_temporary_one(string kind)
    {
        string target = Path.Combine(_folder, "report.json");
        Exception thrown = Assert.ThrowsAny<Exception>(() => AtomicFile.Write(target, stream => WriteHalfThenFail(stream, Failure(kind))));
        Assert.Equal(Failure(kind).GetType(), thrown.GetType());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_file_write_that_fails_midway_keeps_the_previous_file_whole(string kind)
    {
        string target = Path.Combine(_folder, "report.json");
        AtomicFile.WriteText(target, writer => writer.Write("{\"old\": true}"));
        Assert.ThrowsAny<Exception>(() => AtomicFile.Write(target, stream => WriteHalfThenFail(stream, Failure(kind))));
        Assert.Equal("{\"old\": true}", File.ReadAllText(target));
        Assert.Equal([target], Directory.EnumerateFileSystemEntries(_folder));
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_folder_write_that_fails_midway_leaves_no_folder_and_keeps_a_replaced_one(string kind)
    {
        string target = Path.Combine(_folder, "labels");
        void WriteTwoThenFail(string folder)
        {
            File.WriteAllText(Path.Combine(folder, "a.txt"), "a");
            File.WriteAllText(Path.Combine(folder, "b.txt"), "b");
            throw Failure(kind);
        }
        Assert.ThrowsAny<Exception>(() => AtomicFolder.Write(target, WriteTwoThenFail));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));

        AtomicFolder.Write(target, folder => File.WriteAllText(Path.Combine(folder, "old.txt"), "old"));
        Assert.ThrowsAny<Exception>(() => AtomicFolder.Write(target, WriteTwoThenFail, replace: true));
        Assert.Equal([Path.Combine(target, "old.txt")], Directory.EnumerateFileSystemEntries(target));
        Assert.Equal([target], Directory.EnumerateFileSystemEntries(_folder));
    }
}
