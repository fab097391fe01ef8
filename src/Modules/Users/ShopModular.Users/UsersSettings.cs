using System.Net;

namespace ShopModular.Users;

/// <summary>Settings under <c>Shop:Users</c> and <c>Shop:Admin</c>.</summary>
public sealed class UsersSettings
{
    public const string Section = "Shop:Users";

    /// <summary>Points a new account starts with.</summary>
    public long InitialPoints { get; set; } = 10_000;

    public LoginSettings Login { get; set; } = new();
}

/// <summary>Settings under <c>Shop:Users:Login</c>: how many failed sign-ins are allowed before they are refused for a while.</summary>
public sealed class LoginSettings
{
    /// <summary>Failed sign-ins per account (known or not) within <see cref="Window"/>; then 429 until the oldest of them is older than the window.</summary>
    public int MaxFailures { get; set; } = 5;

    /// <summary>Failed sign-ins per client address within <see cref="Window"/>, whichever accounts they name.</summary>
    public int MaxFailuresPerClient { get; set; } = 20;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Comma-separated addresses or networks (<c>127.0.0.1</c>, <c>10.0.0.0/8</c>) of proxies, the gateway, whose
    /// <c>X-Forwarded-For</c> names the client; empty: the client is whoever connects.
    /// </summary>
    public string? TrustedProxies { get; set; }

    /// <summary>Refuses settings the throttle cannot work with, when the host is built rather than at the first sign-in.</summary>
    internal void ThrowIfInvalid()
    {
        if (MaxFailures < 1 || MaxFailuresPerClient < 1 || Window <= TimeSpan.Zero)
        {
            throw new InvalidOperationException(
                $"{UsersSettings.Section}:Login: MaxFailures and MaxFailuresPerClient must be at least 1, and Window longer than zero.");
        }

        _ = TrustedProxyNetworks();
    }

    internal IReadOnlyList<IPNetwork> TrustedProxyNetworks() =>
        [.. (TrustedProxies ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(entry => IPNetwork.TryParse(entry, out var network) ? network
                : IPAddress.TryParse(entry, out var address) ? new IPNetwork(address, address.GetAddressBytes().Length * 8)
                : throw new InvalidOperationException($"{UsersSettings.Section}:Login:TrustedProxies: '{entry}' is neither an address nor a network."))];
}

public sealed class AdminSettings
{
    public const string Section = "Shop:Admin";

    /// <summary>Outside Development: a shorter administrator password is too easily guessed.</summary>
    public const int MinPasswordLength = 12;

    public string Email { get; set; } = "admin@shopmodular.local";

    /// <summary>No default outside Development: the host refuses to start without one.</summary>
    public string? Password { get; set; }

    public string Name { get; set; } = "Administrator";
}
