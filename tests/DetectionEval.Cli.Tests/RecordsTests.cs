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
        Assert.Equal("bbox", Scalar(connection, $"SELECT string_agg(DISTINCT iou_type, ',') FROM {table}"));
        Assert.Equal(
            "image_id BIGINT,image VARCHAR,category_id BIGINT,category VARCHAR,score DOUBLE,position INTEGER,coco_rank INTEGER," +
            string.Concat(Enumerable.Range(0, 10).Select(t => $"coco_iou{50 + 5 * t} VARCHAR,")) + string.Concat(Enumerable.Range(0, 10).Select(t => $"coco_gt_id{50 + 5 * t} BIGINT,")) +
            "voc VARCHAR,voc_gt_id BIGINT,voc_iou_threshold DOUBLE,iou_type VARCHAR",
            Scalar(connection, $"SELECT string_agg(column_name || ' ' || column_type, ',') FROM (DESCRIBE SELECT * FROM {table})"));
    }

    [Fact]
    public void Each_coco_threshold_names_the_ground_truth_a_detection_matched_which_overlaps_it_enough_and_is_taken_once()
    {
        string gt = ReferenceData.Case("cases/c03_crowd/gt.json"), dt = ReferenceData.Case("cases/c03_crowd/dt.json");
        string records = Path.Combine(_folder, "records.parquet");
        Assert.Equal(0, Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--records", records).ExitCode);
        using JsonDocument truth = JsonDocument.Parse(File.ReadAllText(gt)), detections = JsonDocument.Parse(File.ReadAllText(dt));
        var annotations = truth.RootElement.GetProperty("annotations").EnumerateArray().ToDictionary(a => a.GetProperty("id").GetInt64());
        JsonElement[] predicted = [.. detections.RootElement.EnumerateArray()];

        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        (int matches, int crowds) = CheckCocoMatches(connection, $"read_parquet('{records}')", annotations, (position, image, category) =>
            Assert.Equal((predicted[position].GetProperty("image_id").GetInt64(), predicted[position].GetProperty("category_id").GetInt64()), (image, category)),
            (position, t, outcome, annotation, crowd) =>
            {
                // COCO's IoU, crowd regions over the detection's area, reaches the threshold.
                Assert.True(Iou(predicted[position].GetProperty("bbox"), annotation.GetProperty("bbox"), crowd) >= 0.5 + 0.05 * t - 1e-12, $"IoU below {0.5 + 0.05 * t} for ground truth {annotation.GetProperty("id")}");
                if (outcome == "tp") Assert.False(crowd);
            });
        Assert.True(matches > 1000 && crowds > 0, $"{matches} matches, {crowds} on crowds");
    }

    [Fact]
    public void Masks_and_keypoints_add_rows_per_iou_type_whose_matches_are_ground_truth_of_the_detections_image_and_class_taken_once()
    {
        string segm = ReferenceData.Case("protocols/coco_val2014_100_segm"), keypoints = ReferenceData.Case("protocols/fce_keypoints");
        string both = Path.Combine(_folder, "both.parquet"), boxes = Path.Combine(_folder, "boxes.parquet"), people = Path.Combine(_folder, "keypoints.parquet");
        string[] inputs = ["--gt", Path.Combine(segm, "gt.json"), "--pred", Path.Combine(segm, "dt.json")];
        CommandRun run = Deval.Run(["evaluate", .. inputs, "--iou-type", "bbox,segm", "--records", both]);
        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        Assert.Equal(0, Deval.Run(["evaluate", .. inputs, "--records", boxes]).ExitCode);
        Assert.Equal(0, Deval.Run("evaluate", "--gt", Path.Combine(keypoints, "gt.json"), "--pred", Path.Combine(keypoints, "dt.json"), "--iou-type", "keypoints", "--records", people).ExitCode);

        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        string Table(string file) => $"read_parquet('{file.Replace("'", "''", StringComparison.Ordinal)}')";
        // One row per detection and iou type, each iou type's rows in input order, boxes first as asked.
        Assert.Equal("bbox 734 0 733,segm 734 0 733", Scalar(connection,
            $"SELECT string_agg(summary, ',' ORDER BY first) FROM (SELECT iou_type || ' ' || count(*) || ' ' || min(position) || ' ' || max(position) AS summary, min(file_row_number) AS first FROM read_parquet('{both.Replace("'", "''", StringComparison.Ordinal)}', file_row_number = true) GROUP BY iou_type)"));
        // The box rows are a box-only run's; VOC is a box metric, so the mask rows have none.
        Assert.Equal("0 0", Scalar(connection,
            $"SELECT (SELECT count(*) FROM (SELECT * FROM {Table(both)} WHERE iou_type = 'bbox' EXCEPT ALL SELECT * FROM {Table(boxes)})) || ' ' || (SELECT count(voc) + count(voc_gt_id) FROM {Table(both)} WHERE iou_type = 'segm')"));
        // Keypoints: one image, one class, maxDets 20: twenty ranked rows, the other 108 left out by COCO.
        Assert.Equal("128 20 keypoints", Scalar(connection, $"SELECT count(*) || ' ' || count(coco_rank) || ' ' || min(iou_type) FROM {Table(people)}"));

        using JsonDocument truth = JsonDocument.Parse(File.ReadAllText(Path.Combine(segm, "gt.json")));
        var annotations = truth.RootElement.GetProperty("annotations").EnumerateArray().ToDictionary(a => a.GetProperty("id").GetInt64());
        (int matches, _) = CheckCocoMatches(connection, $"{Table(both)} WHERE iou_type = 'segm'", annotations);
        Assert.True(matches > 1000, $"{matches} matches");
    }

    /// <summary>
    /// Reads the COCO columns of the rows <paramref name="rows"/> names and checks what every match keeps: a
    /// ground truth named exactly for <c>tp</c> and <c>ignored</c>, of the detection's image and class, and
    /// (but for crowd regions, which absorb any number) taken once per threshold. <paramref name="row"/> sees
    /// each row (position, image, class), <paramref name="match"/> each match (position, threshold, outcome,
    /// annotation, crowd). Returns the matches, and those on crowd regions.
    /// </summary>
    private static (int Matches, int Crowds) CheckCocoMatches(
        DuckDBConnection connection, string rows, Dictionary<long, JsonElement> annotations,
        Action<int, long, long>? row = null, Action<int, int, string?, JsonElement, bool>? match = null)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT image_id, category_id, position, {string.Join(", ", Enumerable.Range(0, 10).Select(t => $"coco_iou{50 + 5 * t}, coco_gt_id{50 + 5 * t}"))} FROM {rows}";
        using var reader = command.ExecuteReader();
        var taken = new HashSet<(int Threshold, long GroundTruth)>();
        int matches = 0, crowds = 0;
        while (reader.Read())
        {
            int position = reader.GetInt32(2);
            row?.Invoke(position, reader.GetInt64(0), reader.GetInt64(1));
            for (int t = 0; t < 10; t++)
            {
                string? outcome = reader.IsDBNull(3 + 2 * t) ? null : reader.GetString(3 + 2 * t);
                long? id = reader.IsDBNull(4 + 2 * t) ? null : reader.GetInt64(4 + 2 * t);
                // A false positive (or a detection beyond maxDets) matched nothing; a true positive or an ignored one names what it matched.
                Assert.Equal(outcome is "tp" or "ignored", id is not null);
                if (id is not long matched) continue;
                JsonElement annotation = annotations[matched];
                bool crowd = annotation.GetProperty("iscrowd").GetInt32() == 1;
                Assert.Equal((reader.GetInt64(0), reader.GetInt64(1)), (annotation.GetProperty("image_id").GetInt64(), annotation.GetProperty("category_id").GetInt64()));
                match?.Invoke(position, t, outcome, annotation, crowd);
                if (crowd) crowds++;
                else Assert.True(taken.Add((t, matched)), $"ground truth {matched} taken twice at threshold {t}");
                matches++;
            }
        }
        return (matches, crowds);
    }

    private static double Iou(JsonElement detection, JsonElement groundTruth, bool crowd)
    {
        double[] d = [.. detection.EnumerateArray().Select(v => v.GetDouble())], g = [.. groundTruth.EnumerateArray().Select(v => v.GetDouble())];
        double w = Math.Min(d[0] + d[2], g[0] + g[2]) - Math.Max(d[0], g[0]), h = Math.Min(d[1] + d[3], g[1] + g[3]) - Math.Max(d[1], g[1]);
        double intersection = w <= 0 || h <= 0 ? 0 : w * h;
        return intersection / (crowd ? d[2] * d[3] : d[2] * d[3] + g[2] * g[3] - intersection);
    }

    private static string Scalar(DuckDBConnection connection, string sql)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }
}
