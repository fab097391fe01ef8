namespace ShopModular.Gateway;

/// <summary>Settings under <c>Gateway</c>.</summary>
public sealed class GatewaySettings
{
    public const string Section = "Gateway";

    /// <summary>How long a backend may stay silent before the client gets 504.</summary>
    public TimeSpan BackendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an instance that could not be reached is skipped (the registry drops a dead one only when its lease lapses).</summary>
    public TimeSpan UnreachableInstanceCooldown { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests one client (by address) may make per <see cref="RateLimitWindow"/>; beyond that, 429.</summary>
    public int RateLimitPermits { get; set; } = 600;

    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest request body the gateway accepts (413 beyond it); the API's bodies are small JSON documents.</summary>
    public long MaxRequestBodySize { get; set; } = 1024 * 1024;

    /// <summary>The most header bytes a request may carry (431 beyond it).</summary>
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    /// <summary>
    /// The networks (CIDR, e.g. <c>10.89.0.0/16</c>) backends may be in: an instance the registry lists at any other
    /// address, or under a host name rather than an address, is never forwarded to. Empty: loopback only in
    /// Development; elsewhere the gateway refuses to start, since whoever can register would choose where it sends
    /// requests (the broker's management port, a cloud metadata address…).
    /// </summary>
    public List<string> AllowedBackendNetworks { get; set; } = [];

    /// <summary>
    /// How old the last good fetch of the registry may be before <c>/health/ready</c> answers 503. Default: three
    /// fetch intervals (<c>eureka:client:registryFetchIntervalSeconds</c>) and 10 s.
    /// </summary>
    public TimeSpan? RegistryStaleAfter { get; set; }
}
