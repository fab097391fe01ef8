using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ShopModular.ServiceDefaults.Discovery;
using ShopModular.ServiceDefaults.Observability;

namespace ShopModular.ServiceDefaults.Configuration;

public static class ShopConfiguration
{
    /// <summary>
    /// Adds the config server's values to the host's configuration, last, so that they win over the local ones (as
    /// Steeltoe adds them) and everything that reads configuration afterwards sees them: call it before anything reads
    /// a setting that may live on the config server. Off unless <c>spring:cloud:config:enabled</c>,
    /// <c>spring:cloud:config:uri</c> or <c>spring:cloud:config:discovery:enabled</c> says otherwise.
    /// </summary>
    /// <param name="serviceName">
    /// The application to ask for when neither <c>spring:cloud:config:name</c> nor <c>spring:application:name</c> is
    /// set (nor <c>eureka:instance:appName</c>): the name the process registers in Eureka.
    /// </param>
    /// <returns>The client, or null when it is off.</returns>
    public static ConfigServerClient? AddShopConfigServer(this WebApplicationBuilder builder, string serviceName)
    {
        var configuration = builder.Configuration;
        var settings = configuration.GetSection(ConfigServerClientSettings.Section).Get<ConfigServerClientSettings>() ?? new ConfigServerClientSettings();
        if (!settings.IsEnabled)
        {
            return null;
        }

        var name = FirstGiven(settings.Name, configuration["spring:application:name"], configuration[$"{EurekaInstanceSettings.Section}:appName"], serviceName);
        var profile = FirstGiven(settings.Environment, builder.Environment.EnvironmentName, "Production");
        var discovery = settings.Discovery.Enabled
            ? new ConfigServerDiscovery(
                configuration.GetSection(EurekaClientSettings.Section).Get<EurekaClientSettings>() ?? new EurekaClientSettings(),
                settings.Discovery.ServiceId)
            : null;
        var client = new ConfigServerClient(settings, name, profile, discovery);
        // Loads at once (with failFast, throws here): every setting read from now on includes the server's.
        ((IConfigurationBuilder)configuration).Add(new ConfigServerConfigurationSource(client));

        // From a factory, so that the host disposes of it (and of its connections) when it is disposed of.
        builder.Services.AddSingleton(_ => client);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<ConfigServerPolling>();
        if (settings.Health.Enabled)
        {
            builder.Services.AddHealthChecks().AddCheck<ConfigServerHealthCheck>("config-server", tags: [ShopHealth.ReadyTag]);
        }

        return client;
    }

    private static string FirstGiven(params string?[] values) => values.First(value => !string.IsNullOrWhiteSpace(value))!;
}
