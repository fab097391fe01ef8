using Microsoft.Extensions.Configuration;

namespace ShopModular.ServiceDefaults.Configuration;

/// <summary>
/// <c>spring:cloud:config:*</c>, with Steeltoe's names and defaults (protocol notes, section 3.2), read from the
/// configuration the process has before the config server's.
/// </summary>
public sealed class ConfigServerClientSettings
{
    public const string Section = "spring:cloud:config";

    public const string DefaultUri = "http://localhost:8888";

    /// <summary>
    /// Null: on when <see cref="Uri"/> or discovery-first is given, off otherwise (Steeltoe's default is on; ours is off
    /// so that the monolith runs without a config server).
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>Comma list, tried in turn; a server that does not answer moves to the next. Userinfo gives Basic credentials.</summary>
    public string? Uri { get; set; }

    /// <summary>The application asked for. Default: <c>spring:application:name</c>, then the name the process registers in Eureka.</summary>
    public string? Name { get; set; }

    /// <summary>The profile asked for. Default: the ASP.NET Core environment.</summary>
    [ConfigurationKeyName("env")]
    public string? Environment { get; set; }

    /// <summary>Comma list, tried in order: a 404 moves to the next. Empty: the server's default label.</summary>
    public string? Label { get; set; }

    /// <summary>Basic credentials; they win over the URI's userinfo.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Sent as <c>X-Config-Token</c> when there is a single URI.</summary>
    public string? Token { get; set; }

    /// <summary>True: the process refuses to start without its remote configuration.</summary>
    public bool FailFast { get; set; }

    /// <summary>Milliseconds one request may take.</summary>
    public int Timeout { get; set; } = 60_000;

    /// <summary>How often to fetch again; zero: never (after the first success).</summary>
    public TimeSpan PollingInterval { get; set; }

    public bool ValidateCertificates { get; set; } = true;

    public Dictionary<string, string> Headers { get; set; } = [];

    public ConfigServerRetrySettings Retry { get; set; } = new();

    public ConfigServerDiscoverySettings Discovery { get; set; } = new();

    public ConfigServerHealthSettings Health { get; set; } = new();

    public bool IsEnabled => Enabled ?? (!string.IsNullOrWhiteSpace(Uri) || Discovery.Enabled);

    public TimeSpan RequestTimeout => TimeSpan.FromMilliseconds(Timeout);

    /// <summary>The labels to try, in order; one empty label when none is set (the server's default).</summary>
    public IReadOnlyList<string> Labels =>
        Label?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } labels ? labels : [string.Empty];

    /// <summary>The configured servers, in order.</summary>
    public IReadOnlyList<Uri> Uris =>
        [.. (string.IsNullOrWhiteSpace(Uri) ? DefaultUri : Uri)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(uri => System.Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
                ? parsed
                : throw new InvalidOperationException($"{Section}:uri: '{uri}' is not an http(s) URL."))];
}

/// <summary><c>spring:cloud:config:retry:*</c>: at start-up only, and only with failFast (as Steeltoe).</summary>
public sealed class ConfigServerRetrySettings
{
    public bool Enabled { get; set; }

    /// <summary>Milliseconds before the second attempt.</summary>
    public int InitialInterval { get; set; } = 1000;

    public double Multiplier { get; set; } = 1.1;

    /// <summary>Milliseconds the wait between attempts grows to at most.</summary>
    public int MaxInterval { get; set; } = 2000;

    public int MaxAttempts { get; set; } = 6;
}

/// <summary><c>spring:cloud:config:discovery:*</c>: find the config server in the Eureka registry (<c>eureka:client:*</c>).</summary>
public sealed class ConfigServerDiscoverySettings
{
    /// <summary>The name config servers register under (Steeltoe's default), which our development config server takes.</summary>
    public const string DefaultServiceId = "configserver";

    public bool Enabled { get; set; }

    public string ServiceId { get; set; } = DefaultServiceId;
}

/// <summary><c>spring:cloud:config:health:*</c>: whether <c>/health/ready</c> includes the config server check.</summary>
public sealed class ConfigServerHealthSettings
{
    public bool Enabled { get; set; } = true;
}
