using ILGPU.Runtime.Cuda;

namespace DetectionEval.Matching.Gpu;

/// <summary>
/// IEEE float64 arithmetic that a GPU compiler may not rearrange. The PTX assembler contracts a plain
/// multiply followed by an add into one fused multiply-add, which rounds once instead of twice and so can
/// move an IoU across a threshold. An instruction with an explicit rounding mode (<c>mul.rn.f64</c>,
/// <c>add.rn.f64</c>, ...) is never contracted, so each helper emits one on CUDA and is the plain C#
/// operator elsewhere (the CPU accelerator runs .NET code, which never fuses).
/// </summary>
internal static class ExactMath
{
    /// <summary><c>a * b</c>, rounded once to nearest.</summary>
    public static double Mul(double a, double b)
    {
        if (!CudaAsm.IsSupported) return a * b;
        CudaAsm.Emit("mul.rn.f64 %0, %1, %2;", out double r, a, b);
        return r;
    }

    /// <summary><c>a + b</c>, rounded once to nearest.</summary>
    public static double Add(double a, double b)
    {
        if (!CudaAsm.IsSupported) return a + b;
        CudaAsm.Emit("add.rn.f64 %0, %1, %2;", out double r, a, b);
        return r;
    }

    /// <summary><c>a - b</c>, rounded once to nearest.</summary>
    public static double Sub(double a, double b)
    {
        if (!CudaAsm.IsSupported) return a - b;
        CudaAsm.Emit("sub.rn.f64 %0, %1, %2;", out double r, a, b);
        return r;
    }

    /// <summary><c>a / b</c>, IEEE division rounded to nearest.</summary>
    public static double Div(double a, double b)
    {
        if (!CudaAsm.IsSupported) return a / b;
        CudaAsm.Emit("div.rn.f64 %0, %1, %2;", out double r, a, b);
        return r;
    }

    /// <summary>The smaller of two finite values (no NaN reaches the kernels: boxes are finite).</summary>
    public static double Min(double a, double b) => a < b ? a : b;

    /// <summary>The larger of two finite values.</summary>
    public static double Max(double a, double b) => a > b ? a : b;
}
