using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Platform;

/// <summary>
/// The split topology's settings live once, in deploy/config/: compose gives each process its config server and
/// its own secrets and addresses, and nothing the config repository holds (the config server's values would win
/// over it anyway, so a second copy could only mislead).
/// </summary>
public sealed class DeploymentConfigurationSpecs
{
    private static readonly string[] ConfigClients = ["orders", "products", "users", "gateway"];

    [Fact]
    public void compose_starts_every_process_with_its_config_server_and_none_with_a_setting_of_deploy_config()
    {
        var repository = DeployConfig.RepositoryKeys();
        Assert.Contains("shop:users:initialpoints", repository);
        var environments = DeployConfig.ComposeEnvironments();

        Assert.All(ConfigClients, service =>
        {
            Assert.Contains("spring:cloud:config:uri", environments[service]);
            Assert.Empty(environments[service].Intersect(repository));
        });
    }
}
