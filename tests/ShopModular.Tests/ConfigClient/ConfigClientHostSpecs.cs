using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ShopModular.Gateway;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.ConfigClient;

/// <summary>
/// The shop's own hosts with the config client on: a Users process and the gateway take a setting from our
/// development config server (a real process) over their local ones, and follow a live change of it within the
/// polling interval, without a restart; a changed value that fails validation is refused and the old one stays.
/// </summary>
public sealed class ConfigClientHostSpecs(ConfigServerProcess server) : IClassFixture<ConfigServerProcess>
{
    private const string PollingInterval = "00:00:00.300";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task a_users_process_takes_the_initial_points_from_the_config_server_and_follows_a_live_change()
    {
        server.Write("users.yml", "Shop:\n  Users:\n    InitialPoints: 1234\n");
        var connectionString = await TestDatabase.CreateAsync("config_users");
        // The fixture sets Shop:Users:InitialPoints locally (10000): the config server's value wins over it.
        await using var users = await ShopHost.StartAsync(connectionString, "users", builder => UseConfigServer(builder));

        Assert.Equal(1234, await RegisterAsync(users));

        server.Write("users.yml", "Shop:\n  Users:\n    InitialPoints: 4321\n");
        await Eventually.UntilAsync(async () => await RegisterAsync(users) == 4321, Timeout,
            () => "New accounts did not get the changed initial points.");

        server.Write("users.yml", "Shop:\n  Users:\n    InitialPoints: -5\n");
        await SeesAsync(users, "Shop:Users:InitialPoints", "-5");

        Assert.Equal(4321, await RegisterAsync(users));
    }

    [Fact]
    public async Task the_gateway_takes_its_rate_limit_from_the_config_server_and_follows_a_live_change()
    {
        server.Write("gateway.yml", "Gateway:\n  RateLimitPermits: 2\n");
        var noRegistry = $"http://127.0.0.1:{Repository.FreePort()}/eureka/";
        // The fixture allows 100000 requests a minute locally: the config server's limit wins over it.
        await using var gateway = await TestGateway.StartAsync(noRegistry, configure: builder => UseConfigServer(builder));

        var limited = await StatusesAsync(gateway, 3);
        Assert.Equal([404, 404, 429], limited);

        server.Write("gateway.yml", "Gateway:\n  RateLimitPermits: 5\n");
        await SeesAsync(gateway, "Gateway:RateLimitPermits", "5");
        // The options follow the configuration's change token a moment after the configuration holds the value.
        await Eventually.UntilAsync(
            () => Task.FromResult(gateway.Services.GetRequiredService<IOptionsMonitor<GatewaySettings>>().CurrentValue.RateLimitPermits == 5), Timeout,
            () => "The gateway's options did not take the new limit.");

        // A new limit starts a new count.
        var raised = await StatusesAsync(gateway, 6);
        Assert.Equal([404, 404, 404, 404, 404, 429], raised);

        server.Write("gateway.yml", "Gateway:\n  RateLimitPermits: -1\n");
        await SeesAsync(gateway, "Gateway:RateLimitPermits", "-1");

        Assert.Equal(5, gateway.Services.GetRequiredService<IOptionsMonitor<GatewaySettings>>().CurrentValue.RateLimitPermits);
        var stillLimited = await StatusesAsync(gateway, 1);
        Assert.Equal([429], stillLimited);
    }

    [Fact]
    public async Task a_module_process_that_cannot_reach_its_config_server_starts_but_is_not_ready()
    {
        var connectionString = await TestDatabase.CreateAsync("config_unreachable");
        var nobody = $"http://127.0.0.1:{Repository.FreePort()}";
        await using var products = await ShopHost.StartAsync(connectionString, "products", builder => builder.UseSetting("spring:cloud:config:uri", nobody));

        await products.Scenario(s =>
        {
            s.Get.Url("/health/ready");
            s.StatusCodeShouldBe(503);
        });
        var report = await products.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(check => check.Tags.Contains("ready"));

        // Not ready for that reason alone: its database and broker are there.
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["config-server"].Status);
        Assert.Contains(nobody, report.Entries["config-server"].Description, StringComparison.Ordinal);
        Assert.All(report.Entries.Where(entry => entry.Key != "config-server"), entry => Assert.Equal(HealthStatus.Healthy, entry.Value.Status));
    }

    private void UseConfigServer(IWebHostBuilder builder)
    {
        builder.UseSetting("spring:cloud:config:uri", server.UrlWithCredentials);
        builder.UseSetting("spring:cloud:config:pollingInterval", PollingInterval);
    }

    /// <summary>Waits until the host's configuration holds the server's new value.</summary>
    private static Task SeesAsync(IAlbaHost host, string key, string value) =>
        Eventually.UntilAsync(() => Task.FromResult(host.Services.GetRequiredService<IConfiguration>()[key] == value), Timeout,
            () => $"The host did not see {key} = {value} from the config server.");

    /// <summary>Registers a new account; its points.</summary>
    private static async Task<long> RegisterAsync(IAlbaHost users)
    {
        var result = await users.Scenario(s =>
        {
            s.Post.Json(new { email = $"{Guid.NewGuid():N}@example.org", password = "correct-horse", name = "Ada" }).ToUrl("/api/users");
            s.StatusCodeShouldBe(201);
        });
        return (await result.ReadAsJsonAsync<RegisteredUser>())!.Points;
    }

    private static async Task<int[]> StatusesAsync(IAlbaHost gateway, int count)
    {
        using var client = gateway.Server.CreateClient();
        var statuses = new int[count];
        for (var i = 0; i < count; i++)
        {
            using var response = await client.GetAsync("/api/nothing-here");
            statuses[i] = (int)response.StatusCode;
        }

        return statuses;
    }

    private sealed record RegisteredUser(long Points);
}
