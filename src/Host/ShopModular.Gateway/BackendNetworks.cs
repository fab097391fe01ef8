using System.Collections.Concurrent;
using System.Net;
using ShopModular.ServiceDefaults.Discovery;

namespace ShopModular.Gateway;

/// <summary>
/// Where the gateway may send requests (<see cref="GatewaySettings.AllowedBackendNetworks"/>). The registry says
/// where the instances are, and whoever can register writes that; this keeps the gateway from forwarding to an
/// address outside the backends' networks however the registry was filled. Only addresses count: a host name
/// could resolve elsewhere after the check, so instances register their address (<c>preferIpAddress</c>).
/// </summary>
public sealed class BackendNetworks(IReadOnlyList<IPNetwork> allowed, ILogger<BackendNetworks> logger)
{
    private readonly ConcurrentDictionary<Uri, bool> _verdicts = new();

    /// <summary>The networks from configuration; loopback in Development when none are set; refuses to start elsewhere.</summary>
    public static IReadOnlyList<IPNetwork> FromSettings(GatewaySettings settings, IHostEnvironment environment)
    {
        if (settings.AllowedBackendNetworks.Count == 0)
        {
            return environment.IsDevelopment()
                ? [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")]
                : throw new InvalidOperationException(
                    "Set Gateway:AllowedBackendNetworks to the networks the module processes are in (CIDR, e.g. 10.89.0.0/16): "
                    + "without it the gateway would forward to any address the registry lists.");
        }

        return [.. settings.AllowedBackendNetworks.Select(network => IPNetwork.TryParse(network.Trim(), out var parsed)
            ? parsed
            : throw new InvalidOperationException($"Gateway:AllowedBackendNetworks: '{network}' is not a network in CIDR notation (10.89.0.0/16)."))];
    }

    public static void AddBackendNetworks(IServiceCollection services, GatewaySettings settings, IHostEnvironment environment)
    {
        var networks = FromSettings(settings, environment);
        services.AddSingleton(provider => new BackendNetworks(networks, provider.GetRequiredService<ILogger<BackendNetworks>>()));
    }

    /// <summary>Whether the instance's address is in an allowed network; the first refusal of each address is logged.</summary>
    public bool Allow(ServiceInstance instance)
    {
        if (_verdicts.Count > 10_000)
        {
            // Addresses come and go with registrations; keep the memory bounded.
            _verdicts.Clear();
        }

        return _verdicts.GetOrAdd(instance.BaseAddress, address =>
        {
            var allowed = IPAddress.TryParse(address.IdnHost.Trim('[', ']'), out var ip) && Contains(ip);
            if (!allowed)
            {
                logger.LogWarning("Not forwarding to {Instance} at {Address}: not an address in Gateway:AllowedBackendNetworks", instance.InstanceId, address);
            }

            return allowed;
        });
    }

    private bool Contains(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return allowed.Any(network => network.Contains(plain));
    }
}
