using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace ShopModular.Platform.Http;

/// <summary>
/// RFC 7240's <c>Prefer: wait=N</c>: the client would rather wait up to N seconds for a final answer than get an
/// interim one at once. A preference is a hint, never an error: a value that is not a whole number of seconds above
/// zero means no preference, and more than the server's cap means the cap.
/// </summary>
public static class PreferredWait
{
    public const string PreferHeader = "Prefer";
    public const string PreferenceAppliedHeader = "Preference-Applied";

    private const string Token = "wait";

    /// <summary>How long the request prefers to wait, at most <paramref name="cap"/>; null when it states no usable wait.</summary>
    public static TimeSpan? Of(HttpRequest request, TimeSpan cap)
    {
        foreach (var header in request.Headers[PreferHeader])
        {
            foreach (var preference in (header ?? string.Empty).Split(','))
            {
                // A preference may carry parameters after ';' (RFC 7240 section 2); wait has none of its own.
                var nameAndValue = preference.Split(';', 2)[0].Split('=', 2);
                if (!nameAndValue[0].Trim().Equals(Token, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                // Only the first instance of a preference counts (RFC 7240 section 2).
                return nameAndValue.Length == 2 ? Seconds(nameAndValue[1].Trim().Trim('"'), cap) : null;
            }
        }

        return null;
    }

    /// <summary>Tells the client its wait was honoured: the answer is final, not interim.</summary>
    public static void MarkApplied(HttpResponse response, TimeSpan wait) =>
        response.Headers[PreferenceAppliedHeader] = $"{Token}={(long)wait.TotalSeconds}";

    private static TimeSpan? Seconds(string value, TimeSpan cap)
    {
        if (value.Length == 0 || !value.All(char.IsAsciiDigit))
        {
            return null;
        }

        // Digits beyond what a long holds are still a (very long) wait: the cap.
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > cap.TotalSeconds)
        {
            return cap;
        }

        return seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
    }
}
