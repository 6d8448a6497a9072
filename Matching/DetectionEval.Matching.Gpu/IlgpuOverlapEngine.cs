using System.Reflection;
using System.Runtime.InteropServices;
using DetectionEval.Matching.Voc;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace DetectionEval.Matching.Gpu;

// The ILGPU engine of the candidate search: copies the boxes of many units to the device once, runs the
// kernels of IouKernels.cs, and copies back only compact results (VOC: 12 bytes per slot; COCO: 4 bytes
// per slot for the counts, then 12 bytes per candidate). Inputs and outputs as IOverlapEngine describes.
// The kernels are compiled in the background as soon as the engine opens (about half a second on CUDA),
// once per engine, so that the compilation overlaps the loading of the files.

/// <summary>Which ILGPU accelerator an engine runs on.</summary>
public enum IlgpuAcceleratorKind
{
    /// <summary>The first CUDA device.</summary>
    Cuda,

    /// <summary>ILGPU's CPU accelerator, a simulator of the GPU's thread model (slow; for tests).</summary>
    CpuSimulator,
}

/// <summary>The candidate search on an ILGPU accelerator; results equal <see cref="CpuOverlapEngine"/>'s bit for bit.</summary>
public sealed class IlgpuOverlapEngine : IOverlapEngine
{
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private Action<Index1D, ArrayView<Box>, ArrayView<int>, ArrayView<int>, ArrayView<Box>, ArrayView<int>, double, ArrayView<int>, ArrayView<double>>? _bestOverlap;
    private Action<Index1D, ArrayView<Box>, ArrayView<byte>, ArrayView<int>, ArrayView<int>, ArrayView<Box>, ArrayView<int>, double, ArrayView<int>>? _countCandidates;
    private Action<Index1D, ArrayView<Box>, ArrayView<byte>, ArrayView<int>, ArrayView<int>, ArrayView<Box>, ArrayView<int>, double, ArrayView<int>, ArrayView<int>, ArrayView<double>>? _fillCandidates;

    private readonly Task _kernelsLoaded;

    private IlgpuOverlapEngine(Context context, Accelerator accelerator)
    {
        _context = context;
        _accelerator = accelerator;
        Name = accelerator.AcceleratorType == AcceleratorType.Cuda ? $"cuda ({accelerator.Name})" : "ilgpu-cpu";
        // Compiling the kernels (ILGPU to PTX, the driver to machine code) takes about half a second on
        // CUDA; it starts now, so that it overlaps whatever the caller does next (loading the files).
        _kernelsLoaded = Task.Run(LoadKernels);
    }

    private void LoadKernels()
    {
        _accelerator.Bind();
        _bestOverlap = _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Box>, ArrayView<int>, ArrayView<int>, ArrayView<Box>, ArrayView<int>, double, ArrayView<int>, ArrayView<double>>(IouKernels.BestOverlap);
        _countCandidates = _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Box>, ArrayView<byte>, ArrayView<int>, ArrayView<int>, ArrayView<Box>, ArrayView<int>, double, ArrayView<int>>(IouKernels.CountCandidates);
        _fillCandidates = _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Box>, ArrayView<byte>, ArrayView<int>, ArrayView<int>, ArrayView<Box>, ArrayView<int>, double, ArrayView<int>, ArrayView<int>, ArrayView<double>>(IouKernels.FillCandidates);
    }

    /// <summary>Waits for the kernels and binds the device to the calling thread (CUDA contexts are per thread).</summary>
    private void Ready()
    {
        _kernelsLoaded.GetAwaiter().GetResult();
        _accelerator.Bind();
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Opens an engine on ILGPU's CPU accelerator (runs the kernels' code without a GPU, slowly).</summary>
    public static IlgpuOverlapEngine CreateCpuSimulator()
    {
        Context context = Context.Create(builder => builder.CPU().Math(MathMode.Default));
        return new IlgpuOverlapEngine(context, context.CreateCPUAccelerator(0));
    }

    /// <summary>Opens an engine on the first CUDA device.</summary>
    /// <param name="engine">The engine, when a device is usable.</param>
    /// <param name="reason">Why none is usable, otherwise.</param>
    public static bool TryCreateCuda(out IlgpuOverlapEngine? engine, out string reason)
    {
        engine = null;
        CudaLibraryResolver.Install();
        Context? context = null;
        try
        {
            context = Context.Create(builder => builder.Cuda().Math(MathMode.Default));
            if (context.GetCudaDevices().Count == 0)
            {
                reason = "no CUDA device was found (is the NVIDIA driver's libcuda installed and a GPU visible?)";
                context.Dispose();
                return false;
            }
            engine = new IlgpuOverlapEngine(context, context.CreateCudaAccelerator(0));
            reason = "";
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or InvalidOperationException or NotSupportedException or ILGPU.Runtime.Cuda.CudaException or AcceleratorException)
        {
            context?.Dispose();
            reason = $"CUDA could not be started ({e.GetType().Name}: {e.Message})";
            return false;
        }
    }

    /// <inheritdoc />
    public void FindBestOverlaps(OverlapUnits units, double pixelOffset, Span<BestOverlap> best)
    {
        int slots = units.SlotStart[^1];
        if (slots == 0) return;
        Ready();
        using DeviceUnits device = DeviceUnits.Upload(_accelerator, units);
        using MemoryBuffer1D<int, Stride1D.Dense> index = _accelerator.Allocate1D<int>(slots);
        using MemoryBuffer1D<double, Stride1D.Dense> iou = _accelerator.Allocate1D<double>(slots);
        _bestOverlap!(slots, device.GroundTruth.View, device.GroundTruthStart.View, device.GroundTruthCount.View, device.Detections.View, device.SlotUnit.View, pixelOffset, index.View, iou.View);
        _accelerator.Synchronize();
        int[] bestIndex = index.GetAsArray1D();
        double[] bestIou = iou.GetAsArray1D();
        for (int s = 0; s < slots; s++) best[s] = new BestOverlap(bestIndex[s], bestIou[s]);
    }

    /// <inheritdoc />
    public CocoCandidates FindCocoCandidates(OverlapUnits units, double minimumIou)
    {
        int slots = units.SlotStart[^1];
        if (slots == 0) return new CocoCandidates(new int[1], [], []);
        Ready();
        using DeviceUnits device = DeviceUnits.Upload(_accelerator, units);
        using MemoryBuffer1D<int, Stride1D.Dense> counts = _accelerator.Allocate1D<int>(slots);
        _countCandidates!(slots, device.GroundTruth.View, device.Crowd.View, device.GroundTruthStart.View, device.GroundTruthCount.View, device.Detections.View, device.SlotUnit.View, minimumIou, counts.View);
        _accelerator.Synchronize();

        int[] perSlot = counts.GetAsArray1D();
        int[] offsets = new int[slots + 1];
        for (int s = 0; s < slots; s++) offsets[s + 1] = checked(offsets[s] + perSlot[s]);
        int total = offsets[^1];
        if (total == 0) return new CocoCandidates(offsets, [], []);

        using MemoryBuffer1D<int, Stride1D.Dense> deviceOffsets = _accelerator.Allocate1D(offsets);
        using MemoryBuffer1D<int, Stride1D.Dense> index = _accelerator.Allocate1D<int>(total);
        using MemoryBuffer1D<double, Stride1D.Dense> iou = _accelerator.Allocate1D<double>(total);
        _fillCandidates!(slots, device.GroundTruth.View, device.Crowd.View, device.GroundTruthStart.View, device.GroundTruthCount.View, device.Detections.View, device.SlotUnit.View, minimumIou, deviceOffsets.View, index.View, iou.View);
        _accelerator.Synchronize();
        return new CocoCandidates(offsets, index.GetAsArray1D(), iou.GetAsArray1D());
    }

    /// <summary>Releases the accelerator and the context.</summary>
    public void Dispose()
    {
        // Let a kernel compilation still running finish before the accelerator goes away.
        try
        {
            _kernelsLoaded.Wait();
        }
        catch (AggregateException)
        {
            // A failed compilation was reported to the call that needed it, if any.
        }
        _accelerator.Dispose();
        _context.Dispose();
    }

    /// <summary>The units' arrays on the device; the per-slot unit index is derived here from the slot layout.</summary>
    private sealed class DeviceUnits : IDisposable
    {
        public required MemoryBuffer1D<Box, Stride1D.Dense> GroundTruth { get; init; }
        public required MemoryBuffer1D<byte, Stride1D.Dense> Crowd { get; init; }
        public required MemoryBuffer1D<int, Stride1D.Dense> GroundTruthStart { get; init; }
        public required MemoryBuffer1D<int, Stride1D.Dense> GroundTruthCount { get; init; }
        public required MemoryBuffer1D<Box, Stride1D.Dense> Detections { get; init; }
        public required MemoryBuffer1D<int, Stride1D.Dense> SlotUnit { get; init; }

        public static DeviceUnits Upload(Accelerator accelerator, OverlapUnits units)
        {
            int slots = units.SlotStart[^1];
            int[] slotUnit = new int[slots];
            for (int u = 0; u < units.UnitCount; u++) slotUnit.AsSpan(units.SlotStart[u], units.SlotStart[u + 1] - units.SlotStart[u]).Fill(u);
            return new DeviceUnits
            {
                // ILGPU cannot allocate zero elements on every backend; one unused element keeps the views valid.
                GroundTruth = Copy(accelerator, units.GroundTruth),
                Crowd = Copy(accelerator, units.GroundTruthIsCrowd),
                GroundTruthStart = Copy(accelerator, units.GroundTruthStart[..units.UnitCount]),
                GroundTruthCount = Copy(accelerator, units.GroundTruthCount[..units.UnitCount]),
                Detections = Copy(accelerator, units.Detections[..slots]),
                SlotUnit = Copy(accelerator, (ReadOnlySpan<int>)slotUnit),
            };
        }

        private static MemoryBuffer1D<T, Stride1D.Dense> Copy<T>(Accelerator accelerator, ReadOnlySpan<T> values)
            where T : unmanaged
        {
            MemoryBuffer1D<T, Stride1D.Dense> buffer = accelerator.Allocate1D<T>(Math.Max(values.Length, 1));
            if (values.Length > 0) buffer.View.SubView(0, values.Length).AsContiguous().CopyFromCPU(values);
            return buffer;
        }

        public void Dispose()
        {
            GroundTruth.Dispose();
            Crowd.Dispose();
            GroundTruthStart.Dispose();
            GroundTruthCount.Dispose();
            Detections.Dispose();
            SlotUnit.Dispose();
        }
    }
}

/// <summary>
/// ILGPU loads the CUDA driver as "cuda", which finds only an unversioned libcuda.so; containers often have
/// only libcuda.so.1, and then ILGPU silently reports no device. This resolver tries both names.
/// </summary>
internal static class CudaLibraryResolver
{
    private static int _installed;

    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        // Under WSL, ILGPU installs its own resolver (for /usr/lib/wsl/lib) and would fail if one were set.
        if (IsWsl()) return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // ILGPU or the host already set a resolver for this assembly; keep theirs.
        }
    }

    private static bool IsWsl()
    {
        try
        {
            return OperatingSystem.IsLinux() && File.ReadAllText("/proc/version").Contains("microsoft", StringComparison.OrdinalIgnoreCase);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!name.Contains("cuda", StringComparison.OrdinalIgnoreCase) || name.Contains("nvrtc", StringComparison.OrdinalIgnoreCase)) return IntPtr.Zero;
        foreach (string candidate in new[] { "libcuda.so", "libcuda.so.1", name })
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out IntPtr handle)) return handle;
        }
        return IntPtr.Zero;
    }
}
