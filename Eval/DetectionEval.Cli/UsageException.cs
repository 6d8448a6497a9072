namespace DetectionEval.Cli;

/// <summary>A command-line mistake found after parsing (an unwritable output, an output that would overwrite an input).</summary>
public sealed class UsageException(string message) : Exception(message);
