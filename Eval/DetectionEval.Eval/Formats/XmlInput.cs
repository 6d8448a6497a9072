using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/// <summary>
/// Safe XML reading for the XML formats: no DTD (a DOCTYPE is refused, so no entity expansion) and no
/// external resources, elements nested at most <see cref="InputLimits.MaxXmlDepth"/> deep, no text or tag
/// longer than <see cref="InputLimits.MaxXmlTokenBytes"/>, and errors that name the file, the line and the
/// element path.
/// </summary>
internal static class XmlInput
{
    /// <summary>Reader settings that refuse DTDs and external entities.</summary>
    public static XmlReaderSettings SafeSettings { get; } = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = true,
    };

    /// <summary>Opens a file as an XML reader with <see cref="SafeSettings"/> and the limits.</summary>
    public static XmlReader Open(string path, string displayName, CancellationToken cancellation = default, IProgressSink? progress = null)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InputFiles.CannotOpen(displayName, e);
        }
        return Open(stream, displayName, cancellation, progress);
    }

    /// <summary>Reads a stream as XML with <see cref="SafeSettings"/> and the limits; the reader disposes the stream.</summary>
    /// <exception cref="AnnotationFormatException">The first bytes are not XML in any encoding (XmlReader reads them at once).</exception>
    public static XmlReader Open(Stream stream, string displayName, CancellationToken cancellation = default, IProgressSink? progress = null)
    {
        var guarded = new GuardedStream(stream, displayName, cancellation, InputLimits.MaxXmlTokenBytes, progress);
        try
        {
            return new DepthLimitedXmlReader(XmlReader.Create(guarded, SafeSettings), displayName, guarded);
        }
        catch (XmlException e)
        {
            guarded.Dispose();
            throw Malformed(displayName, e, null);
        }
    }

    /// <summary>Loads a small XML file (one VOC annotation) with line numbers.</summary>
    /// <exception cref="AnnotationFormatException">The file is not well-formed XML or has a DTD.</exception>
    public static XDocument Load(string path, string displayName, CancellationToken cancellation = default, IProgressSink? progress = null)
    {
        using XmlReader reader = Open(path, displayName, cancellation, progress);
        return Load(reader, displayName);
    }

    /// <summary>Loads a small XML document from a stream with line numbers.</summary>
    /// <exception cref="AnnotationFormatException">The stream is not well-formed XML or has a DTD.</exception>
    public static XDocument Load(Stream stream, string displayName, CancellationToken cancellation = default)
    {
        using XmlReader reader = Open(stream, displayName, cancellation);
        return Load(reader, displayName);
    }

    private static XDocument Load(XmlReader reader, string displayName)
    {
        try
        {
            return XDocument.Load(reader, System.Xml.Linq.LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            throw Malformed(displayName, e, reader as IXmlLineInfo);
        }
    }

    /// <summary>The error for XML that cannot be read: a DTD, or not well-formed.</summary>
    /// <param name="displayName">The file in messages.</param>
    /// <param name="e">The reader's exception.</param>
    /// <param name="position">The reader, whose position names the line when the exception does not (and which saw where a refused DOCTYPE is).</param>
    public static AnnotationFormatException Malformed(string displayName, XmlException e, IXmlLineInfo? position)
    {
        int line = e.LineNumber, column = e.LinePosition;
        if (line <= 0 && e.Message.Contains("DTD", StringComparison.Ordinal) && position is DepthLimitedXmlReader { Source.Doctype: var (doctypeLine, doctypeColumn) })
        {
            (line, column) = (doctypeLine, doctypeColumn);
        }
        if (line <= 0 && position is not null && position.HasLineInfo())
        {
            line = position.LineNumber;
            column = position.LinePosition;
        }
        // "Root element is missing" and the like come without a position: the line where reading stopped.
        if (line <= 0 && position is DepthLimitedXmlReader { Source: { } source }) (line, column) = (source.Line, 0);
        var where = new SourceLocation(displayName, line > 0 ? line : null, column > 0 ? column : null);
        if (e.Message.Contains("DTD", StringComparison.Ordinal))
        {
            return new AnnotationFormatException(where, "XML without a DTD (<!DOCTYPE> is refused: no entities are expanded and nothing external is read)", "a DOCTYPE", inner: e);
        }
        string reason = e.Message;
        int cut = reason.IndexOf(" Line ", StringComparison.Ordinal);
        if (cut > 0) reason = reason[..cut];
        reason = reason.TrimEnd('.', ' ');
        return new AnnotationFormatException(where, "well-formed XML", reason, inner: e);
    }

    /// <summary>The element's path from the root, <c>/annotation/object[2]/bndbox</c>, with positions among same-named siblings.</summary>
    public static string PathOf(XElement element)
    {
        var parts = new Stack<string>();
        for (XElement? e = element; e is not null; e = e.Parent)
        {
            string name = e.Name.LocalName;
            if (e.Parent is { } parent && parent.Elements(e.Name).Skip(1).Any())
            {
                int position = e.ElementsBeforeSelf(e.Name).Count() + 1;
                name += $"[{position.ToString(CultureInfo.InvariantCulture)}]";
            }
            parts.Push(name);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>Where an element is: file, line, column and path.</summary>
    public static SourceLocation At(string displayName, XElement element)
    {
        var info = (IXmlLineInfo)element;
        return new SourceLocation(displayName, info.HasLineInfo() ? info.LineNumber : null, info.HasLineInfo() ? info.LinePosition : null, PathOf(element));
    }
}
