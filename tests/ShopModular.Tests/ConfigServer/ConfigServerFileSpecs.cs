using System.Net;
using System.Text.Json.Nodes;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.ConfigServer;

/// <summary>
/// The repository is read on every request: an edit is served at once (the clients' live reload depends on it), and
/// a broken file fails the requests that read it, as on the genuine server (500, Spring Boot's error document,
/// here with a message that names the file and line), while every other application is still served.
/// Each spec edits its own files of this class's copy of the repository.
/// </summary>
public sealed class ConfigServerFileSpecs(SpecRepositoryConfigServer server) : IClassFixture<SpecRepositoryConfigServer>
{
    [Fact]
    public async Task an_edit_is_served_at_once()
    {
        server.Write("gateway.yml", "shop:\n  rate-limit: 100\n");
        var before = await server.EnvironmentAsync("/gateway/default");

        server.Write("gateway.yml", "shop:\n  rate-limit: 7\n");
        var after = await server.EnvironmentAsync("/gateway/default");

        Assert.Equal(100, ConfigServerProcess.Resolve(before, "shop.rate-limit")!.GetValue<int>());
        Assert.Equal(7, ConfigServerProcess.Resolve(after, "shop.rate-limit")!.GetValue<int>());
    }

    [Fact]
    public async Task a_broken_yaml_file_fails_its_applications_names_the_file_and_line_and_spares_the_others()
    {
        server.Write("broken.yml", "shop:\n  greeting: fine\n  limits:\n    rate: 5\n  other: a: b\n");
        var file = Path.Combine(server.RepositoryFolder, "broken.yml");

        using var broken = await server.Client.GetAsync("/broken/default");
        var others = await server.EnvironmentAsync("/orders/default");

        Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
        var error = JsonNode.Parse(await broken.Content.ReadAsStringAsync())!;
        Assert.Equal(500, error["status"]!.GetValue<int>());
        Assert.Equal("Internal Server Error", error["error"]!.GetValue<string>());
        Assert.Equal("/broken/default", error["path"]!.GetValue<string>());
        Assert.StartsWith("Could not construct context for config=broken profile=default label=null", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains($"'{file}', line 5", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("hello from orders.properties", ConfigServerProcess.Resolve(others, "shop.greeting")!.GetValue<string>());
        await Eventually.UntilAsync(
            () => Task.FromResult(server.Output.Any(line => line.Contains(file, StringComparison.Ordinal) && line.Contains("line 5", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10),
            () => "The log does not name the file and line: " + string.Join('\n', server.Output));
    }

    [Fact]
    public async Task a_broken_profile_file_fails_only_that_profile()
    {
        server.Write("billing.yml", "shop:\n  greeting: billing\n");
        // Input that YamlDotNet's scanner gives up on without saying where: the place it last read fine is named.
        server.Write("billing-eu.yml", "shop:\n  greeting: fine\n  limits: [1, 2\n  other: x\n");

        using var eu = await server.Client.GetAsync("/billing/eu");
        var plain = await server.EnvironmentAsync("/billing/default");

        Assert.Equal(HttpStatusCode.InternalServerError, eu.StatusCode);
        Assert.Contains("billing-eu.yml", await eu.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("billing", ConfigServerProcess.Resolve(plain, "shop.greeting")!.GetValue<string>());
    }

    [Theory]
    [InlineData("duplicate-keys.yml", "shop:\n  greeting: one\n  greeting: two\n")]
    [InlineData("legacy-profiles.yml", "shop:\n  greeting: one\n---\nspring:\n  profiles: Development\nshop:\n  greeting: two\n")]
    public async Task a_file_spring_boot_refuses_is_a_500_that_names_it(string file, string content)
    {
        server.Write(file, content);

        using var response = await server.Client.GetAsync($"/{Path.GetFileNameWithoutExtension(file)}/default");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains(Path.Combine(server.RepositoryFolder, file), JsonNode.Parse(await response.Content.ReadAsStringAsync())!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
