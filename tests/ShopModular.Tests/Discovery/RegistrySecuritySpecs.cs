using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Alba;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Discovery;

/// <summary>
/// The development registry trusts only its clients: every change needs its credentials (anyone else on the machine
/// could otherwise send the gateway's traffic wherever they like), and a registration its readers could not use
/// safely is refused with a 400, never stored to break them later. Each spec is one of issue 11's probes.
/// </summary>
public sealed class RegistrySecuritySpecs : IAsyncLifetime
{
    private const string ProductsInstance = "/eureka/apps/PRODUCTS/127.0.0.1:products:5082";

    private IAlbaHost _registry = null!;

    public async Task InitializeAsync()
    {
        _registry = await RegistrySpecs.StartAsync();
        // The real instance, registered by its own process with the credentials.
        await SendAsync(HttpMethod.Post, "/eureka/apps/PRODUCTS", Registration("PRODUCTS", "127.0.0.1:products:5082", "127.0.0.1", 5082), RegistrySpecs.Credentials, 204);
    }

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    public static TheoryData<string, string, string?> WritesOfAnAttacker => new()
    {
        // A rogue instance of Products at the attacker's address, which the gateway would send requests to.
        { "POST", "/eureka/apps/PRODUCTS", Registration("PRODUCTS", "evil:products:6666", "127.0.0.1", 6666).ToJsonString() },
        // An address on the broker's management port: the gateway as a proxy into it.
        { "POST", "/eureka/apps/PRODUCTS", Registration("PRODUCTS", "ssrf:products:55673", "127.0.0.1", 55673).ToJsonString() },
        // The real instance out of service, its override removed, its lease cancelled, renewed, its metadata changed.
        { "PUT", $"{ProductsInstance}/status?value=OUT_OF_SERVICE", null },
        { "DELETE", $"{ProductsInstance}/status", null },
        { "DELETE", ProductsInstance, null },
        { "PUT", $"{ProductsInstance}?status=UP", null },
        { "PUT", $"{ProductsInstance}/metadata?prometheus.port=55673", null },
        // The status page only reads.
        { "POST", "/", null },
    };

    [Theory]
    [MemberData(nameof(WritesOfAnAttacker))]
    public async Task a_change_without_the_credentials_is_401_and_changes_nothing(string method, string url, string? body)
    {
        var before = await RegistryTextAsync();

        var anonymous = await SendAsync(new HttpMethod(method), url, body is null ? null : JsonNode.Parse(body), credentials: null, expectedStatus: 401);
        await SendAsync(new HttpMethod(method), url, body is null ? null : JsonNode.Parse(body), RegistryProcess.BasicHeader("registry-spec", "a-guess"), expectedStatus: 401);

        Assert.Equal("Basic realm=\"eureka\"", anonymous.Context.Response.Headers.WWWAuthenticate.ToString());
        Assert.Equal(before, await RegistryTextAsync());
    }

    [Theory]
    [InlineData("/eureka/apps")]
    [InlineData("/")] // the status page lists the same instances
    public async Task reads_stay_open_unless_configured_otherwise(string url)
    {
        await using var closed = await RegistrySpecs.StartAsync(builder => builder.UseSetting("Registry:ReadsNeedCredentials", "true"));

        await _registry.Scenario(s =>
        {
            s.Get.Url(url);
            s.StatusCodeShouldBe(200);
        });
        var refused = await closed.Scenario(s =>
        {
            s.Get.Url(url);
            s.StatusCodeShouldBe(401);
        });
        await closed.Scenario(s =>
        {
            s.Get.Url(url);
            s.WithRequestHeader("Authorization", RegistrySpecs.Credentials.ToString());
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal("Basic realm=\"eureka\"", refused.Context.Response.Headers.WWWAuthenticate.ToString());
    }

    public static TheoryData<string, string> HostileRegistrations => new()
    {
        // Each broke a reader of the registry: the gateway's routing table, Prometheus' XML, or eviction.
        { """{"hostName":"bad host"}""", "Invalid hostName" },
        { """{"hostName":"evil.example/steal?x="}""", "Invalid hostName" },
        { """{"ipAddr":"not-an-address"}""", "Invalid ipAddr" },
        { """{"port":{"$":0,"@enabled":"true"}}""", "Invalid port" },
        { """{"port":{"$":70000,"@enabled":"true"}}""", "Invalid port" },
        { """{"port":{"$":"eighty","@enabled":"true"}}""", "Invalid port" },
        { """{"leaseInfo":{"renewalIntervalInSecs":5,"durationInSecs":2147483647}}""", "Invalid leaseInfo.durationInSecs" },
        { """{"leaseInfo":{"renewalIntervalInSecs":0,"durationInSecs":15}}""", "Invalid leaseInfo.renewalIntervalInSecs" },
        { """{"metadata":{"bad key":"x"}}""", "Invalid metadata key" },
        { """{"metadata":{"1st":"x"}}""", "Invalid metadata key" },
        { """{"metadata":{"nested":{"a":"b"}}}""", "Invalid metadata value" },
        { """{"metadata":{"ok":"bell\u0007"}}""", "Invalid instance" },
        { """{"bad field":"x"}""", "Invalid instance" },
    };

    [Theory]
    [MemberData(nameof(HostileRegistrations))]
    public async Task a_registration_its_readers_could_not_use_is_400_and_not_stored(string overrides, string message)
    {
        var before = await RegistryTextAsync();
        var instance = Registration("PRODUCTS", "hostile:products:1", "127.0.0.1", 7001)["instance"]!.AsObject();
        foreach (var (field, value) in JsonNode.Parse(overrides)!.AsObject())
        {
            instance[field] = value?.DeepClone();
        }

        var result = await SendAsync(HttpMethod.Post, "/eureka/apps/PRODUCTS", new JsonObject { ["instance"] = instance.DeepClone() }, RegistrySpecs.Credentials, 400);

        Assert.StartsWith(message, await result.ReadAsTextAsync(), StringComparison.Ordinal);
        Assert.Equal(before, await RegistryTextAsync());
        XDocument.Parse(await RegistryXmlAsync());
    }

    [Fact]
    public async Task a_registration_naming_a_field_twice_is_400_and_not_stored()
    {
        var before = await RegistryTextAsync();
        var twice = Registration("PRODUCTS", "twice:products:7004", "127.0.0.1", 7004).ToJsonString()
            .Replace("\"hostName\":\"127.0.0.1\"", "\"hostName\":\"127.0.0.1\",\"hostName\":\"10.6.6.6\"", StringComparison.Ordinal);

        await _registry.Scenario(s =>
        {
            s.Post.Text(twice).ToUrl("/eureka/apps/PRODUCTS");
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithRequestHeader("Authorization", RegistrySpecs.Credentials.ToString());
            s.StatusCodeShouldBe(400);
        });

        Assert.Equal(before, await RegistryTextAsync());
    }

    [Fact]
    public async Task a_metadata_change_with_a_key_xml_cannot_carry_is_400_and_the_xml_still_reads()
    {
        await SendAsync(HttpMethod.Put, $"{ProductsInstance}/metadata?bad%20key=x", null, RegistrySpecs.Credentials, 400);

        var instance = XDocument.Parse(await RegistryXmlAsync()).Root!.Element("application")!.Element("instance")!;
        Assert.Equal("5082", instance.Element("port")!.Value);
    }

    [Fact]
    public async Task a_numeric_vip_address_is_kept_as_text_and_found_by_vips()
    {
        var instance = Registration("NUMBERS", "127.0.0.1:numbers:7002", "127.0.0.1", 7002);
        instance["instance"]!["vipAddress"] = 123;
        await SendAsync(HttpMethod.Post, "/eureka/apps/NUMBERS", instance, RegistrySpecs.Credentials, 204);

        var json = await _registry.Scenario(s =>
        {
            s.Get.Url("/eureka/vips/123");
            s.WithRequestHeader("Accept", "application/json");
            s.StatusCodeShouldBe(200);
        });
        var xml = await _registry.Scenario(s =>
        {
            s.Get.Url("/eureka/vips/123");
            s.StatusCodeShouldBe(200);
        });

        var found = JsonNode.Parse(await json.ReadAsTextAsync())!["applications"]!["application"]![0]!["instance"]![0]!;
        Assert.Equal("123", found["vipAddress"]!.GetValue<string>());
        Assert.Equal("123", XDocument.Parse(await xml.ReadAsTextAsync()).Root!.Element("application")!.Element("instance")!.Element("vipAddress")!.Value);
    }

    [Fact]
    public async Task a_registration_over_the_size_limit_is_413_and_not_stored()
    {
        var before = await RegistryTextAsync();
        var instance = Registration("PRODUCTS", "large:products:7003", "127.0.0.1", 7003);
        instance["instance"]!["metadata"] = new JsonObject { ["padding"] = new string('x', 4 * 1024 * 1024) };

        await SendAsync(HttpMethod.Post, "/eureka/apps/PRODUCTS", instance, RegistrySpecs.Credentials, 413);

        Assert.Equal(before, await RegistryTextAsync());
    }

    [Fact]
    public async Task a_registry_process_without_credentials_refuses_to_start()
    {
        using var registry = RegistryProcess.Start(Repository.FreePort(), userName: null, password: null);
        var stderr = registry.StandardError.ReadToEndAsync();
        try
        {
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await registry.WaitForExitAsync(exited.Token);

            Assert.NotEqual(0, registry.ExitCode);
            Assert.Contains("Registry:UserName", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (!registry.HasExited)
            {
                registry.Kill();
            }
        }
    }

    private async Task<IScenarioResult> SendAsync(HttpMethod method, string url, JsonNode? body, System.Net.Http.Headers.AuthenticationHeaderValue? credentials, int expectedStatus) =>
        await _registry.Scenario(s =>
        {
            s.ConfigureHttpContext(context =>
            {
                context.Request.Method = method.Method;
                context.Request.Path = url.Split('?')[0];
                context.Request.QueryString = new Microsoft.AspNetCore.Http.QueryString(url.Contains('?', StringComparison.Ordinal) ? url[url.IndexOf('?', StringComparison.Ordinal)..] : "");
                if (body is not null)
                {
                    var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
                    context.Request.ContentType = "application/json";
                    context.Request.ContentLength = bytes.Length;
                    context.Request.Body = new MemoryStream(bytes);
                }
            });
            if (credentials is not null)
            {
                s.WithRequestHeader("Authorization", credentials.ToString());
            }

            s.StatusCodeShouldBe(expectedStatus);
        });

    /// <summary>The whole registry in JSON, to compare before and after (reads change nothing in it).</summary>
    private async Task<string> RegistryTextAsync()
    {
        var result = await _registry.Scenario(s =>
        {
            s.Get.Url("/eureka/apps");
            s.WithRequestHeader("Accept", "application/json");
        });
        return await result.ReadAsTextAsync();
    }

    private async Task<string> RegistryXmlAsync()
    {
        var result = await _registry.Scenario(s =>
        {
            s.Get.Url("/eureka/apps");
            s.StatusCodeShouldBe(200);
        });
        return await result.ReadAsTextAsync();
    }

    private static JsonObject Registration(string app, string id, string hostName, int port)
    {
        var instance = StubRegistry.Instance(app, hostName, port);
        instance["instanceId"] = id;
        instance["leaseInfo"] = new JsonObject { ["renewalIntervalInSecs"] = 5, ["durationInSecs"] = 15 };
        return new JsonObject { ["instance"] = instance };
    }
}
