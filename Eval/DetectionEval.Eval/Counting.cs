using System.Globalization;

namespace DetectionEval.Eval;

// Counts in the text people read: the terminal output of every verb, its warnings and notices, the
// Markdown and HTML reports and the charts' labels.
//
// Rule: a count of 1,000 or more gets thousands separators ("1,911 detections"), a smaller one none
// ("839 ground-truth boxes"); the noun agrees with the count ("1 class", "0 classes", "2 boxes"). Output
// that programs read (JSON, CSV, JUnit's attributes) writes plain numbers and never goes through here.

/// <summary>Counts for human-readable text: "1 class", "80 classes", "1,911 detections".</summary>
public static class Counting
{
    /// <summary>A count with thousands separators from 1,000 on: <c>839</c>, <c>1,911</c>, <c>36,781</c>.</summary>
    public static string Number(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A count held as a double (weighted counts): as <see cref="Number(long)"/>, with up to six decimals when it is not whole.</summary>
    public static string Number(double count) => count.ToString("#,0.######", CultureInfo.InvariantCulture);

    /// <summary>A count and its noun, singular for exactly one: <c>1 class</c>, <c>2 classes</c>, <c>1,911 detections</c>.</summary>
    /// <param name="count">The count.</param>
    /// <param name="singular">The noun in the singular; for a phrase, its last word is made plural (<c>ground-truth box</c>).</param>
    public static string Of(long count, string singular) => $"{Number(count)} {(count == 1 ? singular : Plural(singular))}";

    /// <summary>
    /// The English plural of a regular noun: <c>-es</c> after s, x, z, ch and sh (<c>classes</c>, <c>boxes</c>),
    /// <c>-ies</c> for a consonant and y (<c>categories</c>), else <c>-s</c>.
    /// </summary>
    public static string Plural(string singular)
    {
        ArgumentException.ThrowIfNullOrEmpty(singular);
        if (singular.EndsWith('s') || singular.EndsWith('x') || singular.EndsWith('z')
            || singular.EndsWith("ch", StringComparison.Ordinal) || singular.EndsWith("sh", StringComparison.Ordinal))
        {
            return singular + "es";
        }
        if (singular.Length > 1 && singular[^1] == 'y' && !"aeiou".Contains(singular[^2], StringComparison.Ordinal)) return singular[..^1] + "ies";
        return singular + "s";
    }
}
