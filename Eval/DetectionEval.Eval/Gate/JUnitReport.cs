using System.Globalization;
using System.Text;
using System.Xml;

namespace DetectionEval.Eval.Gate;

// The gate's verdict as a JUnit XML report, the one test-result format every CI system reads (GitLab's
// junit reports, Jenkins, Azure Pipelines, GitHub test-report actions).
//
// Shape: <testsuites> with one <testsuite> for the summary checks (floors and drops) and one per
// per-class metric; one <testcase> per check. A failed check has a <failure message="..."
// type="regression"> whose message names the metric (and class), the baseline, the current value and
// what is allowed; a check without a value (no ground truth) is <skipped/>. With a bootstrap, a drop passes
// unless it is significantly above the allowance (the case name says so), and a passing drop measured above
// the allowance carries its numbers in <system-out>. Counts on every suite and on
// the root agree with the test cases, as Jenkins and GitLab expect. Times are 0: a gate measures no time,
// and a report without clock readings is the same file for the same inputs.

/// <summary>Writes a gate verdict as JUnit XML.</summary>
public static class JUnitReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Writes <paramref name="verdict"/> to <paramref name="stream"/> as UTF-8 JUnit XML.</summary>
    public static void Write(Stream stream, GateVerdict verdict)
    {
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, IndentChars = "  ", NewLineChars = "\n" };
        using XmlWriter xml = XmlWriter.Create(stream, settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("testsuites");
        xml.WriteAttributeString("name", "deval gate");
        WriteCounts(xml, verdict.Checks);

        WriteSuite(xml, "deval gate: summary metrics", "deval.gate", [.. verdict.Checks.Where(c => c.Kind != GateCheckKind.ClassDrop)]);
        foreach (var group in verdict.Checks.Where(c => c.Kind == GateCheckKind.ClassDrop).GroupBy(c => (c.Key.Metric, c.Limit)))
        {
            string metric = group.Key.Metric.ClassName();
            WriteSuite(xml, $"deval gate: {metric} per class", $"deval.gate.perClass.{metric}", [.. group]);
        }

        xml.WriteEndElement();
        xml.WriteEndDocument();
        xml.Flush();
        stream.WriteByte((byte)'\n');
    }

    private static void WriteSuite(XmlWriter xml, string name, string className, IReadOnlyList<GateCheck> checks)
    {
        if (checks.Count == 0) return;
        xml.WriteStartElement("testsuite");
        xml.WriteAttributeString("name", name);
        WriteCounts(xml, checks);
        foreach (GateCheck check in checks) WriteCase(xml, className, check);
        xml.WriteEndElement();
    }

    private static void WriteCase(XmlWriter xml, string className, GateCheck check)
    {
        xml.WriteStartElement("testcase");
        xml.WriteAttributeString("classname", className);
        xml.WriteAttributeString("name", CaseName(check));
        xml.WriteAttributeString("time", "0");
        switch (check.Outcome)
        {
            case GateOutcome.Fail:
                xml.WriteStartElement("failure");
                xml.WriteAttributeString("message", check.Describe());
                xml.WriteAttributeString("type", "regression");
                xml.WriteString(Details(check));
                xml.WriteEndElement();
                break;
            case GateOutcome.NotApplicable:
                xml.WriteStartElement("skipped");
                xml.WriteAttributeString("message", "no value: no ground truth in this setting");
                xml.WriteEndElement();
                break;
        }
        // A pass whose measured drop is above the allowance says so: the case name alone would hide it.
        if (check.IsAboveAllowanceWithinNoise) xml.WriteElementString("system-out", check.Describe() + "\n" + Details(check));
        xml.WriteEndElement();
    }

    /// <summary>
    /// The test case name: the rule, e.g. <c>AP &gt;= 0.3000</c>, <c>AP drop &lt;= 0.0050</c>, or with a
    /// bootstrap <c>AP drop not significantly above 0.0050</c>.
    /// </summary>
    private static string CaseName(GateCheck check) => $"{check.Name} {check.DescribeRule()}";

    private static string Details(GateCheck check)
    {
        var text = new StringBuilder();
        text.Append(Invariant, $"metric: {check.Name}\n");
        if (check.Baseline is not null) text.Append(Invariant, $"baseline: {GateCheck.Value(check.Baseline)}\n");
        text.Append(Invariant, $"current: {GateCheck.Value(check.Current)}\n");
        if (check.Kind == GateCheckKind.Floor)
        {
            text.Append(Invariant, $"minimum: {GateCheck.Value(check.Limit)}\n");
        }
        else
        {
            text.Append(Invariant, $"drop: {check.Amount(check.Drop)}\n");
            text.Append(Invariant, $"allowed: {check.Amount(check.Limit)}\n");
        }
        if (check.Interval is { } ci)
        {
            text.Append(Invariant, $"{check.ConfidencePercent:0.##}% interval of the drop: {check.Amount(ci.Lower)} to {check.Amount(ci.Upper)}\n");
        }
        return text.ToString();
    }

    private static void WriteCounts(XmlWriter xml, IReadOnlyCollection<GateCheck> checks)
    {
        xml.WriteAttributeString("tests", checks.Count.ToString(Invariant));
        xml.WriteAttributeString("failures", checks.Count(c => c.Outcome == GateOutcome.Fail).ToString(Invariant));
        xml.WriteAttributeString("errors", "0");
        xml.WriteAttributeString("skipped", checks.Count(c => c.Outcome == GateOutcome.NotApplicable).ToString(Invariant));
        xml.WriteAttributeString("time", "0");
    }
}
