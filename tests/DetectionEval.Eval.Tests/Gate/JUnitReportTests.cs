using System.Xml.Linq;
using System.Xml.Schema;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Eval.Tests.Gate;

/// <summary>The JUnit file has the shape CI systems parse, and its counts agree with its test cases.</summary>
public sealed class JUnitReportTests
{
    private static GateVerdict FailingVerdict()
    {
        EvaluationReport current = GateFixture.Report("cur.json", GateFixture.WithoutClass(18));
        var rules = new GateRules([new MetricFloor(GateMetric.Ap, 0.3)], [new DropLimit(GateMetric.Ap, 0.005)], [new DropLimit(null, 0.02)]);
        return RegressionGate.Check(GateFixture.Baseline.Value, current, rules, MetricSet.All);
    }

    private static XDocument Write(GateVerdict verdict)
    {
        using var stream = new MemoryStream();
        JUnitReport.Write(stream, verdict);
        stream.Position = 0;
        return XDocument.Load(stream);
    }

    private static List<string> Validate(XDocument xml)
    {
        var schemas = new XmlSchemaSet();
        schemas.Add(null, Path.Combine(ReferenceData.RepositoryRoot, "tests", "data", "junit", "junit.xsd"));
        var errors = new List<string>();
        xml.Validate(schemas, (_, e) => errors.Add(e.Message));
        return errors;
    }

    [Fact]
    public void The_file_is_valid_against_the_schema_ci_consumers_accept()
    {
        Assert.Empty(Validate(Write(FailingVerdict())));
    }

    [Fact]
    public void The_schema_rejects_what_consumers_reject()
    {
        XDocument xml = Write(FailingVerdict());
        xml.Root!.Element("testsuite")!.Attribute("tests")!.Remove();
        xml.Descendants("failure").First().Attribute("message")!.Remove();
        xml.Descendants("testcase").First().Add(new XElement("failure", new XAttribute("message", "two outcomes")), new XElement("skipped"));
        Assert.Equal(3, Validate(xml).Count);
    }

    [Fact]
    public void One_test_case_per_checked_metric_and_class_with_counts_that_agree()
    {
        XDocument xml = Write(FailingVerdict());
        XElement root = xml.Root!;
        Assert.Equal("testsuites", root.Name.LocalName);
        XElement[] suites = [.. root.Elements("testsuite")];
        Assert.Equal(["deval gate: summary metrics", "deval gate: AP per class", "deval gate: apAll per class"], suites.Select(s => (string)s.Attribute("name")!));
        Assert.Equal(2 + 80 + 80, root.Descendants("testcase").Count());
        foreach (XElement element in suites.Prepend(root))
        {
            XElement[] cases = [.. element.Descendants("testcase")];
            Assert.Equal(cases.Length, (int)element.Attribute("tests")!);
            Assert.Equal(cases.Count(c => c.Element("failure") is not null), (int)element.Attribute("failures")!);
            Assert.Equal(cases.Count(c => c.Element("skipped") is not null), (int)element.Attribute("skipped")!);
        }
    }

    [Fact]
    public void A_failure_message_names_metric_baseline_current_and_allowance()
    {
        XElement failure = Write(FailingVerdict()).Descendants("failure")
            .Single(f => ((string)f.Parent!.Attribute("name")!).StartsWith("AP of class 18", StringComparison.Ordinal));
        Assert.Equal("AP of class 18 \"dog\" drop <= 0.0200", (string)failure.Parent!.Attribute("name")!);
        Assert.Equal("AP of class 18 \"dog\": baseline 0.6337, current 0.0000, drop 0.6337 > allowed 0.0200", (string)failure.Attribute("message")!);
        Assert.Equal("regression", (string)failure.Attribute("type")!);
        Assert.Contains("allowed: 0.0200", failure.Value);
    }

    [Fact]
    public void A_passing_gate_has_no_failures()
    {
        var rules = new GateRules([], [new DropLimit(GateMetric.Ap, 0)], []);
        XDocument xml = Write(RegressionGate.Check(GateFixture.Baseline.Value, GateFixture.Baseline.Value, rules, MetricSet.Coco));
        Assert.Equal(0, (int)xml.Root!.Attribute("failures")!);
        Assert.Single(xml.Descendants("testcase"));
    }
}
