using ShopModular.Platform.Configuration;
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

/// <summary>A registry, and a config server under <c>/config</c> registered in it with its clients' credentials in its metadata.</summary>
public sealed class RegisteredConfigServer : IAsyncLifetime
{
    public RegistryProcess Registry { get; } = new();

    public ConfigServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Registry.InitializeAsync();
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        Server = ConfigServerProcess.With(new()
        {
            ["spring__cloud__config__server__prefix"] = "/config",
            ["eureka__client__enabled"] = "true",
            ["eureka__client__serviceUrl__defaultZone"] = Registry.ServiceUrl,
            ["eureka__instance__hostName"] = "127.0.0.1",
            ["eureka__instance__ipAddress"] = "127.0.0.1",
        });
        // The credentials it requires are the ones it publishes for discovery-first clients.
        Server.PublishCredentialsInMetadata();
        await Server.InitializeAsync();
        using var registry = Registry.AnonymousClient();
        registry.DefaultRequestHeaders.Authorization = RegistryProcess.BasicHeader(Registry.UserName, Registry.Password);
        await Eventually.UntilAsync(() => Eventually.AnswersAsync(registry, "/eureka/apps/CONFIGSERVER"), TimeSpan.FromSeconds(30),
            () => "The config server did not register.");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Registry.DisposeAsync();
    }
}
