using Microsoft.Extensions.Configuration;

namespace ShopModular.ServiceDefaults.Configuration;

/// <summary>The config server's values as a configuration source; its provider loads them as soon as it is added.</summary>
internal sealed class ConfigServerConfigurationSource(ConfigServerClient client) : IConfigurationSource
{
    // A new provider each time: a configuration that rebuilds its providers disposes the old ones.
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new ConfigServerConfigurationProvider(client);
}

/// <summary>
/// Holds the last configuration the config server gave, and raises the change token when a fetch brings a different
/// one, and only then, so that <c>IOptionsMonitor</c> consumers are told of real changes.
/// </summary>
internal sealed class ConfigServerConfigurationProvider(ConfigServerClient client) : ConfigurationProvider
{
    public override void Load() => client.LoadAtStartup(this);

    /// <summary>Takes <paramref name="data"/> as the new values; true when they differ from the ones held.</summary>
    public bool Apply(Dictionary<string, string?> data)
    {
        var current = Data;
        if (current.Count == data.Count
            && current.All(entry => data.TryGetValue(entry.Key, out var value) && string.Equals(value, entry.Value, StringComparison.Ordinal)))
        {
            return false;
        }

        Data = data;
        OnReload();
        return true;
    }
}
