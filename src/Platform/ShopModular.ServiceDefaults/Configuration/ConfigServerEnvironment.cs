using System.Text.Json;

namespace ShopModular.ServiceDefaults.Configuration;

/// <summary>
/// The config server's Environment document (protocol notes, section 3.1) as configuration data: the property sources
/// applied last to first, so that the first one, the most specific, wins; every key converted by
/// <see cref="SpringKeys"/>; every value as invariant text.
/// </summary>
public static class ConfigServerEnvironment
{
    public const string VersionKey = "spring:cloud:config:client:version";

    public const string StateKey = "spring:cloud:config:client:state";

    /// <summary>The configuration data of an Environment document.</summary>
    /// <exception cref="JsonException">The document is not an Environment.</exception>
    public static Dictionary<string, string?> ToData(JsonElement environment)
    {
        if (environment.ValueKind != JsonValueKind.Object
            || !environment.TryGetProperty("propertySources", out var sources)
            || sources.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("The answer is not an Environment document: it has no propertySources list.");
        }

        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var source in sources.EnumerateArray().Reverse())
        {
            if (source.ValueKind == JsonValueKind.Object && source.TryGetProperty("source", out var properties) && properties.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in properties.EnumerateObject())
                {
                    Add(data, SpringKeys.ToConfigurationKey(property.Name), property.Value);
                }
            }
        }

        foreach (var (name, key) in new[] { ("version", VersionKey), ("state", StateKey) })
        {
            if (environment.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
            {
                data[key] = text;
            }
        }

        return data;
    }

    private static void Add(Dictionary<string, string?> data, string key, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                data[key] = value.GetString();
                break;
            case JsonValueKind.Number:
                // The number as the server wrote it: no round trip through double.
                data[key] = value.GetRawText();
                break;
            case JsonValueKind.True or JsonValueKind.False:
                data[key] = value.GetBoolean() ? "true" : "false";
                break;
            case JsonValueKind.Null:
                data[key] = null;
                break;
            case JsonValueKind.Object when value.TryGetProperty("value", out var described) && value.TryGetProperty("origin", out _):
                // The v2 media type's {"value", "origin"}, should a server send it though we ask for plain JSON.
                Add(data, key, described);
                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    Add(data, $"{key}:{SpringKeys.ToConfigurationKey(property.Name)}", property.Value);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Add(data, $"{key}:{index++}", item);
                }

                break;
        }
    }
}
