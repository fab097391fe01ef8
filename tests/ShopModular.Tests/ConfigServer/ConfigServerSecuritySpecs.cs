using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.ConfigServer;

/// <summary>
/// Outside Development the configuration (which holds the topology's secrets) is served only to its clients: HTTP
/// Basic as Spring Security answers it on the genuine server, and no start at all without credentials.
/// </summary>
public sealed class ConfigServerSecuritySpecs(SpecRepositoryConfigServer server) : IClassFixture<SpecRepositoryConfigServer>
{
    public static TheoryData<string?> WrongCredentials => new() { (string?)null, "shop:a-guess", "someone:" };

    [Theory]
    [MemberData(nameof(WrongCredentials))]
    public async Task a_request_without_the_credentials_is_401_with_spring_securitys_answer(string? userAndPassword)
    {
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        if (userAndPassword is not null)
        {
            var parts = userAndPassword.Split(':');
            client.DefaultRequestHeaders.Authorization = RegistryProcess.BasicHeader(parts[0], parts[1]);
        }

        using var response = await client.GetAsync("/orders/default");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic realm=\"Realm\"", response.Headers.WwwAuthenticate.ToString());
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(401, body["status"]!.GetValue<int>());
        Assert.Equal("Unauthorized", body["error"]!.GetValue<string>());
        Assert.DoesNotContain("hello", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task the_credentials_open_the_configuration()
    {
        var orders = await server.EnvironmentAsync("/orders/default");

        Assert.NotEmpty(orders["propertySources"]!.AsArray());
    }

    [Fact]
    public async Task it_refuses_to_start_outside_development_without_credentials()
    {
        var output = new ConcurrentQueue<string>();
        using var process = ConfigServerProcess.Start(Repository.FreePort(), new Dictionary<string, string?>(), output);

        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains(output, line => line.Contains("spring:security:user:name", StringComparison.Ordinal));
    }

    [Fact]
    public async Task in_development_it_serves_without_credentials_when_none_are_set()
    {
        var port = Repository.FreePort();
        var output = new ConcurrentQueue<string>();
        using var process = ConfigServerProcess.Start(port, new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["spring__cloud__config__server__native__searchLocations"] = SpecRepositoryConfigServer.SpecRepository,
        }, output);
        try
        {
            using var anonymous = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Eventually.UntilAsync(() => Eventually.AnswersAsync(anonymous, "/actuator/health"), TimeSpan.FromSeconds(60), () => "It did not start: " + string.Join('\n', output));

            using var response = await anonymous.GetAsync("/orders/default");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(output, line => line.Contains("anyone who reaches this server can read the configuration", StringComparison.Ordinal));
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }
}
