using System.Net;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Alba;
using ShopModular.Registry;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Discovery;

/// <summary>The development registry answers as the genuine Eureka server does (protocol notes, section 1).</summary>
public sealed class RegistrySpecs : IAsyncLifetime
{
    /// <summary>The instance most specs register (h1:orders:5001), by its path in the REST API.</summary>
    private const string OrdersInstance = "/eureka/apps/ORDERS/h1:orders:5001";

    /// <summary>What a client that registered once sends with every heartbeat and registration: its own, unchanged.</summary>
    private const long ClientDirtyTimestamp = 1_700_000_000_000;

    private IAlbaHost _registry = null!;

    public async Task InitializeAsync()
    {
        _registry = await StartAsync();
        // The specs here are about the protocol: every request carries the registry's credentials, as our clients'
        // do. What happens without them is RegistrySecuritySpecs'.
        _registry.BeforeEach(context => context.Request.Headers.Authorization = Credentials.ToString());
    }

    /// <summary>The registry's credentials, as a Basic header.</summary>
    internal static System.Net.Http.Headers.AuthenticationHeaderValue Credentials { get; } = RegistryProcess.BasicHeader("registry-spec", "registry-spec-password");

    /// <summary>The registry in memory, with the credentials of <see cref="Credentials"/> and fast eviction.</summary>
    internal static Task<IAlbaHost> StartAsync(Action<Microsoft.AspNetCore.Hosting.IWebHostBuilder>? configure = null) =>
        AlbaHost.For<EurekaRegistry>(builder =>
        {
            builder.UseSetting("Registry:EvictionInterval", "00:00:00.100");
            builder.UseSetting("Registry:UserName", "registry-spec");
            builder.UseSetting("Registry:Password", "registry-spec-password");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            configure?.Invoke(builder);
        });

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    [Fact]
    public async Task a_registered_instance_is_listed_in_json_with_the_genuine_shapes()
    {
        await RegisterAsync("orders", "h1:orders:5001", port: 5001);

        var apps = await GetJsonAsync("/eureka/apps");

        var applications = apps["applications"]!;
        Assert.Equal("UP_1_", applications["apps__hashcode"]!.GetValue<string>());
        var instance = applications["application"]![0]!["instance"]![0]!;
        Assert.Equal("ORDERS", applications["application"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("h1:orders:5001", instance["instanceId"]!.GetValue<string>());
        Assert.Equal(5001, instance["port"]!["$"]!.GetValue<long>());
        Assert.Equal("true", instance["port"]!["@enabled"]!.GetValue<string>());
        Assert.Equal("9100", instance["metadata"]!["prometheus.port"]!.GetValue<string>());
        Assert.Equal(30, instance["leaseInfo"]!["durationInSecs"]!.GetValue<int>());
    }

    [Fact]
    public async Task answers_in_xml_when_the_client_does_not_ask_for_json()
    {
        await RegisterAsync("orders", "h1:orders:5001", port: 5001);

        var result = await _registry.Scenario(s => s.Get.Url("/eureka/apps"));

        Assert.StartsWith("application/xml", result.Context.Response.ContentType, StringComparison.Ordinal);
        var xml = XDocument.Parse(await result.ReadAsTextAsync()).Root!;
        Assert.Equal("applications", xml.Name.LocalName);
        Assert.Equal("UP_1_", xml.Element("apps__hashcode")!.Value);
        var instance = xml.Element("application")!.Element("instance")!;
        Assert.Equal("5001", instance.Element("port")!.Value);
        Assert.Equal("true", instance.Element("port")!.Attribute("enabled")!.Value);
        Assert.Equal("MyOwn", instance.Element("dataCenterInfo")!.Element("name")!.Value);
        Assert.Equal("9100", instance.Element("metadata")!.Element("prometheus.port")!.Value);
        Assert.Equal("local", instance.Element("metadata")!.Element("zone__name")!.Value); // XStream's escaping
    }

    [Theory]
    [InlineData("hostName", "Missing hostname")]
    [InlineData("ipAddr", "Missing ip address")]
    [InlineData("dataCenterInfo", "Missing dataCenterInfo")]
    public async Task rejects_a_registration_without_a_required_field_as_the_genuine_server_does(string field, string message)
    {
        var instance = Instance("orders", "h1:orders:5001", 5001);
        instance.Remove(field);

        var result = await _registry.Scenario(s =>
        {
            s.Post.Json(new JsonObject { ["instance"] = instance }).ToUrl("/eureka/apps/ORDERS");
            s.StatusCodeShouldBe(400);
        });

        Assert.Equal(message, await result.ReadAsTextAsync());
        Assert.Equal(string.Empty, (await GetJsonAsync("/eureka/apps"))["applications"]!["apps__hashcode"]!.GetValue<string>());
    }

    [Fact]
    public async Task rejects_a_registration_for_another_application()
    {
        var result = await _registry.Scenario(s =>
        {
            s.Post.Json(new JsonObject { ["instance"] = Instance("orders", "h1:orders:5001", 5001) }).ToUrl("/eureka/apps/PRODUCTS");
            s.StatusCodeShouldBe(400);
        });

        Assert.Equal("Mismatched appName, expecting PRODUCTS but was ORDERS", await result.ReadAsTextAsync());
    }

    [Fact]
    public async Task a_heartbeat_for_an_unknown_instance_is_404_so_the_client_registers_again()
    {
        await _registry.Scenario(s =>
        {
            s.Put.Url("/eureka/apps/ORDERS/nobody:orders:1?status=UP&lastDirtyTimestamp=1");
            s.StatusCodeShouldBe(404);
        });
        await RegisterAsync("orders", "h1:orders:5001", port: 5001);
        await _registry.Scenario(s =>
        {
            s.Put.Url("/eureka/apps/ORDERS/h1:orders:5001?status=UP");
            s.StatusCodeShouldBe(200);
        });
    }

    [Fact]
    public async Task a_cancelled_instance_leaves_and_the_delta_says_so()
    {
        await RegisterAsync("orders", "h1:orders:5001", port: 5001);
        await RegisterAsync("orders", "h2:orders:5002", port: 5002);

        await _registry.Scenario(s =>
        {
            s.Delete.Url("/eureka/apps/ORDERS/h1:orders:5001");
            s.StatusCodeShouldBe(200);
        });
        await _registry.Scenario(s =>
        {
            s.Delete.Url("/eureka/apps/ORDERS/h1:orders:5001");
            s.StatusCodeShouldBe(404);
        });

        var delta = (await GetJsonAsync("/eureka/apps/delta"))["applications"]!;
        var changes = delta["application"]![0]!["instance"]!.AsArray()
            .Select(instance => (instance!["instanceId"]!.GetValue<string>(), instance["actionType"]!.GetValue<string>()));
        Assert.Equal("UP_1_", delta["apps__hashcode"]!.GetValue<string>());
        Assert.Equal([("h1:orders:5001", "ADDED"), ("h2:orders:5002", "ADDED"), ("h1:orders:5001", "DELETED")], changes);
    }

    [Fact]
    public async Task an_instance_that_stops_renewing_is_evicted_when_its_lease_lapses()
    {
        await RegisterAsync("orders", "h1:orders:5001", port: 5001, leaseSeconds: 1);

        // Lease of one second, eviction every 100 ms: bounded polling on what a client would see.
        await Eventually.UntilAsync(
            async () => (await GetJsonAsync("/eureka/apps"))["applications"]!["application"]!.AsArray().Count == 0,
            TimeSpan.FromSeconds(30),
            () => "The lapsed lease was never evicted.");

        await _registry.Scenario(s =>
        {
            s.Get.Url("/eureka/apps/ORDERS");
            s.StatusCodeShouldBe(404);
        });
    }

    [Fact]
    public async Task takes_a_registration_in_xml_as_java_clients_send_it()
    {
        var instance = EurekaXml.From(new JsonObject { ["instance"] = Instance("orders", "h1:orders:5001", port: 5001) }).ToString();

        await _registry.Scenario(s =>
        {
            s.Post.Text(instance).ToUrl("/eureka/apps/ORDERS");
            s.WithRequestHeader("Content-Type", "application/xml");
            s.StatusCodeShouldBe((int)HttpStatusCode.NoContent);
        });

        var registered = (await GetJsonAsync(OrdersInstance))["instance"]!;
        Assert.Equal(5001, registered["port"]!["$"]!.GetValue<long>());
        Assert.Equal("true", registered["port"]!["@enabled"]!.GetValue<string>());
        Assert.Equal("com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", registered["dataCenterInfo"]!["@class"]!.GetValue<string>());
        Assert.Equal("local", registered["metadata"]!["zone_name"]!.GetValue<string>()); // unescaped from zone__name
    }

    [Theory]
    [InlineData("application/xml", "<instance><hostName>h1</hostName>")]
    [InlineData("application/xml", "<!DOCTYPE instance [<!ENTITY x \"y\">]><instance>&x;</instance>")]
    [InlineData("application/xml", "<application/>")]
    [InlineData("text/plain", "h1")]
    public async Task a_registration_body_that_is_not_an_instance_is_refused(string contentType, string body)
    {
        await _registry.Scenario(s =>
        {
            s.Post.Text(body).ToUrl("/eureka/apps/ORDERS");
            s.WithRequestHeader("Content-Type", contentType);
            s.StatusCodeShouldBe(contentType == "text/plain" ? 415 : 400);
        });

        Assert.Equal("", (await GetJsonAsync("/eureka/apps"))["applications"]!["apps__hashcode"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_operator_takes_an_instance_out_of_service_and_heartbeats_do_not_bring_it_back()
    {
        await RegisterAsync("orders", "h1:orders:5001", port: 5001, lastDirtyTimestamp: ClientDirtyTimestamp);

        await SendAsync(HttpMethod.Put, $"{OrdersInstance}/status?value=OUT_OF_SERVICE", 200);
        await SendAsync(HttpMethod.Put, $"{OrdersInstance}?status=UP&lastDirtyTimestamp={ClientDirtyTimestamp}", 200);
        await RegisterAsync("orders", "h1:orders:5001", port: 5001, lastDirtyTimestamp: ClientDirtyTimestamp);

        var instance = (await GetJsonAsync(OrdersInstance))["instance"]!;
        Assert.Equal("OUT_OF_SERVICE", instance["status"]!.GetValue<string>());
        Assert.Equal("OUT_OF_SERVICE", instance["overriddenStatus"]!.GetValue<string>());
        var delta = (await GetJsonAsync("/eureka/apps/delta"))["applications"]!;
        Assert.Equal("OUT_OF_SERVICE_1_", delta["apps__hashcode"]!.GetValue<string>());
        Assert.Contains(delta["application"]![0]!["instance"]!.AsArray(), change => change!["actionType"]!.GetValue<string>() == "MODIFIED");
    }

    [Fact]
    public async Task removing_the_override_makes_the_next_heartbeat_404_so_the_client_registers_again()
    {
        await RegisterAsync("orders", "h1:orders:5001", port: 5001, lastDirtyTimestamp: ClientDirtyTimestamp);
        await SendAsync(HttpMethod.Put, $"{OrdersInstance}/status?value=OUT_OF_SERVICE", 200);

        await SendAsync(HttpMethod.Delete, $"{OrdersInstance}/status", 200);
        await SendAsync(HttpMethod.Put, $"{OrdersInstance}?status=UP&lastDirtyTimestamp={ClientDirtyTimestamp}", 404);
        await RegisterAsync("orders", "h1:orders:5001", port: 5001, lastDirtyTimestamp: ClientDirtyTimestamp);

        var instance = (await GetJsonAsync(OrdersInstance))["instance"]!;
        Assert.Equal("UP", instance["status"]!.GetValue<string>());
        Assert.Equal("UNKNOWN", instance["overriddenStatus"]!.GetValue<string>());
    }

    [Fact]
    public async Task merges_metadata_from_the_query_string()
    {
        await RegisterAsync("orders", "h1:orders:5001", port: 5001);

        await SendAsync(HttpMethod.Put, $"{OrdersInstance}/metadata?version=2&zone_name=east", 200);

        var metadata = (await GetJsonAsync(OrdersInstance))["instance"]!["metadata"]!;
        Assert.Equal("2", metadata["version"]!.GetValue<string>());
        Assert.Equal("east", metadata["zone_name"]!.GetValue<string>());
        Assert.Equal("9100", metadata["prometheus.port"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/eureka/apps/ORDERS/h1:orders:5001/status?value=RESTING")]
    [InlineData($"{OrdersInstance}/status")]
    public async Task an_override_to_no_known_status_is_400(string url)
    {
        await RegisterAsync("orders", "h1:orders:5001", port: 5001);

        await SendAsync(HttpMethod.Put, url, 400);

        Assert.Equal("UP", (await GetJsonAsync(OrdersInstance))["instance"]!["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("PUT", "/eureka/apps/ORDERS/h9:orders:1/status?value=OUT_OF_SERVICE")]
    [InlineData("DELETE", "/eureka/apps/ORDERS/h9:orders:1/status")]
    [InlineData("PUT", "/eureka/apps/ORDERS/h9:orders:1/metadata?version=2")]
    public async Task changes_to_an_unknown_instance_are_404(string method, string url) =>
        await SendAsync(new HttpMethod(method), url, 404);

    private async Task SendAsync(HttpMethod method, string url, int expectedStatus) =>
        await _registry.Scenario(s =>
        {
            s.ConfigureHttpContext(context =>
            {
                context.Request.Method = method.Method;
                context.Request.Path = url.Split('?')[0];
                context.Request.QueryString = new Microsoft.AspNetCore.Http.QueryString(url.Contains('?', StringComparison.Ordinal) ? url[url.IndexOf('?', StringComparison.Ordinal)..] : "");
            });
            s.StatusCodeShouldBe(expectedStatus);
        });

    private async Task RegisterAsync(string app, string id, int port, int leaseSeconds = 30, long? lastDirtyTimestamp = null) =>
        await _registry.Scenario(s =>
        {
            var instance = Instance(app, id, port, leaseSeconds);
            if (lastDirtyTimestamp is { } dirty)
            {
                instance["lastDirtyTimestamp"] = dirty.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            s.Post.Json(new JsonObject { ["instance"] = instance }).ToUrl($"/eureka/apps/{app.ToUpperInvariant()}");
            s.StatusCodeShouldBe((int)HttpStatusCode.NoContent);
        });

    private async Task<JsonNode> GetJsonAsync(string url)
    {
        var result = await _registry.Scenario(s =>
        {
            s.Get.Url(url);
            s.WithRequestHeader("Accept", "application/json");
        });
        return JsonNode.Parse(await result.ReadAsTextAsync())!;
    }

    private static JsonObject Instance(string app, string id, int port, int leaseSeconds = 30) => new()
    {
        ["instanceId"] = id,
        ["hostName"] = id.Split(':')[0],
        ["app"] = app.ToUpperInvariant(),
        ["ipAddr"] = "127.0.0.1",
        ["status"] = "UP",
        ["port"] = new JsonObject { ["$"] = port, ["@enabled"] = true },
        ["securePort"] = new JsonObject { ["$"] = 443, ["@enabled"] = false },
        ["vipAddress"] = app,
        ["dataCenterInfo"] = new JsonObject { ["@class"] = "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", ["name"] = "MyOwn" },
        ["leaseInfo"] = new JsonObject { ["renewalIntervalInSecs"] = 1, ["durationInSecs"] = leaseSeconds },
        ["metadata"] = new JsonObject { ["prometheus.port"] = "9100", ["zone_name"] = "local" },
    };
}
