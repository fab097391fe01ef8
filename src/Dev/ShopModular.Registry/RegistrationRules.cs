using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;

namespace ShopModular.Registry;

/// <summary>
/// What a registration must be beyond the genuine server's own checks, so that no instance can break the readers
/// of the registry: a host and ports a client can connect to, a bounded lease, and metadata that XML (XStream's
/// form, which Prometheus reads) can carry. Each rule gives the 400's message, or null when the value is fine.
/// </summary>
public static partial class RegistrationRules
{
    /// <summary>
    /// A metadata key becomes an XML element name: letters, digits, <c>.</c>, <c>-</c>, <c>_</c> and <c>$</c>
    /// (XStream escapes the last two), not starting with a digit, <c>.</c> or <c>-</c>.
    /// </summary>
    [GeneratedRegex(@"^[A-Za-z_$][A-Za-z0-9._$-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex MetadataKey();

    private const int MaxMetadataEntries = 64;

    public static string? HostNameProblem(string hostName) =>
        hostName.Length <= 253 && Uri.CheckHostName(hostName) is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6
            ? null
            : $"Invalid hostName '{Printable(hostName)}': not a host name or an IP address";

    public static string? IpAddressProblem(string ipAddress) =>
        IPAddress.TryParse(ipAddress, out _) ? null : $"Invalid ipAddr '{Printable(ipAddress)}': not an IP address";

    /// <summary>A port wrapper <c>{"$": n, "@enabled": …}</c>, when present: <c>$</c> a whole number from <paramref name="lowest"/> to 65535.</summary>
    public static string? PortProblem(JsonObject instance, string name, int lowest)
    {
        if (instance[name] is null)
        {
            return null;
        }

        return instance[name] is JsonObject port && WholeNumber(port["$"]) is { } number && number >= lowest && number <= IPEndPoint.MaxPort
            ? null
            : $"Invalid {name}: a whole number from {lowest} to {IPEndPoint.MaxPort} is expected";
    }

    /// <summary>The lease's duration and renewal interval, when present: whole seconds from 1 to <paramref name="maxSeconds"/>.</summary>
    public static string? LeaseProblem(JsonObject instance, int maxSeconds)
    {
        if (instance["leaseInfo"] is null)
        {
            return null;
        }

        if (instance["leaseInfo"] is not JsonObject lease)
        {
            return "Invalid leaseInfo";
        }

        foreach (var name in new[] { "durationInSecs", "renewalIntervalInSecs" })
        {
            if (lease[name] is not null && !(WholeNumber(lease[name]) is { } seconds && seconds >= 1 && seconds <= maxSeconds))
            {
                return $"Invalid leaseInfo.{name}: whole seconds from 1 to {maxSeconds} are expected";
            }
        }

        return null;
    }

    /// <summary>Metadata, when present: an object of at most 64 entries with XML-safe keys and plain values.</summary>
    public static string? MetadataProblem(JsonNode? metadata)
    {
        if (metadata is null)
        {
            return null;
        }

        if (metadata is not JsonObject entries)
        {
            return "Invalid metadata: an object is expected";
        }

        return entries.Count > MaxMetadataEntries
            ? $"Invalid metadata: at most {MaxMetadataEntries} entries"
            : entries.Select(entry => MetadataEntryProblem(entry.Key, entry.Value)).FirstOrDefault(problem => problem is not null);
    }

    public static string? MetadataEntryProblem(string key, JsonNode? value) =>
        key == "@class" ? null
        : !MetadataKey().IsMatch(key) ? $"Invalid metadata key '{Printable(key)}': letters, digits, '.', '-', '_' and '$' only, not starting with a digit, '.' or '-'"
        : value is not JsonValue { } scalar || scalar.GetValueKind() is JsonValueKind.Object or JsonValueKind.Array ? $"Invalid metadata value for '{key}': text is expected"
        : null;

    /// <summary>
    /// The last guard: the instance as readers will get it must be writable as XML (no element name or character
    /// XML cannot carry, in any field), or every later read of the registry in XML would fail.
    /// </summary>
    public static string? XmlProblem(JsonObject wire)
    {
        try
        {
            _ = EurekaXml.From(new JsonObject { ["instance"] = wire.DeepClone() }).ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
            return null;
        }
        catch (Exception exception) when (exception is XmlException or ArgumentException or InvalidOperationException)
        {
            return "Invalid instance: it cannot be written as XML (a field name or a character XML cannot carry)";
        }
    }

    /// <summary>A number, or text holding one (clients write ports and leases either way); null otherwise.</summary>
    public static long? WholeNumber(JsonNode? node) =>
        node is JsonValue value && long.TryParse(value.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;

    /// <summary>A value echoed in a message, without what a terminal or a log would act on.</summary>
    private static string Printable(string value) =>
        new([.. value.Take(100).Select(character => char.IsControl(character) ? '?' : character)]);
}
