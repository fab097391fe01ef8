using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ShopModular.ServiceDefaults.Discovery;

public static class ShopDiscoveryExtensions
{
    /// <summary>
    /// The Eureka client, on by default when this process hosts only some modules (split mode) and off in the
    /// monolith; <c>eureka:client:enabled</c> decides otherwise.
    /// </summary>
    /// <param name="routePrefixes">The public path prefixes of the modules this process hosts, published in its registration for the gateway.</param>
    public static void AddShopDiscovery(this WebApplicationBuilder builder, string appName, bool splitMode, IReadOnlyList<string> routePrefixes)
    {
        var client = builder.Configuration.GetSection(EurekaClientSettings.Section).Get<EurekaClientSettings>() ?? new EurekaClientSettings();
        if (client.Enabled ?? splitMode)
        {
            builder.AddEurekaClient(appName, routePrefixes);
        }
    }

    /// <summary>
    /// The Eureka client for a process that always needs the registry (the gateway), registered as
    /// <paramref name="appName"/>, declaring <paramref name="routePrefixes"/> (none: the gateway sends it no requests).
    /// </summary>
    public static void AddEurekaClient(this WebApplicationBuilder builder, string appName, IReadOnlyList<string>? routePrefixes = null)
    {
        if (routePrefixes?.FirstOrDefault(prefix => !RoutePrefixes.IsWellFormed(prefix)) is { } malformed)
        {
            // Found here rather than by a gateway that would drop it without a word to this process.
            throw new InvalidOperationException($"'{malformed}' is not a route prefix the gateway takes (/api/ and segments of letters, digits and dashes).");
        }

        builder.Services.Configure<EurekaClientSettings>(builder.Configuration.GetSection(EurekaClientSettings.Section));
        builder.Services.Configure<EurekaInstanceSettings>(builder.Configuration.GetSection(EurekaInstanceSettings.Section));
        builder.Services.AddHttpClient(EurekaClient.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(5));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EurekaClient>();
        builder.Services.AddSingleton(new DiscoveryIdentity(appName, routePrefixes ?? []));
        builder.Services.AddHostedService<EurekaRegistration>();
    }
}
