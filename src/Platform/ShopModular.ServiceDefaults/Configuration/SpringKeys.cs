using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace ShopModular.ServiceDefaults.Configuration;

/// <summary>
/// Spring's property names as .NET configuration keys, as Steeltoe converts them (its ConfigurationKeyConverter):
/// split on every <c>.</c> not escaped by a backslash and on <c>__</c>, and turn a list index <c>[n]</c> into a
/// segment of its own, so <c>a.b[0]</c> becomes <c>a:b:0</c>.
/// </summary>
public static partial class SpringKeys
{
    public static string ToConfigurationKey(string springKey)
    {
        var segments = new List<string>();
        var segment = new StringBuilder();
        for (var i = 0; i < springKey.Length; i++)
        {
            var character = springKey[i];
            if (character == '\\' && i + 1 < springKey.Length)
            {
                // An escaped character is part of the name: `a\.b` is the one segment `a.b`.
                segment.Append(springKey[++i]);
            }
            else if (character == '.')
            {
                segments.Add(segment.ToString());
                segment.Clear();
            }
            else if (character == '_' && i + 1 < springKey.Length && springKey[i + 1] == '_')
            {
                segments.Add(segment.ToString());
                segment.Clear();
                i++;
            }
            else
            {
                segment.Append(character);
            }
        }

        segments.Add(segment.ToString());
        return string.Join(ConfigurationPath.KeyDelimiter, segments.Select(part => ListIndex().Replace(part, ":${index}")));
    }

    [GeneratedRegex(@"\[(?<index>\d+)\]", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex ListIndex();
}
