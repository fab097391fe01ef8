namespace ShopModular.ServiceDefaults.Configuration;

/// <summary>A fetch from the config server that gave no configuration.</summary>
public sealed class ConfigServerException(string message, bool credentialsRefused = false, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>A server answered 401 or 403: trying again will not help until the credentials change.</summary>
    public bool CredentialsRefused { get; } = credentialsRefused;
}
