using System.Text.RegularExpressions;

namespace ShopModular.ServiceDefaults.Discovery;

/// <summary>
/// The public path prefixes a process serves (<c>/api/orders</c>), as it publishes them in its registration's
/// metadata for the gateway to route by: one entry, <see cref="MetadataKey"/>, the prefixes separated by commas
/// (Eureka's metadata is a map of text; its XML form makes each key an element name, hence a dotted key).
/// </summary>
public static partial class RoutePrefixes
{
    public const string MetadataKey = "shop.route-prefixes";

    /// <summary>More than any process declares; what a registration claims beyond it is not read.</summary>
    private const int MaxPerInstance = 20;

    /// <summary>
    /// What a prefix may be: segments of letters, digits and dashes under <c>/api/</c>, no trailing slash. The rest
    /// of the gateway's paths (its health, metrics and API page) are its own, so no registration can claim them.
    /// </summary>
    [GeneratedRegex("^/api(/[A-Za-z0-9][A-Za-z0-9-]*)+$", RegexOptions.CultureInvariant)]
    private static partial Regex WellFormed();

    public static string Format(IEnumerable<string> prefixes) => string.Join(',', prefixes);

    /// <summary>The well-formed prefixes an instance declares; none when it declares none. Whoever registers writes them, so anything else is dropped.</summary>
    public static IReadOnlyList<string> Of(ServiceInstance instance) =>
        instance.Metadata.TryGetValue(MetadataKey, out var declared)
            ? [.. declared.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Take(MaxPerInstance).Where(prefix => WellFormed().IsMatch(prefix))]
            : [];

    public static bool IsWellFormed(string prefix) => WellFormed().IsMatch(prefix);
}
