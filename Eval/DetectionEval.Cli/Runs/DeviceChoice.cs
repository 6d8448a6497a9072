using DetectionEval.Eval;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching;
#if !NATIVE_EXECUTABLE
using DetectionEval.Matching.Gpu;
#endif

namespace DetectionEval.Cli.Runs;

/// <summary>Where the IoU candidate search of the match stage runs (<c>--device</c>).</summary>
public enum ComputeDevice
{
    /// <summary>The GPU when one is usable and the work is large enough to pay for starting it; else the CPU.</summary>
    Auto,

    /// <summary>Always the CPU.</summary>
    Cpu,

    /// <summary>Always the GPU; without a usable one the run stops with a usage error.</summary>
    Gpu,
}

/// <summary>
/// Chooses the IoU engine: only the command line does. <c>gpu</c> opens the device before anything is
/// loaded, so a machine without one fails at once; <c>auto</c> looks at the work first.
/// </summary>
public static class DeviceChoice
{
    /// <summary>
    /// Pairs of (detection, ground truth) one CPU core compares per second in the match stage, roughly;
    /// with it, <c>auto</c> estimates the CPU's time for the candidate search.
    /// </summary>
    public const double CpuPairsPerSecondPerCore = 3e8;

    /// <summary>
    /// The CPU time above which <c>auto</c> starts the GPU: starting CUDA and compiling the kernels costs
    /// about half a second, copying the boxes some more, so below this the CPU finishes first.
    /// </summary>
    public static readonly TimeSpan GpuWorthwhileAbove = TimeSpan.FromSeconds(2);

    /// <summary>For <c>--device gpu</c>, the GPU engine; it fails with a usage error when none is usable. Null otherwise.</summary>
    /// <exception cref="UsageException">No usable CUDA device, or the native build, which has no GPU engine.</exception>
    public static IOverlapEngine? OpenRequested(ComputeDevice device)
    {
        if (device != ComputeDevice.Gpu) return null;
#if NATIVE_EXECUTABLE
        throw NativeParts.NoGpuEngine();
#else
        if (IlgpuOverlapEngine.TryCreateCuda(out IlgpuOverlapEngine? engine, out string reason)) return engine;
        throw new UsageException($"--device gpu: Expected a usable CUDA GPU, but got none: {reason}. Use --device cpu or auto.");
#endif
    }

    /// <summary>
    /// For <c>--device auto</c>, the GPU engine when the dataset's candidate search is estimated to take the
    /// CPU longer than <see cref="GpuWorthwhileAbove"/> and a GPU is usable; otherwise null (the CPU path).
    /// </summary>
    public static IOverlapEngine? OpenForWork(ComputeDevice device, Dataset dataset, EvaluationOptions options)
    {
        if (device != ComputeDevice.Auto) return null;
        double seconds = EstimatedPairs(dataset, options) / (CpuPairsPerSecondPerCore * (options.Threads ?? Environment.ProcessorCount));
        if (seconds <= GpuWorthwhileAbove.TotalSeconds) return null;
#if NATIVE_EXECUTABLE
        // The native build has no GPU engine: auto is the CPU.
        return null;
#else
        return IlgpuOverlapEngine.TryCreateCuda(out IlgpuOverlapEngine? engine, out _) ? engine : null;
#endif
    }

    /// <summary>(detection, ground truth) pairs of the match stage: all detections for VOC, the kept ones for COCO.</summary>
    public static double EstimatedPairs(Dataset dataset, EvaluationOptions options)
    {
        double pairs = 0;
        int maxDetections = options.MaxDetections[^1];
        foreach (EvaluationUnit unit in dataset.Units)
        {
            if (options.Metrics.HasFlag(MetricSet.Voc)) pairs += (double)unit.DetectionCount * unit.GroundTruthCount;
            if (options.Metrics.HasFlag(MetricSet.Coco)) pairs += (double)Math.Min(unit.DetectionCount, maxDetections) * unit.GroundTruthCount;
        }
        return pairs;
    }
}
