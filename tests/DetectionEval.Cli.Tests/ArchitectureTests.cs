using System.Reflection;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Matching;
using DetectionEval.Plots;
using NetArchTest.Rules;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// The layers of docs/architecture.md, checked: dependencies point one way (Cli to Eval to Matching; Plots
/// draws plain data), and inside Eval the folders (namespaces) form no cycle and keep the rules below. A
/// forbidden dependency added anywhere fails here, naming the types.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Matching = typeof(Box).Assembly;
    private static readonly Assembly Eval = typeof(EvaluationPipeline).Assembly;
    private static readonly Assembly Plots = typeof(ChartModel).Assembly;
    private static readonly Assembly Cli = typeof(DevalApp).Assembly;

    private const string EvalRoot = "DetectionEval.Eval";

    [Fact]
    public void Matching_knows_no_eval_plots_or_command_line()
    {
        AssertReferencesNone(Matching, "DetectionEval.Eval", "DetectionEval.Plots", "deval", "DetectionEval.Matching.Gpu");
    }

    [Fact]
    public void Plots_knows_no_eval_and_no_command_line()
    {
        AssertReferencesNone(Plots, "DetectionEval.Eval", "deval", "DetectionEval.Matching.Gpu");
    }

    [Fact]
    public void Eval_knows_no_command_line_no_plots_and_no_gpu_engine()
    {
        AssertReferencesNone(Eval, "deval", "DetectionEval.Plots", "DetectionEval.Matching.Gpu");
    }

    [Theory]
    [InlineData("Formats", "Reports")]
    [InlineData("Formats", "Gate")]
    [InlineData("Formats", "Analysis")]
    [InlineData("Formats", "Metrics")]
    [InlineData("Formats", "Matches")]
    [InlineData("Formats", "Pipeline")]
    [InlineData("IO", "Formats")]
    [InlineData("IO", "Data")]
    [InlineData("IO", "Reports")]
    [InlineData("Data", "Formats")]
    [InlineData("Data", "Metrics")]
    [InlineData("Data", "Pipeline")]
    [InlineData("Matches", "Formats")]
    [InlineData("Matches", "Metrics")]
    [InlineData("Matches", "Analysis")]
    [InlineData("Matches", "Reports")]
    [InlineData("Metrics", "Formats")]
    [InlineData("Metrics", "Reports")]
    [InlineData("Metrics", "Gate")]
    [InlineData("Metrics", "Pipeline")]
    [InlineData("Analysis", "Formats")]
    [InlineData("Analysis", "Reports")]
    [InlineData("Analysis", "Pipeline")]
    [InlineData("Reports", "Formats")]
    [InlineData("Reports", "Gate")]
    [InlineData("Gate", "Formats")]
    [InlineData("Pipeline", "Reports")]
    [InlineData("Pipeline", "Gate")]
    public void An_eval_folder_does_not_depend_on_a_later_one(string folder, string forbidden)
    {
        TestResult result = Types.InAssembly(Eval).That().ResideInNamespace($"{EvalRoot}.{folder}")
            .ShouldNot().HaveDependencyOn($"{EvalRoot}.{forbidden}")
            .GetResult();
        Assert.True(result.IsSuccessful, $"{folder}/ depends on {forbidden}/ through: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void The_eval_folders_depend_on_each_other_without_a_cycle()
    {
        string[] folders = [.. Eval.GetTypes()
            .Select(t => t.Namespace)
            .OfType<string>()
            .Where(n => n.StartsWith(EvalRoot + ".", StringComparison.Ordinal))
            .Select(n => n[(EvalRoot.Length + 1)..].Split('.')[0])
            .Distinct()
            .Order(StringComparer.Ordinal)];
        Assert.Contains("Pipeline", folders);
        Assert.Contains("Formats", folders);
        var edges = new Dictionary<string, List<string>>();
        foreach (string from in folders)
        {
            edges[from] = [];
            foreach (string to in folders.Where(f => f != from))
            {
                bool depends = !Types.InAssembly(Eval).That().ResideInNamespace($"{EvalRoot}.{from}")
                    .ShouldNot().HaveDependencyOn($"{EvalRoot}.{to}").GetResult().IsSuccessful;
                if (depends) edges[from].Add(to);
            }
        }
        // Depth-first search; a folder met again on the current path closes a cycle.
        var state = folders.ToDictionary(f => f, _ => 0);
        var path = new Stack<string>();
        foreach (string start in folders) Visit(start);

        void Visit(string folder)
        {
            if (state[folder] == 2) return;
            path.Push(folder);
            Assert.True(state[folder] != 1, $"The Eval folders depend on each other in a cycle: {string.Join(" -> ", path.Reverse())}");
            state[folder] = 1;
            foreach (string next in edges[folder]) Visit(next);
            state[folder] = 2;
            path.Pop();
        }
    }

    [Fact]
    public void Only_the_pipeline_runs_the_match_and_accumulation_stages()
    {
        // The stages are internal to Eval: the command line cannot call a matcher or an accumulator.
        string[] stages = ["CocoMatchStage", "VocMatchStage", "TideMatchStage", "CocoAccumulation", "VocAccumulation", "ShardedEvaluation"];
        foreach (string stage in stages)
        {
            Type? type = Eval.GetTypes().SingleOrDefault(t => t.Name == stage);
            Assert.True(type is { IsPublic: false }, $"{stage} should be an internal stage of the pipeline");
        }
        TestResult cli = Types.InAssembly(Cli).ShouldNot().HaveDependencyOnAny(
            "DetectionEval.Matching.Coco.CocoMatcher", "DetectionEval.Matching.Voc.VocMatcher", "DetectionEval.Matching.Tide.TideMatcher").GetResult();
        Assert.True(cli.IsSuccessful, $"The command line matches by itself in: {string.Join(", ", cli.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void Nothing_public_in_eval_exposes_a_positional_multidimensional_table()
    {
        // pycocotools' P[t][r][k][a][m] is kept inside; results are typed (CocoSummary, CocoClassResult, curves).
        var offenders = Eval.GetExportedTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => m.GetParameters().Length >= 4 && m.GetParameters().All(p => p.ParameterType == typeof(int)))
                .Select(m => $"{t.Name}.{m.Name}"))
            .ToArray();
        Assert.Empty(offenders);
    }

    private static void AssertReferencesNone(Assembly assembly, params string[] forbidden)
    {
        string[] referenced = [.. assembly.GetReferencedAssemblies().Select(a => a.Name!)];
        Assert.NotEmpty(referenced);
        Assert.All(forbidden, name => Assert.DoesNotContain(name, referenced));
    }
}
