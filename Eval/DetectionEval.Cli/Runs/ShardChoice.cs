using System.Globalization;
using DetectionEval.Eval.Data;

namespace DetectionEval.Cli.Runs;

/// <summary>
/// Which image shard a worker of <c>deval evaluate --partial</c> matches: <c>--shard I/N</c>, or
/// <c>--shard auto</c> from the scheduler's environment (a Kubernetes Indexed Job's
/// <c>JOB_COMPLETION_INDEX</c> with <c>--shards N</c>; a Slurm array's <c>SLURM_ARRAY_TASK_ID</c>, less
/// <c>SLURM_ARRAY_TASK_MIN</c>, of <c>SLURM_ARRAY_TASK_COUNT</c>).
/// </summary>
public static class ShardChoice
{
    /// <summary>The shard the options and the environment name.</summary>
    /// <param name="shard">The value of --shard: <c>I/N</c>, <c>auto</c>, or null for the whole dataset as one shard.</param>
    /// <param name="shards">The value of --shards, or null.</param>
    /// <param name="environment">Reads an environment variable (null when unset).</param>
    /// <exception cref="UsageException">The value or the environment does not name a shard.</exception>
    public static ImageShard Resolve(string? shard, int? shards, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (shard is null)
        {
            if (shards is not null) throw new UsageException("--shards: Expected --shard auto, which reads the shard's index from the scheduler, but got no --shard.");
            return ImageShard.Whole;
        }
        if (shard == "auto") return FromEnvironment(shards, environment);
        if (shards is not null) throw new UsageException($"--shards: Expected --shard auto, but got --shard {shard}, which names its count itself.");
        string[] parts = shard.Split('/');
        if (parts.Length == 2 && TryCount(parts[0], out int index) && TryCount(parts[1], out int count) && count >= 1 && index < count)
        {
            return new ImageShard(index, count);
        }
        throw new UsageException($"--shard: Expected I/N with 0 <= I < N (e.g. 0/8), or auto, but got '{shard}'.");
    }

    private static ImageShard FromEnvironment(int? shards, Func<string, string?> environment)
    {
        if (environment("JOB_COMPLETION_INDEX") is { } completionIndex)
        {
            if (shards is not int count) throw new UsageException("--shard auto: Expected --shards N with JOB_COMPLETION_INDEX (a Kubernetes Indexed Job; N = its completions), but got no --shards.");
            int index = Variable("JOB_COMPLETION_INDEX", completionIndex);
            return Checked(index, count, $"JOB_COMPLETION_INDEX={completionIndex} with --shards {count}");
        }
        if (environment("SLURM_ARRAY_TASK_ID") is { } taskId)
        {
            int id = Variable("SLURM_ARRAY_TASK_ID", taskId);
            int min = environment("SLURM_ARRAY_TASK_MIN") is { } minText ? Variable("SLURM_ARRAY_TASK_MIN", minText) : 0;
            int count = shards ?? (environment("SLURM_ARRAY_TASK_COUNT") is { } countText
                ? Variable("SLURM_ARRAY_TASK_COUNT", countText)
                : throw new UsageException("--shard auto: Expected SLURM_ARRAY_TASK_COUNT (or --shards N) with SLURM_ARRAY_TASK_ID, but got none."));
            return Checked(id - min, count, $"SLURM_ARRAY_TASK_ID={taskId} (less SLURM_ARRAY_TASK_MIN={min}) of {count}");
        }
        throw new UsageException("--shard auto: Expected JOB_COMPLETION_INDEX (a Kubernetes Indexed Job, with --shards N) or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm array), but got neither.");
    }

    private static ImageShard Checked(int index, int count, string source)
    {
        if (count < 1 || index < 0 || index >= count) throw new UsageException($"--shard auto: Expected a shard index from 0 to {count - 1}, but got {index} from {source}.");
        return new ImageShard(index, count);
    }

    private static int Variable(string name, string value) =>
        TryCount(value, out int number) ? number : throw new UsageException($"--shard auto: Expected {name} to be a whole number, but got '{value}'.");

    private static bool TryCount(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
