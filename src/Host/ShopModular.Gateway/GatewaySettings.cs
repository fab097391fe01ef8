namespace ShopModular.Gateway;

/// <summary>Settings under <c>Gateway</c>.</summary>
public sealed class GatewaySettings
{
    public const string Section = "Gateway";

    /// <summary>How long a backend may stay silent before the client gets 504.</summary>
    public TimeSpan BackendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Requests one client (by address) may make per <see cref="RateLimitWindow"/>; beyond that, 429.</summary>
    public int RateLimitPermits { get; set; } = 600;

    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromSeconds(10);
}
