using System.Globalization;
using System.Text.Json;
using DuckDB.NET.Data;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// <c>deval evaluate --records FILE.parquet</c> writes one row per detection that another reader (DuckDB)
/// reads back, and whose outcomes add up to the report's own counts.
/// </summary>
public sealed class RecordsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-records-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void DuckDB_reads_one_row_per_detection_whose_outcomes_add_up_to_the_report()
    {
        string gt = ReferenceData.Case("cases/c06_ties_duplicates/gt.json"), dt = ReferenceData.Case("cases/c06_ties_duplicates/dt.json");
        string records = Path.Combine(_folder, "records.parquet"), json = Path.Combine(_folder, "report.json");
        CommandRun run = Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--records", records, "--json", json);
        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement perClass = report.RootElement.GetProperty("voc").GetProperty("perClass");

        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        string table = $"read_parquet('{records.Replace("'", "''", StringComparison.Ordinal)}')";
        Assert.Equal("779", Scalar(connection, $"SELECT count(*) FROM {table}"));
        // Input order, every position once.
        Assert.Equal("0 778 779", Scalar(connection, $"SELECT min(position) || ' ' || max(position) || ' ' || count(DISTINCT position) FROM {table}"));
        // The VOC true and false positives per class are the report's.
        foreach (JsonElement c in perClass.EnumerateArray())
        {
            long id = c.GetProperty("id").GetInt64();
            string counts = Scalar(connection, $"SELECT count(*) FILTER (WHERE voc = 'tp') || ' ' || count(*) FILTER (WHERE voc = 'fp') FROM {table} WHERE category_id = {id}");
            Assert.Equal($"{c.GetProperty("tp").GetInt32()} {c.GetProperty("fp").GetInt32()}", counts);
        }
        // A VOC true positive names the ground truth it took; COCO's loosest threshold matches at least as often as its strictest.
        Assert.Equal("0", Scalar(connection, $"SELECT count(*) FROM {table} WHERE voc = 'tp' AND voc_gt_id IS NULL"));
        Assert.Equal("true", Scalar(connection, $"SELECT (count(*) FILTER (WHERE coco_iou50 = 'tp') >= count(*) FILTER (WHERE coco_iou95 = 'tp'))::VARCHAR FROM {table}"));
        Assert.Equal("cat", Scalar(connection, $"SELECT category FROM {table} WHERE category_id = 17 LIMIT 1"));
        Assert.Equal(
            "image_id BIGINT,image VARCHAR,category_id BIGINT,category VARCHAR,score DOUBLE,position INTEGER,coco_rank INTEGER," +
            string.Concat(Enumerable.Range(0, 10).Select(t => $"coco_iou{50 + 5 * t} VARCHAR,")) + "voc VARCHAR,voc_gt_id BIGINT,voc_iou_threshold DOUBLE",
            Scalar(connection, $"SELECT string_agg(column_name || ' ' || column_type, ',') FROM (DESCRIBE SELECT * FROM {table})"));
    }

    private static string Scalar(DuckDBConnection connection, string sql)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }
}
