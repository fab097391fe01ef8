using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace ShopModular.ConfigServer;

/// <summary>A repository file that could not be used: which file, where (when known), and why.</summary>
public sealed class ConfigFileException(string path, long? line, long? column, string problem)
    : Exception(line is null ? $"{problem} in '{path}'" : $"{problem} in '{path}', line {line}, column {column}")
{
    public string Path { get; } = path;

    public long? Line { get; } = line;
}

/// <summary>
/// Reads one repository file into its documents, each a flat map as Spring Boot makes it: nested keys joined with
/// <c>.</c>, list items as <c>key[i]</c>, an empty list or a null as <c>""</c>, and YAML scalars typed as SnakeYAML
/// (YAML 1.1) types them, so that the Environment JSON carries the same numbers and booleans as the genuine server's.
/// </summary>
public static partial class ConfigFile
{
    /// <summary>The documents of a <c>.yml</c>/<c>.yaml</c> file, empty ones left out.</summary>
    public static IReadOnlyList<JsonObject> ReadYaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var parser = new PositionTrackingParser(new Parser(reader));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException exception)
        {
            throw new ConfigFileException(path, exception.Start.Line, exception.Start.Column, Problem(Innermost(exception).Message));
        }
        catch (InvalidOperationException exception)
        {
            // YamlDotNet's scanner gives up on some broken input without a position: the last place it read fine.
            throw new ConfigFileException(path, parser.LastGood.Line, parser.LastGood.Column, "The file is not valid YAML after this point: " + exception.Message);
        }

        var documents = new List<JsonObject>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode scalar && Scalar(scalar) is null)
            {
                continue;
            }

            var flat = new JsonObject();
            if (document.RootNode is YamlMappingNode mapping)
            {
                Flatten(flat, mapping, path: null);
            }
            else
            {
                // As Spring's YamlProcessor: a document that is not a map is the value of "document".
                Flatten(flat, document.RootNode, "document");
            }

            documents.Add(flat);
        }

        return documents;
    }

    /// <summary>
    /// The documents of a <c>.properties</c> file (Java's format, read as ISO-8859-1 as Spring Boot reads it;
    /// <c>#---</c> or <c>!---</c> alone on a line starts another document); every value is a string.
    /// </summary>
    public static IReadOnlyList<JsonObject> ReadProperties(string path)
    {
        var documents = new List<JsonObject>();
        var current = new JsonObject();
        var lines = File.ReadAllLines(path, Encoding.Latin1);
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index].TrimStart(' ', '\t', '\f');
            if (line is "#---" or "!---")
            {
                AddIfAny(documents, current);
                current = [];
                continue;
            }

            if (line.Length == 0 || line[0] is '#' or '!')
            {
                continue;
            }

            // A line ending in an odd number of backslashes goes on with the next one, whose leading blanks are dropped.
            var logical = new StringBuilder(line);
            while (EndsWithContinuation(logical) && index + 1 < lines.Length)
            {
                logical.Length--;
                logical.Append(lines[++index].TrimStart(' ', '\t', '\f'));
            }

            if (EndsWithContinuation(logical))
            {
                logical.Length--;
            }

            var (key, value) = SplitProperty(logical.ToString());
            current[key] = value;
        }

        AddIfAny(documents, current);
        return documents;
    }

    private static void AddIfAny(List<JsonObject> documents, JsonObject document)
    {
        if (document.Count > 0)
        {
            documents.Add(document);
        }
    }

    private static bool EndsWithContinuation(StringBuilder line)
    {
        var backslashes = 0;
        for (var i = line.Length - 1; i >= 0 && line[i] == '\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 1;
    }

    private static (string Key, string Value) SplitProperty(string line)
    {
        var key = new StringBuilder();
        var i = 0;
        for (; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\' && i + 1 < line.Length)
            {
                i = Unescape(line, i, key);
                continue;
            }

            if (c is '=' or ':' or ' ' or '\t' or '\f')
            {
                break;
            }

            key.Append(c);
        }

        // The separator: blanks, then at most one '=' or ':', then blanks.
        while (i < line.Length && line[i] is ' ' or '\t' or '\f')
        {
            i++;
        }

        if (i < line.Length && line[i] is '=' or ':')
        {
            i++;
        }

        while (i < line.Length && line[i] is ' ' or '\t' or '\f')
        {
            i++;
        }

        var value = new StringBuilder();
        for (; i < line.Length; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length)
            {
                i = Unescape(line, i, value);
                continue;
            }

            value.Append(line[i]);
        }

        return (key.ToString(), value.ToString());
    }

    /// <summary>Appends the escape at <paramref name="at"/> (a backslash); returns the index of its last character.</summary>
    private static int Unescape(string line, int at, StringBuilder into)
    {
        var next = line[at + 1];
        switch (next)
        {
            case 't': into.Append('\t'); return at + 1;
            case 'n': into.Append('\n'); return at + 1;
            case 'r': into.Append('\r'); return at + 1;
            case 'f': into.Append('\f'); return at + 1;
            case 'u' when at + 5 < line.Length
                && int.TryParse(line.AsSpan(at + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                into.Append((char)code);
                return at + 5;
            default: into.Append(next); return at + 1;
        }
    }

    private static void Flatten(JsonObject flat, YamlNode node, string? path)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                // An empty map adds nothing, as in Spring's YamlProcessor.
                foreach (var (keyNode, value) in mapping.Children)
                {
                    var key = Key(keyNode);
                    Flatten(flat, value, path is null ? key : key.StartsWith('[') ? path + key : path + "." + key);
                }

                break;
            case YamlSequenceNode sequence when sequence.Children.Count == 0:
                flat[path!] = string.Empty;
                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    Flatten(flat, sequence.Children[i], $"{path}[{i}]");
                }

                break;
            case YamlScalarNode scalar:
                flat[path!] = Scalar(scalar) ?? string.Empty;
                break;
        }
    }

    /// <summary>A map key: as written when it is a string, else its value in brackets (SnakeYAML's <c>[1]</c>, <c>[true]</c>).</summary>
    private static string Key(YamlNode node)
    {
        if (node is not YamlScalarNode scalar)
        {
            return "[" + node + "]";
        }

        var value = Scalar(scalar);
        return value is JsonValue typed && typed.GetValueKind() is not System.Text.Json.JsonValueKind.String
            ? "[" + typed.ToJsonString() + "]"
            : scalar.Value ?? string.Empty;
    }

    /// <summary>The scalar as SnakeYAML's resolver types it (null, boolean, integer, float or string); null for a YAML null.</summary>
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is null && scalar.Style is not ScalarStyle.Plain and not ScalarStyle.Any)
        {
            return JsonValue.Create(text);
        }

        return tag switch
        {
            null when text.Length == 0 || NullPattern().IsMatch(text) => null,
            null or "tag:yaml.org,2002:bool" when BoolPattern().IsMatch(text) => JsonValue.Create(text[0] is 't' or 'T' or 'y' or 'Y' || text is "on" or "On" or "ON"),
            null or "tag:yaml.org,2002:int" when IntPattern().IsMatch(text) => Integer(text),
            null or "tag:yaml.org,2002:float" when FloatPattern().IsMatch(text) => Float(text),
            "tag:yaml.org,2002:null" => null,
            _ => JsonValue.Create(text),
        };
    }

    /// <summary>SnakeYAML's integer: underscores dropped, 0b/0x/0 prefixes, base-60 with colons; as exact JSON.</summary>
    private static JsonNode Integer(string text)
    {
        var value = text.Replace("_", string.Empty, StringComparison.Ordinal);
        var negative = value.StartsWith('-');
        if (value[0] is '-' or '+')
        {
            value = value[1..];
        }

        BigInteger number;
        if (value == "0")
        {
            number = BigInteger.Zero;
        }
        else if (value.StartsWith("0b", StringComparison.Ordinal))
        {
            number = value[2..].Aggregate(BigInteger.Zero, (sum, digit) => (sum * 2) + (digit - '0'));
        }
        else if (value.StartsWith("0x", StringComparison.Ordinal))
        {
            number = BigInteger.Parse("0" + value[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }
        else if (value.StartsWith('0'))
        {
            number = value[1..].Aggregate(BigInteger.Zero, (sum, digit) => (sum * 8) + (digit - '0'));
        }
        else if (value.Contains(':', StringComparison.Ordinal))
        {
            number = value.Split(':').Aggregate(BigInteger.Zero, (sum, part) => (sum * 60) + BigInteger.Parse(part, CultureInfo.InvariantCulture));
        }
        else
        {
            number = BigInteger.Parse(value, CultureInfo.InvariantCulture);
        }

        return JsonNode.Parse((negative ? -number : number).ToString(CultureInfo.InvariantCulture))!;
    }

    /// <summary>SnakeYAML's float, written as Java's <c>Double.toString</c> writes it (Jackson does the same); infinities and NaN as strings.</summary>
    private static JsonNode Float(string text)
    {
        var value = text.Replace("_", string.Empty, StringComparison.Ordinal);
        var sign = value.StartsWith('-') ? -1 : 1;
        var unsigned = value.TrimStart('-', '+');
        double number;
        if (unsigned is ".inf" or ".Inf" or ".INF")
        {
            return JsonValue.Create(sign > 0 ? "Infinity" : "-Infinity");
        }

        if (unsigned is ".nan" or ".NaN" or ".NAN")
        {
            return JsonValue.Create("NaN");
        }

        if (unsigned.Contains(':', StringComparison.Ordinal))
        {
            var parts = unsigned.Split(':');
            number = parts[..^1].Aggregate(0d, (sum, part) => (sum * 60) + double.Parse(part, CultureInfo.InvariantCulture));
            number = sign * ((number * 60) + double.Parse(parts[^1], CultureInfo.InvariantCulture));
        }
        else
        {
            number = sign * double.Parse(unsigned, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return double.IsFinite(number) ? JsonNode.Parse(JavaDouble(number))! : JsonValue.Create(number > 0 ? "Infinity" : "-Infinity");
    }

    /// <summary>Java's <c>Double.toString</c>: shortest digits; plain from 10^-3 to 10^7, else <c>d.dddE±n</c>; always a fraction digit.</summary>
    internal static string JavaDouble(double number)
    {
        if (number == 0)
        {
            return double.IsNegative(number) ? "-0.0" : "0.0";
        }

        // Digits and decimal exponent of the shortest round-trip form: value = 0.d1d2... * 10^exponent.
        var (digits, exponent) = Decompose(Math.Abs(number).ToString("R", CultureInfo.InvariantCulture));
        var sign = number < 0 ? "-" : string.Empty;
        var magnitude = Math.Abs(number);
        if (magnitude is >= 1e-3 and < 1e7)
        {
            string plain;
            if (exponent <= 0)
            {
                plain = "0." + new string('0', -exponent) + digits;
            }
            else if (exponent >= digits.Length)
            {
                plain = digits + new string('0', exponent - digits.Length) + ".0";
            }
            else
            {
                plain = digits[..exponent] + "." + digits[exponent..];
            }

            return sign + plain;
        }

        var fraction = digits.Length > 1 ? digits[1..] : "0";
        return $"{sign}{digits[0]}.{fraction}E{(exponent - 1).ToString(CultureInfo.InvariantCulture)}";
    }

    private static (string Digits, int Exponent) Decompose(string roundTrip)
    {
        var exponentAt = roundTrip.IndexOfAny(['E', 'e']);
        var mantissa = exponentAt < 0 ? roundTrip : roundTrip[..exponentAt];
        var power = exponentAt < 0 ? 0 : int.Parse(roundTrip[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var integerPart = point < 0 ? mantissa : mantissa[..point];
        var fractionPart = point < 0 ? string.Empty : mantissa[(point + 1)..];
        var all = (integerPart + fractionPart).TrimStart('0');
        var leadingZeros = (integerPart + fractionPart).Length - all.Length;
        var exponent = integerPart.Length - leadingZeros + power;
        return (all.TrimEnd('0') is { Length: > 0 } trimmed ? trimmed : "0", exponent);
    }

    /// <summary>The problem without YamlDotNet's own position prefix ("(Line: 3, Col: 5, Idx: 20) - (...): "), which we say our way.</summary>
    private static string Problem(string message) => PositionPrefix().Replace(message, string.Empty);

    private static Exception Innermost(Exception exception) =>
        exception.InnerException is YamlException inner ? Innermost(inner) : exception;

    [GeneratedRegex(@"^(\(Line: \d+, Col: \d+, Idx: \d+\)( - )?)+: ")]
    private static partial Regex PositionPrefix();

    /// <summary>A parser that remembers where the last event it produced began.</summary>
    private sealed class PositionTrackingParser(IParser inner) : IParser
    {
        public Mark LastGood { get; private set; } = Mark.Empty;

        public ParsingEvent Current => inner.Current!;

        public bool MoveNext()
        {
            if (inner.Current is not null)
            {
                LastGood = inner.Current.Start;
            }

            return inner.MoveNext();
        }
    }

    // SnakeYAML's resolver (YAML 1.1), as Spring Boot's loader uses it (without timestamps, which stay strings).
    [GeneratedRegex("^(?:~|null|Null|NULL)$")]
    private static partial Regex NullPattern();

    [GeneratedRegex("^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")]
    private static partial Regex BoolPattern();

    [GeneratedRegex("^(?:[-+]?0b_*[0-1]+[0-1_]*|[-+]?0_*[0-7]+[0-7_]*|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x_*[0-9a-fA-F]+[0-9a-fA-F_]*|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")]
    private static partial Regex FloatPattern();
}
