using System.Net;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.ConfigServer;

/// <summary>
/// With <c>eureka:client:enabled</c>, the config server registers in our development registry as
/// <c>CONFIGSERVER</c>, where discovery-first clients look for it (Steeltoe's <c>configserver</c> service id), with
/// the <c>configPath</c> metadata they put before <c>/{app}/{profiles}</c> when it serves under a prefix.
/// </summary>
public sealed class ConfigServerRegistrationSpecs(RegistryProcess registry) : IClassFixture<RegistryProcess>
{
    [Fact]
    public async Task registers_as_configserver_with_its_path_and_health_page()
    {
        var server = ConfigServerProcess.RegisteredIn(registry, copyOf: SpecRepositoryConfigServer.SpecRepository);
        try
        {
            await server.InitializeAsync();

            var instance = await Eventually.ValueAsync(
                () => registry.InstanceAsync("CONFIGSERVER", $"127.0.0.1:configserver:{server.Port}"),
                TimeSpan.FromSeconds(30),
                "The config server never registered: " + string.Join('\n', server.Output));
            using var underThePrefix = await server.Client.GetAsync("/config/orders/default");
            using var withoutIt = await server.Client.GetAsync("/orders/default");

            Assert.Equal("UP", instance["status"]!.GetValue<string>());
            Assert.Equal("configserver", instance["vipAddress"]!.GetValue<string>());
            Assert.Equal(server.Port, instance["port"]!["$"]!.GetValue<int>());
            Assert.Equal("/config", instance["metadata"]!["configPath"]!.GetValue<string>());
            Assert.Equal("false", instance["metadata"]!["prometheus.scrape"]!.GetValue<string>());
            Assert.Null(instance["metadata"]!["password"]);
            Assert.Equal($"http://127.0.0.1:{server.Port}/actuator/health", instance["healthCheckUrl"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, underThePrefix.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, withoutIt.StatusCode);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
