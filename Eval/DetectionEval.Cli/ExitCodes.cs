namespace DetectionEval.Cli;

/// <summary>The process exit codes, in one place; docs/troubleshooting.md lists the same table.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>A gate found a regression.</summary>
    public const int GateFailed = 1;

    /// <summary>Bad command line or bad input file; stderr has one line saying what and where.</summary>
    public const int UsageOrInputError = 2;

    /// <summary>A defect in deval itself; stderr says so.</summary>
    public const int InternalError = 3;

    /// <summary>Interrupted (Ctrl-C).</summary>
    public const int Interrupted = 130;
}
