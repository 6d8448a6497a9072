using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace DetectionEval.Cli;

/*
 * Mistyped verbs and options. System.CommandLine reads a token it does not know as an argument: after
 * --pred, which takes several files, "--thresh 0.5" becomes two more prediction files, and a mistyped
 * verb gives one "Unrecognized" line per following token. This pass runs before those errors are shown:
 * a token that looks like an option (--x, -x) but names none of the verb's options, or a first word that
 * names no verb, is the mistake, reported once with the closest known name; the errors that follow from
 * it (the option's value read as an argument, a required option that seems missing) are not shown.
 */

/// <summary>Finds mistyped verbs and options in a parse and says, in one line each, what was probably meant.</summary>
internal static class CommandLineMistakes
{
    /// <summary>One line per mistyped verb or option (without the "deval: error: " prefix); empty when there is none.</summary>
    public static IReadOnlyList<string> Find(ParseResult parse)
    {
        Command command = parse.CommandResult.Command;
        bool atRoot = command == parse.RootCommandResult.Command;
        if (atRoot && parse.Tokens.Count == 0) return [$"no command given; the commands are {Verbs(command)}."];
        var mistakes = new List<string>();
        foreach (Token token in TokensBeforeDoubleDash(parse))
        {
            if (token.Type != TokenType.Argument) continue;
            if (LooksLikeOption(token.Value))
            {
                mistakes.Add(UnknownOption(token.Value, command, atRoot));
            }
            else if (atRoot && mistakes.Count == 0)
            {
                // The root takes no arguments: its first word was meant as a verb, and the words after it
                // belong to that verb, so they are no further mistakes.
                return [UnknownVerb(token.Value, command)];
            }
        }
        return mistakes;
    }

    private static IEnumerable<Token> TokensBeforeDoubleDash(ParseResult parse) =>
        parse.Tokens.TakeWhile(token => token.Type != TokenType.DoubleDash);

    /// <summary>"--name", "--name=value" or "-x"; not "-" (stdout for --json) and not a negative number.</summary>
    internal static bool LooksLikeOption(string token)
    {
        if (token.StartsWith("--", StringComparison.Ordinal)) return token.Length > 2;
        return token.Length > 1 && token[0] == '-' && char.IsLetter(token[1])
            && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }

    private static string UnknownOption(string token, Command command, bool atRoot)
    {
        string typed = token.Split('=', ':')[0];
        string where = atRoot ? "" : $" for {command.Name}";
        string? meant = ClosestName(typed, OptionNamesOf(command));
        return meant is null ? $"unknown option '{typed}'{where}." : $"unknown option '{typed}'{where}; did you mean '{meant}'?";
    }

    private static string UnknownVerb(string word, Command root)
    {
        string? meant = ClosestName(word, root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
        return meant is null
            ? $"unknown command '{word}'; the commands are {Verbs(root)}."
            : $"unknown command '{word}'; did you mean '{meant}'?";
    }

    private static string Verbs(Command root) => string.Join(", ", root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));

    /// <summary>The long names of the options a verb takes, with the options every verb inherits (--help).</summary>
    private static IEnumerable<string> OptionNamesOf(Command command)
    {
        IEnumerable<Option> own = command.Options;
        IEnumerable<Option> inherited = command.Parents.OfType<Command>().SelectMany(parent => parent.Options.Where(o => o.Recursive));
        return own.Concat(inherited)
            .Where(o => !o.Hidden)
            .SelectMany(o => o.Aliases.Prepend(o.Name))
            .Where(name => name.StartsWith("--", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal);
    }

    /// <summary>
    /// The known name closest to <paramref name="typed"/>: the nearest by edit distance (transpositions count
    /// one) within about a third of its length, else the one with a dash-separated word that starts with
    /// what was typed (--thresh: --score-threshold); null when nothing is close.
    /// </summary>
    internal static string? ClosestName(string typed, IEnumerable<string> names)
    {
        string word = typed.TrimStart('-').ToLowerInvariant();
        if (word.Length == 0) return null;
        int allowed = Math.Max(1, word.Length / 3);
        string[] candidates = [.. names];
        string? nearest = candidates
            .Select(name => (Name: name, Distance: EditDistance(word, name.TrimStart('-'))))
            .Where(c => c.Distance <= allowed)
            .OrderBy(c => c.Distance)
            .Select(c => c.Name)
            .FirstOrDefault();
        if (nearest is not null || word.Length < 3) return nearest;
        return candidates.FirstOrDefault(name => name.TrimStart('-').Split('-').Any(part => part.StartsWith(word, StringComparison.Ordinal)));
    }

    /// <summary>The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost one.</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
