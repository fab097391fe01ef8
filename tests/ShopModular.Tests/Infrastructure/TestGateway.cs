using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ShopModular.Gateway;
using ShopModular.ServiceDefaults.Discovery;

namespace ShopModular.Tests.Infrastructure;

/// <summary>The real gateway in the test process, finding its services in the registry at <c>serviceUrl</c>.</summary>
public static class TestGateway
{
    public static Task<IAlbaHost> StartAsync(string serviceUrl, int permits = 100_000, Action<IWebHostBuilder>? configure = null) =>
        AlbaHost.For<GatewaySettings>(builder => Configure(builder, serviceUrl, permits, configure));

    /// <summary>The gateway on a real loopback port, for what only Kestrel does (its request limits).</summary>
    public static LoopbackServer<GatewaySettings> StartOnLoopback(string serviceUrl, Action<IWebHostBuilder>? configure = null) =>
        LoopbackServer<GatewaySettings>.Start(builder => Configure(builder, serviceUrl, permits: 100_000, configure));

    private static void Configure(IWebHostBuilder builder, string serviceUrl, int permits, Action<IWebHostBuilder>? configure)
    {
        builder.UseSetting("eureka:client:serviceUrl:defaultZone", serviceUrl);
        builder.UseSetting("eureka:client:shouldRegisterWithEureka", "false");
        builder.UseSetting("eureka:client:registryFetchIntervalSeconds", "1");
        builder.UseSetting("Shop:Jwt:PublicKey", TestKeys.PublicKeyPem);
        builder.UseSetting("Gateway:RateLimitPermits", permits.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Gateway:RateLimitWindow", "00:01:00");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        configure?.Invoke(builder);
    }

    /// <summary>
    /// Makes the gateway know each service's route (<c>/api/{service}</c>) with no instance of it UP, as after the
    /// service's processes went away: an instance declaring it is registered until the gateway has seen it, then
    /// deregistered until the gateway has seen it go.
    /// </summary>
    public static async Task KnowsWithNoInstanceUpAsync(IHost gateway, RegistryProcess registry, params string[] services)
    {
        var registered = new List<(string Service, string Id)>();
        foreach (var service in services)
        {
            registered.Add((service, await registry.RegisterAsync(service, Repository.FreePort(), routePrefixes: $"/api/{service}")));
        }

        await SeesAsync(gateway, services);
        foreach (var (service, id) in registered)
        {
            await registry.Client.DeleteAsync($"/eureka/apps/{service.ToUpperInvariant()}/{id}");
        }

        var registryCopy = gateway.Services.GetRequiredService<EurekaClient>();
        await Eventually.UntilAsync(
            () => Task.FromResult(services.All(service => registryCopy.UpInstances(service).Count == 0)),
            TimeSpan.FromSeconds(60),
            () => "The gateway still sees instances that were deregistered.");
    }

    /// <summary>Waits until the gateway sees an instance of each service UP.</summary>
    public static Task SeesAsync(IHost gateway, params string[] services)
    {
        var registry = gateway.Services.GetRequiredService<EurekaClient>();
        return Eventually.UntilAsync(
            () => Task.FromResult(services.All(service => registry.UpInstances(service).Count > 0)),
            TimeSpan.FromSeconds(60),
            () => $"The gateway did not see {string.Join(", ", services.Where(service => registry.UpInstances(service).Count == 0))} in the registry.");
    }
}
