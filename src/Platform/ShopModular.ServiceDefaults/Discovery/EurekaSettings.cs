using ShopModular.ServiceDefaults.Security;

namespace ShopModular.ServiceDefaults.Discovery;

/// <summary><c>eureka:client:*</c>, named as Steeltoe names them.</summary>
public sealed class EurekaClientSettings
{
    public const string Section = "eureka:client";

    /// <summary>Null: on when the process hosts only some modules (split mode), off in the monolith.</summary>
    public bool? Enabled { get; set; }

    public EurekaServiceUrls ServiceUrl { get; set; } = new();

    public bool ShouldRegisterWithEureka { get; set; } = true;

    public bool ShouldFetchRegistry { get; set; } = true;

    public int RegistryFetchIntervalSeconds { get; set; } = 30;

    public bool ShouldDisableDelta { get; set; }

    /// <summary>
    /// The registry's URLs, tried in turn until one answers, each with the credentials of its userinfo
    /// (<c>http://user:password@host:8761/eureka/</c>, Steeltoe's and Spring's convention), which go in a Basic
    /// header rather than in the URL, so no log line that names the server shows them.
    /// </summary>
    public IReadOnlyList<EurekaServer> ServerUrls =>
        [.. ServiceUrl.DefaultZone.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(url => EurekaServer.From(new Uri(url.EndsWith('/') ? url : url + "/")))];
}

/// <summary>One registry: its URL without userinfo, and the Basic credentials the userinfo carried (null: none).</summary>
public sealed record EurekaServer(Uri Url, string? BasicCredentials)
{
    public static EurekaServer From(Uri url)
    {
        if (url.UserInfo.Length == 0)
        {
            return new EurekaServer(url, null);
        }

        var (user, password) = BasicAuthentication.FromUserInfo(url);
        return new EurekaServer(BasicAuthentication.WithoutUserInfo(url), BasicAuthentication.HeaderParameter(user, password));
    }

    /// <summary>The URL only: the credentials stay out of logs.</summary>
    public override string ToString() => Url.ToString();
}

public sealed class EurekaServiceUrls
{
    public string DefaultZone { get; set; } = "http://localhost:8761/eureka/";
}

/// <summary><c>eureka:instance:*</c>, named as Steeltoe names them.</summary>
public sealed class EurekaInstanceSettings
{
    public const string Section = "eureka:instance";

    /// <summary>Defaults to the hosted module's name (the service name when a process hosts several).</summary>
    public string? AppName { get; set; }

    /// <summary>Defaults to <c>{hostName}:{appName}:{port}</c>.</summary>
    public string? InstanceId { get; set; }

    /// <summary>The name others reach this process by. Defaults to the machine's name, or to <see cref="IpAddress"/> with <see cref="PreferIpAddress"/>.</summary>
    public string? HostName { get; set; }

    /// <summary>Defaults to the machine's first IPv4 address that is up and not loopback (127.0.0.1 when it has none).</summary>
    public string? IpAddress { get; set; }

    /// <summary>Register the IP address as the host name: for containers, whose names other containers may not resolve.</summary>
    public bool PreferIpAddress { get; set; }

    /// <summary>Defaults to the port this process listens on (its first HTTP address).</summary>
    public int? Port { get; set; }

    public int LeaseRenewalIntervalInSeconds { get; set; } = 30;

    public int LeaseExpirationDurationInSeconds { get; set; } = 90;

    public string HomePageUrlPath { get; set; } = "/";

    public string StatusPageUrlPath { get; set; } = "/health/live";

    public string HealthCheckUrlPath { get; set; } = "/health/ready";

    public Dictionary<string, string> MetadataMap { get; set; } = [];
}
