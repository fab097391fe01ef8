using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ShopModular.ConfigServer;

/// <summary>
/// Whether a document applies to the request's profiles, as Spring Boot decides: <c>spring.config.activate.on-profile</c>
/// holds one or more profile expressions (a comma list or a YAML list), any of which may match; an expression is a
/// profile name combined with <c>!</c>, <c>&amp;</c>, <c>|</c> and parentheses. A document bound to a cloud platform
/// (<c>spring.config.activate.on-cloud-platform</c>) never applies here, as on a server that runs on none.
/// </summary>
public static partial class ProfileActivation
{
    private const string OnProfile = "spring.config.activate.on-profile";

    public static bool IsActive(JsonObject document, IReadOnlyCollection<string> profiles)
    {
        if (document.ContainsKey("spring.config.activate.on-cloud-platform"))
        {
            return false;
        }

        var expressions = new List<string>();
        if (document[OnProfile] is { } single)
        {
            expressions.AddRange(Text(single).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        for (var i = 0; document[$"{OnProfile}[{i}]"] is { } item; i++)
        {
            expressions.Add(Text(item).Trim());
        }

        return expressions.Count == 0 || expressions.Any(expression => Matches(expression, profiles));
    }

    private static string Text(JsonNode node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : node.ToJsonString();

    private static bool Matches(string expression, IReadOnlyCollection<string> profiles)
    {
        var tokens = Token().Matches(expression).Select(match => match.Value).ToList();
        var position = 0;
        var result = Or(tokens, ref position, profiles);
        return position == tokens.Count && result;
    }

    private static bool Or(List<string> tokens, ref int position, IReadOnlyCollection<string> profiles)
    {
        var result = And(tokens, ref position, profiles);
        while (position < tokens.Count && tokens[position] == "|")
        {
            position++;
            result |= And(tokens, ref position, profiles);
        }

        return result;
    }

    private static bool And(List<string> tokens, ref int position, IReadOnlyCollection<string> profiles)
    {
        var result = Unary(tokens, ref position, profiles);
        while (position < tokens.Count && tokens[position] == "&")
        {
            position++;
            result &= Unary(tokens, ref position, profiles);
        }

        return result;
    }

    private static bool Unary(List<string> tokens, ref int position, IReadOnlyCollection<string> profiles)
    {
        if (position >= tokens.Count)
        {
            return false;
        }

        var token = tokens[position++];
        switch (token)
        {
            case "!":
                return !Unary(tokens, ref position, profiles);
            case "(":
                var inner = Or(tokens, ref position, profiles);
                if (position < tokens.Count && tokens[position] == ")")
                {
                    position++;
                }

                return inner;
            default:
                return profiles.Contains(token);
        }
    }

    [GeneratedRegex(@"[()&|!]|[^()&|!\s]+")]
    private static partial Regex Token();
}
