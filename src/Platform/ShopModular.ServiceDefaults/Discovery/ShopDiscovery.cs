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
    public static void AddShopDiscovery(this WebApplicationBuilder builder, string appName, bool splitMode)
    {
        var client = builder.Configuration.GetSection(EurekaClientSettings.Section).Get<EurekaClientSettings>() ?? new EurekaClientSettings();
        if (client.Enabled ?? splitMode)
        {
            builder.AddEurekaClient(appName);
        }
    }

    /// <summary>The Eureka client for a process that always needs the registry (the gateway), registered as <paramref name="appName"/>.</summary>
    public static void AddEurekaClient(this WebApplicationBuilder builder, string appName)
    {
        builder.Services.Configure<EurekaClientSettings>(builder.Configuration.GetSection(EurekaClientSettings.Section));
        builder.Services.Configure<EurekaInstanceSettings>(builder.Configuration.GetSection(EurekaInstanceSettings.Section));
        builder.Services.AddHttpClient(EurekaClient.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(5));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EurekaClient>();
        builder.Services.AddSingleton(new DiscoveryIdentity(appName));
        builder.Services.AddHostedService<EurekaRegistration>();
    }
}
