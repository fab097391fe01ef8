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

    /// <summary>
    /// The HTTP Basic user every change to the registry needs (register, renew, cancel, status, metadata), as
    /// Spring Security's <c>spring.security.user.name</c> on the genuine server. No default: the registry refuses
    /// to start without it.
    /// </summary>
    public string? UserName { get; set; }

    /// <summary>That user's password; no default either.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Whether reading the registry needs the credentials too. Off by default, so that Prometheus' eureka_sd and
    /// other readers need none; the addresses it lists are then visible to anyone who can reach the registry.
    /// </summary>
    public bool ReadsNeedCredentials { get; set; }

    /// <summary>
    /// The longest lease (and renewal interval) an instance may ask for. A lease far longer would keep a dead
    /// instance listed long after it stopped renewing. Genuine: no limit (default lease 90 s).
    /// </summary>
    public int MaxLeaseDurationInSeconds { get; set; } = 300;

    /// <summary>The largest request body, in bytes (413 beyond it); a registration is a few kilobytes.</summary>
    public long MaxRequestBodySize { get; set; } = 64 * 1024;
}
