using System.Globalization;

namespace DetectionEval.Plots.Tests;

/// <summary>A host application whose culture writes numbers with a decimal comma and another minus sign.</summary>
internal static class DecimalCommaHost
{
    /// <summary>Runs <paramref name="draw"/> with that culture as the current one, and restores the one before.</summary>
    public static T Run<T>(Func<T> draw)
    {
        CultureInfo before = CultureInfo.CurrentCulture;
        var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = ",";
        comma.NumberFormat.NumberGroupSeparator = ".";
        comma.NumberFormat.NegativeSign = "\u2212";
        try
        {
            CultureInfo.CurrentCulture = comma;
            return draw();
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }
}
