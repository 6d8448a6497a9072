using BenchmarkDotNet.Running;

// Micro-benchmarks; the whole-process figures come from run-whole-process.sh (docs/benchmarks.md).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point holder.</summary>
public partial class Program;
