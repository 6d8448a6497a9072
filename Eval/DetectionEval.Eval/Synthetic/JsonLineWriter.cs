using System.Globalization;
using System.Text;

namespace DetectionEval.Eval.Synthetic;

/// <summary>
/// A minimal buffered UTF-8 writer for large generated JSON files: ASCII pieces, integers and doubles in
/// their shortest round-trip form (the same text <c>double.ToString()</c> gives, so a reader gets the same
/// bits). It performs no validation; the caller writes well-formed JSON.
/// </summary>
internal sealed class JsonLineWriter(Stream stream) : IDisposable
{
    private readonly Stream _stream = stream;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _used;

    /// <summary>Writes ASCII text as it is.</summary>
    public void Raw(string ascii)
    {
        if (ascii.Length > _buffer.Length)
        {
            Flush();
            _stream.Write(Encoding.ASCII.GetBytes(ascii));
            return;
        }
        Reserve(ascii.Length);
        _used += Encoding.ASCII.GetBytes(ascii, _buffer.AsSpan(_used));
    }

    /// <summary>Writes an integer.</summary>
    public void Number(long value)
    {
        Reserve(24);
        value.TryFormat(_buffer.AsSpan(_used), out int written, default, CultureInfo.InvariantCulture);
        _used += written;
    }

    /// <summary>Writes a finite double in its shortest round-trip form.</summary>
    public void Number(double value)
    {
        Reserve(32);
        value.TryFormat(_buffer.AsSpan(_used), out int written, default, CultureInfo.InvariantCulture);
        _used += written;
    }

    /// <summary>Writes out everything buffered.</summary>
    public void Flush()
    {
        _stream.Write(_buffer, 0, _used);
        _used = 0;
    }

    public void Dispose() => Flush();

    private void Reserve(int bytes)
    {
        if (_used + bytes > _buffer.Length) Flush();
    }
}
