namespace ShopModular.Registry;

/// <summary>
/// Settings under <c>Registry</c>. The defaults are fast, for development; the genuine Eureka server's
/// timings are in the comments and can be set here to behave like it.
/// </summary>
public sealed class RegistrySettings
{
    public const string Section = "Registry";

    /// <summary>How often expired leases are evicted. Genuine: 60 s.</summary>
    public TimeSpan EvictionInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a change stays in <c>/apps/delta</c>. Genuine: 3 minutes.</summary>
    public TimeSpan DeltaRetention { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// The genuine server expires a lease only twice its duration after the last renewal (a known bug it keeps
    /// for compatibility). Off by default: here a lease expires when its duration says.
    /// </summary>
    public bool ExpireAfterTwiceTheLease { get; set; }
}
