using System.Diagnostics;
using System.Text.Json.Nodes;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.ConfigServer;

/// <summary>
/// Compatibility with independent clients (protocol notes, 4 and 6.5): the npm packages cloud-config-client and
/// spring-cloud-config (which wraps a fork of it, nice-cloud-config-client) read our config server, with its
/// credentials as the endpoint's userinfo, and see the values, precedence, lists, labels and errors that the golden
/// documents say. The server runs as a real process; the peers are installed on first use (<see cref="NodePeers"/>).
/// </summary>
public sealed class ConfigServerPeerSpecs(SpecRepositoryConfigServer server) : IClassFixture<SpecRepositoryConfigServer>
{
    private const string CloudConfigClient = "cloud-config-client";

    private const string SpringCloudConfig = "spring-cloud-config";

    private static readonly string[] Keys = ["shop.greeting", "shop.limits.rate", "shop.limits.burst", "shop.region", "shop.local"];

    [Theory]
    [InlineData(CloudConfigClient)]
    [InlineData(SpringCloudConfig)]
    public async Task sees_the_values_with_the_genuine_precedence(string client)
    {
        var development = await LoadAsync(client, "orders", ["Development"]);
        var both = await LoadAsync(client, "orders", ["Development", "eu"]);
        var unknown = await LoadAsync(client, "unknown", ["default"]);

        Assert.Equal("\"hello from orders.properties\"", Value(development, "shop.greeting"));
        Assert.Equal("5", Value(development, "shop.limits.rate"));
        Assert.Equal("\"7\"", Value(development, "shop.limits.burst"));
        Assert.Equal("50", Value(both, "shop.limits.rate"));
        Assert.Equal("\"eu\"", Value(both, "shop.region"));
        Assert.Equal("\"hello from application.yml\"", Value(unknown, "shop.greeting"));
        Assert.Equal("100", Value(unknown, "shop.limits.rate"));
    }

    [Fact]
    public async Task cloud_config_client_makes_lists_of_the_most_specific_source()
    {
        var development = await LoadAsync(CloudConfigClient, "orders", ["Development"]);
        var unknown = await LoadAsync(CloudConfigClient, "unknown", ["default"]);

        var shop = development["object"]!["shop"]!;
        Assert.Equal("[\"orders-only\"]", shop["features"]!.ToJsonString());
        Assert.Equal("[{\"path\":\"/a\",\"weight\":1},{\"path\":\"/b\"}]", shop["routes"]!.ToJsonString());
        Assert.Equal("[\"search\",\"reviews\"]", unknown["object"]!["shop"]!["features"]!.ToJsonString());
        Assert.Equal("1000", unknown["object"]!["shop"]!["scale"]!.ToJsonString());
        Assert.Equal("true", unknown["object"]!["shop"]!["enabled"]!.ToJsonString());
    }

    [Fact]
    public async Task spring_cloud_config_merges_the_server_over_its_local_file_key_by_key()
    {
        var development = await LoadAsync(SpringCloudConfig, "orders", ["Development"]);

        var shop = development["object"]!["shop"]!;
        Assert.Equal("only in the local application.yml", shop["local"]!.GetValue<string>());
        Assert.Equal("hello from orders.properties", shop["greeting"]!.GetValue<string>());
        // Its own conversion keeps "[i]" in the key and merges lists item by item across sources.
        Assert.Equal("orders-only", shop["features[0]"]!.GetValue<string>());
        Assert.Equal("reviews", shop["features[1]"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(CloudConfigClient)]
    [InlineData(SpringCloudConfig)]
    public async Task reads_a_label_and_a_label_with_a_slash(string client)
    {
        var v2 = await LoadAsync(client, "orders", ["Development"], label: "v2");
        var release = await LoadAsync(client, "orders", ["default"], label: "release(_)1");

        Assert.Equal("\"hello from v2/orders.yml\"", Value(v2, "shop.greeting"));
        Assert.Equal("5", Value(v2, "shop.limits.rate"));
        Assert.Equal("\"hello from release/1/orders.yml\"", Value(release, "shop.greeting"));
    }

    [Theory]
    [InlineData(CloudConfigClient)]
    [InlineData(SpringCloudConfig)]
    public async Task an_unknown_label_and_wrong_credentials_are_errors(string client)
    {
        var unknownLabel = await LoadAsync(client, "orders", ["default"], label: "no-such-label", expectOk: false);
        var wrongPassword = await LoadAsync(client, "orders", ["default"], endpoint: $"http://{server.UserName}:a-guess@127.0.0.1:{server.Port}", expectOk: false);

        Assert.Equal("Invalid response: 404", unknownLabel["error"]!.GetValue<string>());
        Assert.Equal("Invalid response: 401", wrongPassword["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_empty_repository_gives_no_values_and_no_error()
    {
        var emptyServer = await ConfigServerProcess.StartWithEmptyRepositoryAsync();
        try
        {
            var plain = await LoadAsync(CloudConfigClient, "orders", ["default"], endpoint: emptyServer.UrlWithCredentials);
            var wrapped = await LoadAsync(SpringCloudConfig, "orders", ["default"], endpoint: emptyServer.UrlWithCredentials);

            Assert.Equal("{}", plain["properties"]!.ToJsonString());
            // The peer's own limit, the same against the genuine server: toObject() fails on an answer with no sources.
            Assert.Equal("Cannot convert undefined or null to object", plain["objectError"]!.GetValue<string>());
            Assert.Equal("\"the local greeting\"", Value(wrapped, "shop.greeting"));
        }
        finally
        {
            await emptyServer.DisposeAsync();
        }
    }

    /// <summary>A value the peer reported, as JSON (so a string is quoted and a number is not); null when it has none.</summary>
    private static string? Value(JsonNode report, string key) => report["values"]![key]?.ToJsonString();

    private async Task<JsonNode> LoadAsync(string client, string name, string[] profiles, string? label = null, string? endpoint = null, bool expectOk = true)
    {
        var request = new JsonObject
        {
            ["client"] = client,
            ["endpoint"] = endpoint ?? server.UrlWithCredentials,
            ["name"] = name,
            ["profiles"] = new JsonArray([.. profiles.Select(profile => (JsonNode)profile)]),
            ["keys"] = new JsonArray([.. Keys.Select(key => (JsonNode)key)]),
        };
        if (label is not null)
        {
            request["label"] = label;
        }

        var peers = NodePeers.Folder;
        using var peer = Process.Start(new ProcessStartInfo("node", [Path.Combine(peers, "cloud-config-peer.js"), request.ToJsonString()])
        {
            WorkingDirectory = peers,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = await peer.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = await peer.StandardError.ReadToEndAsync(timeout.Token);
        await peer.WaitForExitAsync(timeout.Token);
        var report = output.Split('\n').LastOrDefault(line => line.StartsWith('{')) is { } line
            ? JsonNode.Parse(line)!
            : throw new InvalidOperationException($"The peer reported nothing: {output} {errors}");
        Assert.True(report["ok"]!.GetValue<bool>() == expectOk, $"{client} {name}/{string.Join(',', profiles)}/{label}: {report.ToJsonString()}");
        return report;
    }
}
