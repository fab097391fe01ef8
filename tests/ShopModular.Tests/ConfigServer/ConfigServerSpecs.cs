using System.Net;
using System.Text.Json.Nodes;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.ConfigServer;

/// <summary>
/// The development config server answers as the genuine Spring Cloud Config server's native repository does
/// (protocol notes, 3.1): the Environment documents of <c>golden/</c>, written from the genuine server's source
/// (NativeEnvironmentRepository over Spring Boot's config data loading) for the files of <c>repo/</c>.
/// </summary>
public sealed class ConfigServerSpecs(SpecRepositoryConfigServer server) : IClassFixture<SpecRepositoryConfigServer>
{
    public static TheoryData<string, string> GoldenRequests => new()
    {
        // {app}.properties before {app}.yml before application.yml; application.yml's Development document left out.
        { "/orders/default", "orders-default.json" },
        // Profile-specific files first; the Development document of application.yml keeps its file's place.
        { "/orders/Development", "orders-Development.json" },
        // The last profile first, even its application-{profile} before the earlier profile's {app}-{profile}.
        { "/orders/Development,eu", "orders-Development,eu.json" },
        // The label's subfolder before the files without a label, after the profile-specific ones.
        { "/orders/Development/v2", "orders-Development-v2.json" },
        // (_) stands for a slash in a label.
        { "/orders/default/release(_)1", "orders-default-release(_)1.json" },
        // The .yaml spelling.
        { "/users/default", "users-default.json" },
        // An application without files of its own gets what all applications share.
        { "/unknown/default", "unknown-default.json" },
    };

    [Theory]
    [MemberData(nameof(GoldenRequests))]
    public async Task answers_with_the_golden_environment_document(string path, string golden)
    {
        var expected = JsonNode.Parse((await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "ConfigServer", "golden", golden)))
            .Replace("{repo}", server.RepositoryFolder, StringComparison.Ordinal))!;

        var actual = await server.EnvironmentAsync(path);

        Assert.Equal(expected.ToJsonString(), actual.ToJsonString());
    }

    [Fact]
    public async Task the_first_source_wins_as_clients_read_it()
    {
        var development = await server.EnvironmentAsync("/orders/Development");
        var both = await server.EnvironmentAsync("/orders/Development,eu");
        var labelled = await server.EnvironmentAsync("/orders/Development/v2");

        Assert.Equal("hello from orders.properties", Text(development, "shop.greeting"));
        Assert.Equal(5, Value(development, "shop.limits.rate")!.GetValue<int>());
        Assert.Equal("7", Text(development, "shop.limits.burst"));
        Assert.Equal(50, Value(both, "shop.limits.rate")!.GetValue<int>());
        Assert.Equal("hello from v2/orders.yml", Text(labelled, "shop.greeting"));
    }

    [Fact]
    public async Task yaml_is_flattened_with_typed_scalars_and_indexed_lists()
    {
        var shared = Sources(await server.EnvironmentAsync("/unknown/default"))[0];

        Assert.Equal(["search", "reviews"], [shared["shop.features[0]"]!.GetValue<string>(), shared["shop.features[1]"]!.GetValue<string>()]);
        Assert.Equal("/b", shared["shop.routes[1].path"]!.GetValue<string>());
        Assert.Equal(1, shared["shop.routes[0].weight"]!.GetValue<int>());
        Assert.True(shared["shop.legacy-flag"]!.GetValue<bool>());
        Assert.Equal(8, shared["shop.octal"]!.GetValue<int>());
        Assert.Equal("007", shared["shop.quoted"]!.GetValue<string>());
        Assert.Equal(string.Empty, shared["shop.nothing"]!.GetValue<string>());
        Assert.Equal(string.Empty, shared["shop.empty-list"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_json_file_is_not_read_as_the_genuine_native_repository_reads_none()
    {
        var products = await server.EnvironmentAsync("/products/default");

        Assert.DoesNotContain(Sources(products), source => source.ToJsonString().Contains("genuine native repository", StringComparison.Ordinal));
        Assert.Equal("hello from application.yml", Text(products, "shop.greeting"));
    }

    [Fact]
    public async Task an_unknown_label_is_404_and_the_default_label_without_a_folder_is_not()
    {
        using var unknown = await server.Client.GetAsync("/orders/default/no-such-label");
        using var master = await server.Client.GetAsync("/orders/default/master");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var error = JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!;
        Assert.Equal(404, error["status"]!.GetValue<int>());
        Assert.Equal("Not Found", error["error"]!.GetValue<string>());
        Assert.Equal("/orders/default/no-such-label", error["path"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, master.StatusCode);
    }

    [Theory]
    [InlineData("/orders/default/v1..v2")]
    [InlineData("/orders/default/(_)etc")]
    [InlineData("/orders/-dev")]
    [InlineData("/orders/dev%20ops")]
    public async Task a_label_or_profile_that_could_leave_the_repository_is_400(string path)
    {
        using var response = await server.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task an_empty_repository_answers_200_with_no_property_sources()
    {
        var emptyServer = await ConfigServerProcess.StartWithEmptyRepositoryAsync();
        try
        {
            var expected = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "ConfigServer", "golden", "empty-repo-orders-default.json")))!;

            var actual = await emptyServer.EnvironmentAsync("/orders/default");

            Assert.Equal(expected.ToJsonString(), actual.ToJsonString());
        }
        finally
        {
            await emptyServer.DisposeAsync();
        }
    }

    [Fact]
    public async Task health_is_up_without_credentials()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };

        var health = JsonNode.Parse(await anonymous.GetStringAsync("/actuator/health"))!;

        Assert.Equal("UP", health["status"]!.GetValue<string>());
    }

    private static JsonNode? Value(JsonObject environment, string key) => ConfigServerProcess.Resolve(environment, key);

    private static string? Text(JsonObject environment, string key) => Value(environment, key)?.GetValue<string>();

    private static List<JsonObject> Sources(JsonObject environment) =>
        [.. environment["propertySources"]!.AsArray().Select(source => source!["source"]!.AsObject())];
}
