using System.Globalization;
using System.Xml;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/// <summary>
/// An <see cref="XmlReader"/> that passes another through and refuses elements nested deeper than
/// <see cref="InputLimits.MaxXmlDepth"/>: XmlReader itself has no depth limit, and LINQ to XML walks a
/// document's text recursively, so a file of a million nested elements would overflow the stack.
/// </summary>
internal sealed class DepthLimitedXmlReader(XmlReader inner, string displayName, GuardedStream? source = null) : XmlReader, IXmlLineInfo
{
    private readonly IXmlLineInfo? _lines = inner as IXmlLineInfo;

    /// <summary>The stream the XML is read from, when it is a guarded one (it knows where a DOCTYPE is).</summary>
    public GuardedStream? Source => source;

    public override bool Read()
    {
        bool read = inner.Read();
        if (read && inner.NodeType == XmlNodeType.Element && inner.Depth >= InputLimits.MaxXmlDepth)
        {
            throw new AnnotationFormatException(
                new SourceLocation(displayName, LineNumber > 0 ? LineNumber : null, LinePosition > 0 ? LinePosition : null),
                $"XML elements nested at most {InputLimits.MaxXmlDepth.ToString(CultureInfo.InvariantCulture)} deep",
                $"<{inner.LocalName}> at depth {(inner.Depth + 1).ToString(CultureInfo.InvariantCulture)}");
        }
        return read;
    }

    public override int AttributeCount => inner.AttributeCount;

    public override string BaseURI => inner.BaseURI;

    public override int Depth => inner.Depth;

    public override bool EOF => inner.EOF;

    public override bool IsEmptyElement => inner.IsEmptyElement;

    public override string LocalName => inner.LocalName;

    public override string Name => inner.Name;

    public override string NamespaceURI => inner.NamespaceURI;

    public override XmlNameTable NameTable => inner.NameTable;

    public override XmlNodeType NodeType => inner.NodeType;

    public override string Prefix => inner.Prefix;

    public override ReadState ReadState => inner.ReadState;

    public override string Value => inner.Value;

    public override bool HasValue => inner.HasValue;

    public override bool IsDefault => inner.IsDefault;

    public override XmlReaderSettings? Settings => inner.Settings;

    public override string GetAttribute(int i) => inner.GetAttribute(i);

    public override string? GetAttribute(string name) => inner.GetAttribute(name);

    public override string? GetAttribute(string name, string? namespaceURI) => inner.GetAttribute(name, namespaceURI);

    public override string? LookupNamespace(string prefix) => inner.LookupNamespace(prefix);

    public override bool MoveToAttribute(string name) => inner.MoveToAttribute(name);

    public override bool MoveToAttribute(string name, string? ns) => inner.MoveToAttribute(name, ns);

    public override void MoveToAttribute(int i) => inner.MoveToAttribute(i);

    public override bool MoveToElement() => inner.MoveToElement();

    public override bool MoveToFirstAttribute() => inner.MoveToFirstAttribute();

    public override bool MoveToNextAttribute() => inner.MoveToNextAttribute();

    public override bool ReadAttributeValue() => inner.ReadAttributeValue();

    public override void ResolveEntity() => inner.ResolveEntity();

    public bool HasLineInfo() => _lines?.HasLineInfo() ?? false;

    public int LineNumber => _lines?.LineNumber ?? 0;

    public int LinePosition => _lines?.LinePosition ?? 0;

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
