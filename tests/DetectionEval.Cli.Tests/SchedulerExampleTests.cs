using System.Diagnostics;
using System.Runtime.InteropServices;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// The shipped scheduler examples (examples/kubernetes, examples/slurm, examples/github-actions) are valid
/// for their scheduler, and their own commands, run as the scheduler would run them (in parallel, with the
/// scheduler's environment), give the single run's report.
/// </summary>
/// <remarks>The examples are shell scripts for Linux clusters and runners; the tests run them with bash and sh.</remarks>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SchedulerExampleTests : IDisposable
{
    private static readonly string Examples = Path.Combine(ReferenceData.RepositoryRoot, "examples");
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-examples-").FullName;

    public SchedulerExampleTests()
    {
        // A `deval` on PATH, as the image and the clusters have it.
        string bin = Directory.CreateDirectory(Path.Combine(_folder, "bin")).FullName;
        string dotnet = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        File.WriteAllText(Path.Combine(bin, "deval"), $"#!/bin/sh\nexec '{dotnet}' '{typeof(DevalApp).Assembly.Location}' \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(bin, "deval"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string data = Directory.CreateDirectory(Path.Combine(_folder, "data")).FullName;
        File.Copy(ReferenceData.Case("cases/c06_ties_duplicates/gt.json"), Path.Combine(data, "gt.json"));
        File.Copy(ReferenceData.Case("cases/c06_ties_duplicates/dt.json"), Path.Combine(data, "dt.json"));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Data => Path.Combine(_folder, "data");

    [Fact]
    public void The_kubernetes_manifests_are_an_indexed_job_of_as_many_shards_as_completions_and_a_merge_job_on_one_claim()
    {
        // Strict reading refuses a field the Kubernetes models do not have, so a misspelt field fails here.
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString("apiVersion: batch/v1\nkind: Job\nspec:\n  completionMod: Indexed\n", null, true));
        var claim = Assert.IsType<V1PersistentVolumeClaim>(Assert.Single(Load("volumes.yaml")));
        var shards = Assert.IsType<V1Job>(Assert.Single(Load("shards-job.yaml")));
        var merge = Assert.IsType<V1Job>(Assert.Single(Load("merge-job.yaml")));

        Assert.Equal(("Indexed", 8, 8, "Never"), (shards.Spec.CompletionMode, shards.Spec.Completions, shards.Spec.Parallelism, shards.Spec.Template.Spec.RestartPolicy));
        V1Container worker = Assert.Single(shards.Spec.Template.Spec.Containers);
        IList<string> args = worker.Args;
        Assert.Equal("evaluate", args[0]);
        Assert.Equal(("auto", $"{shards.Spec.Completions}"), (args[args.IndexOf("--shard") + 1], args[args.IndexOf("--shards") + 1]));
        Assert.Equal("metadata.annotations['batch.kubernetes.io/job-completion-index']", Assert.Single(worker.Env, e => e.Name == "JOB_COMPLETION_INDEX").ValueFrom.FieldRef.FieldPath);
        V1Container merger = Assert.Single(merge.Spec.Template.Spec.Containers);
        Assert.StartsWith("deval merge /data/partials/shard-*.part ", Assert.Single(merger.Args), StringComparison.Ordinal);
        foreach (V1Job job in new[] { shards, merge })
        {
            Assert.Equal(claim.Metadata.Name, Assert.Single(job.Spec.Template.Spec.Volumes).PersistentVolumeClaim.ClaimName);
            Assert.Equal("deval:0.1.0", Assert.Single(job.Spec.Template.Spec.Containers).Image);
        }
    }

    [Fact]
    public async Task The_kubernetes_jobs_commands_run_as_the_indexed_pods_would_then_merge_to_the_single_run()
    {
        var shards = (V1Job)Assert.Single(Load("shards-job.yaml"));
        var merge = (V1Job)Assert.Single(Load("merge-job.yaml"));
        int completions = shards.Spec.Completions!.Value;
        string[] podArgs = [.. shards.Spec.Template.Spec.Containers[0].Args];
        var pods = Enumerable.Range(0, completions).Select(index => Run(
            "deval",
            // The kubelet expands $(JOB_COMPLETION_INDEX) from the container's environment.
            [.. podArgs.Select(a => OnVolume(a).Replace("$(JOB_COMPLETION_INDEX)", $"{index}", StringComparison.Ordinal))],
            [("JOB_COMPLETION_INDEX", $"{index}")]));
        foreach ((int exit, string output, string error) in await Task.WhenAll(pods)) Assert.Equal((0, ""), (exit, error));

        (int mergeExit, _, string mergeError) = await Run("/bin/sh", ["-c", OnVolume(merge.Spec.Template.Spec.Containers[0].Args[0])], []);
        Assert.Equal((0, ""), (mergeExit, mergeError));
        Assert.Equal(SingleRun(), File.ReadAllText(Path.Combine(Data, "report.json")));
    }

    [Fact]
    public async Task The_slurm_array_tasks_run_in_parallel_and_the_afterok_merge_gives_the_single_run()
    {
        string shardsScript = Path.Combine(Examples, "slurm", "shards.sbatch");
        Assert.Contains("#SBATCH --array=0-7\n", File.ReadAllText(shardsScript));
        (string, string)[] inputs = [("GT", Path.Combine(Data, "gt.json")), ("PRED", Path.Combine(Data, "dt.json")), ("OUT", Path.Combine(Data, "out"))];
        Directory.CreateDirectory(Path.Combine(Data, "out"));
        var tasks = Enumerable.Range(0, 8).Select(id => Run("bash", [shardsScript],
            [.. inputs, ("SLURM_ARRAY_TASK_ID", $"{id}"), ("SLURM_ARRAY_TASK_MIN", "0"), ("SLURM_ARRAY_TASK_MAX", "7"), ("SLURM_ARRAY_TASK_COUNT", "8")]));
        (int Exit, string Output, string Error)[] done = await Task.WhenAll(tasks);
        for (int id = 0; id < 8; id++) Assert.Equal((0, ""), (done[id].Exit, done[id].Error));
        Assert.StartsWith("shard 5/8: ", done[5].Output, StringComparison.Ordinal);

        (int exit, _, string error) = await Run("bash", [Path.Combine(Examples, "slurm", "merge.sbatch")], inputs);
        Assert.Equal((0, ""), (exit, error));
        Assert.Equal(SingleRun(), File.ReadAllText(Path.Combine(Data, "out", "report.json")));
    }

    [Fact]
    public async Task The_slurm_submit_script_makes_the_merge_depend_afterok_on_the_array()
    {
        // A stand-in sbatch records its arguments and answers with a job id, as `sbatch --parsable` does.
        string bin = Path.Combine(_folder, "bin");
        File.WriteAllText(Path.Combine(bin, "sbatch"), $"#!/bin/sh\necho \"$@\" >> '{Path.Combine(_folder, "sbatch.log")}'\necho '4242;cluster'\n");
        File.SetUnixFileMode(Path.Combine(bin, "sbatch"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        (int exit, _, string error) = await Run("bash", [Path.Combine(Examples, "slurm", "submit.sh"), Path.Combine(Data, "gt.json"), Path.Combine(Data, "dt.json"), Path.Combine(Data, "out")], []);
        Assert.Equal((0, ""), (exit, error));
        string[] calls = File.ReadAllLines(Path.Combine(_folder, "sbatch.log"));
        Assert.Equal(2, calls.Length);
        Assert.EndsWith("shards.sbatch", calls[0], StringComparison.Ordinal);
        Assert.StartsWith("--dependency=afterok:4242 ", calls[1], StringComparison.Ordinal);
        Assert.EndsWith("merge.sbatch", calls[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_github_actions_matrix_shards_and_merge_step_give_the_single_run()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Examples, "github-actions", "evaluate-sharded.yml"))));
        var jobs = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["jobs"];
        var shard = (YamlMappingNode)jobs["shard"];
        var merge = (YamlMappingNode)jobs["merge"];
        string[] matrix = [.. ((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)shard["strategy"])["matrix"])["shard"]).Select(n => ((YamlScalarNode)n).Value!)];
        Assert.Equal(["0", "1", "2", "3"], matrix);
        Assert.Equal("shard", ((YamlScalarNode)merge["needs"]).Value);

        string shardRun = Step(shard, "Match shard");
        string mergeRun = Step(merge, "Merge the 4 shards");
        (string, string)[] environment = [("GT", Path.Combine(Data, "gt.json")), ("PRED", Path.Combine(Data, "dt.json"))];
        // Each matrix job runs in a workspace of its own; the merge job downloads every partial into one.
        var jobsRun = matrix.Select(m => Run("bash", ["-c", $"cd '{Data}' && {shardRun.Replace("${{ matrix.shard }}", m, StringComparison.Ordinal)}"], environment));
        foreach ((int exit, _, string error) in await Task.WhenAll(jobsRun)) Assert.Equal((0, ""), (exit, error));
        (int mergeExit, _, string mergeError) = await Run("bash", ["-c", $"cd '{Data}' && {mergeRun}"], environment);
        Assert.Equal((0, ""), (mergeExit, mergeError));
        Assert.Equal(SingleRun(), File.ReadAllText(Path.Combine(Data, "report.json")));
    }

    private static string Step(YamlMappingNode job, string namePrefix)
    {
        foreach (YamlMappingNode step in ((YamlSequenceNode)job["steps"]).Cast<YamlMappingNode>())
        {
            if (step.Children.TryGetValue("name", out YamlNode? name) && ((YamlScalarNode)name).Value!.StartsWith(namePrefix, StringComparison.Ordinal))
            {
                return ((YamlScalarNode)step["run"]).Value!;
            }
        }
        throw new InvalidOperationException($"No step named {namePrefix}...");
    }

    private static List<object> Load(string manifest) =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Examples, "kubernetes", manifest)), null, true);

    private string OnVolume(string text) => text.Replace("/data", Data, StringComparison.Ordinal);

    private string SingleRun()
    {
        CommandRun single = Deval.Run("evaluate", "--gt", Path.Combine(Data, "gt.json"), "--pred", Path.Combine(Data, "dt.json"), "--json", "-");
        Assert.Equal(0, single.ExitCode);
        return single.Output;
    }

    private Task<(int Exit, string Output, string Error)> Run(string program, string[] args, (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["PATH"] = Path.Combine(_folder, "bin") + ":" + start.Environment["PATH"];
        foreach (string name in new[] { "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT" }) start.Environment.Remove(name);
        foreach ((string name, string value) in environment) start.Environment[name] = value;
        return Task.Run(async () =>
        {
            using Process process = Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output, await error);
        });
    }
}
