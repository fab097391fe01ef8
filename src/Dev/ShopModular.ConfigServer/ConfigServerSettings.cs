namespace ShopModular.ConfigServer;

/// <summary>
/// <c>spring:cloud:config:server:*</c>, the genuine server's keys (protocol notes, 3.1), so that one configuration
/// serves either server.
/// </summary>
public sealed class ConfigServerSettings
{
    public const string Section = "spring:cloud:config:server";

    /// <summary>A path the environment endpoints are served under (<c>/config/{app}/{profiles}</c>); none by default.</summary>
    public string Prefix { get; set; } = string.Empty;

    public NativeSettings Native { get; set; } = new();
}

/// <summary><c>spring:cloud:config:server:native:*</c>.</summary>
public sealed class NativeSettings
{
    /// <summary>
    /// The folders searched, comma-separated, in increasing precedence, each a path or a <c>file:</c> URL
    /// (<c>file:/config</c>, <c>file:///config</c>); a relative path is taken from the working directory.
    /// The genuine default is the server's own class path; ours is the repository's <c>deploy/config</c>.
    /// </summary>
    public string SearchLocations { get; set; } = "deploy/config";

    /// <summary>The label of a request that names none; its subfolder is searched when it exists.</summary>
    public string DefaultLabel { get; set; } = "master";

    /// <summary>Whether a label's subfolder of each search location is searched too (with higher precedence).</summary>
    public bool AddLabelLocations { get; set; } = true;

    /// <summary>The <c>version</c> every answer reports; none by default, as the genuine native repository.</summary>
    public string? Version { get; set; }
}

/// <summary>
/// <c>spring:security:user:*</c>, as Spring Security names the user of the genuine server. Required outside
/// Development (the server refuses to start without it); optional in Development, where without it anyone on the
/// machine may read the configuration.
/// </summary>
public sealed class ConfigServerUser
{
    public const string Section = "spring:security:user";

    public string? Name { get; set; }

    public string? Password { get; set; }

    public bool IsSet => !string.IsNullOrEmpty(Name) && !string.IsNullOrEmpty(Password);
}
