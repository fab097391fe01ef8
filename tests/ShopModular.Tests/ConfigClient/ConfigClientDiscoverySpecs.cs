using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ShopModular.Gateway;
using ShopModular.ServiceDefaults.Configuration;
using ShopModular.ServiceDefaults.Discovery;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.ConfigClient;

/// <summary>
/// Discovery-first: the client finds the config server in our development registry (both real processes), where
/// the server registered as CONFIGSERVER with its path (<c>configPath</c>) and its clients' credentials
/// (<c>user</c>, <c>password</c>) in its metadata; the client is given nothing but the registry's address.
/// </summary>
public sealed class ConfigClientDiscoverySpecs(RegisteredConfigServer fixture) : IClassFixture<RegisteredConfigServer>
{
    [Fact]
    public void finds_the_server_in_the_registry_with_its_path_and_credentials()
    {
        fixture.Server.Write("discovered.yml", "shop:\n  greeting: found-by-discovery\n");

        var configuration = ClientHost.Builder(new()
        {
            ["spring:cloud:config:discovery:enabled"] = "true",
            ["spring:cloud:config:name"] = "discovered",
            ["eureka:client:serviceUrl:defaultZone"] = fixture.Registry.ServiceUrl,
        }).Configuration;

        Assert.Equal("found-by-discovery", configuration["shop:greeting"]);
    }

    [Fact]
    public void with_fail_fast_a_registry_without_the_server_stops_the_start()
    {
        var error = Assert.Throws<ConfigServerException>(() => ClientHost.Builder(new()
        {
            ["spring:cloud:config:discovery:enabled"] = "true",
            ["spring:cloud:config:discovery:serviceId"] = "no-such-configserver",
            ["spring:cloud:config:failFast"] = "true",
            ["eureka:client:serviceUrl:defaultZone"] = fixture.Registry.ServiceUrl,
        }));

        Assert.Contains("no-such-configserver", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>
/// The gateway's readiness: with its registry at hand, ready once it has its configuration (here found by
/// discovery-first), not while its config server cannot be reached.
/// </summary>
public sealed class GatewayConfigReadinessSpecs(RegisteredConfigServer fixture) : IClassFixture<RegisteredConfigServer>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task the_gateway_is_ready_once_it_has_its_configuration_from_the_server_it_discovered()
    {
        fixture.Server.Write("gateway.yml", "Gateway:\n  RateLimitWindow: 00:00:42\n");
        await using var gateway = await TestGateway.StartAsync(fixture.Registry.ServiceUrl, configure: builder =>
            builder.UseSetting("spring:cloud:config:discovery:enabled", "true"));

        await Eventually.UntilAsync(async () => (await gateway.Server.CreateClient().GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, Timeout,
            () => "The gateway did not become ready.");
        Assert.Equal(TimeSpan.FromSeconds(42), gateway.Services.GetRequiredService<IOptionsMonitor<GatewaySettings>>().CurrentValue.RateLimitWindow);
    }

    [Fact]
    public async Task the_gateway_is_not_ready_while_its_config_server_cannot_be_reached()
    {
        var nobody = $"http://127.0.0.1:{Repository.FreePort()}";
        await using var gateway = await TestGateway.StartAsync(fixture.Registry.ServiceUrl, configure: builder =>
            builder.UseSetting("spring:cloud:config:uri", nobody));
        // Its registry copy is fresh: only the configuration is missing.
        await Eventually.UntilAsync(() => Task.FromResult(gateway.Services.GetRequiredService<EurekaClient>().LastGoodFetch is not null), Timeout,
            () => "The gateway did not fetch the registry.");

        using var ready = await gateway.Server.CreateClient().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("not loaded", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

/// <summary>A registry, and a config server under <c>/config</c> registered in it with its clients' credentials in its metadata.</summary>
public sealed class RegisteredConfigServer : IAsyncLifetime
{
    public RegistryProcess Registry { get; } = new();

    public ConfigServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Registry.InitializeAsync();
        Server = ConfigServerProcess.RegisteredIn(Registry);
        // The credentials it requires are the ones it publishes for discovery-first clients.
        Server.PublishCredentialsInMetadata();
        await Server.InitializeAsync();
        await Eventually.UntilAsync(() => Eventually.AnswersAsync(Registry.Client, "/eureka/apps/CONFIGSERVER"), TimeSpan.FromSeconds(30),
            () => "The config server did not register.");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Registry.DisposeAsync();
    }
}
