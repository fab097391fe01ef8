using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ShopModular.ServiceDefaults.Discovery;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Gateway;

/// <summary>
/// The gateway trusts the registry only as far as it should: it routes a service to that service's own application,
/// forwards only to allowed addresses, lives through whatever the registry sends, says when its copy is stale, and
/// passes on none of the client's claims about forwarding or correlation it cannot vouch for. Each spec is one of
/// issue 11's probes.
/// </summary>
public sealed class GatewayTrustSpecs(RegistryProcess registry) : IClassFixture<RegistryProcess>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task an_instance_of_another_application_claiming_the_products_vip_address_gets_no_products_traffic()
    {
        await using var evil = await StubBackend.StartAsync("evil", registry.ServiceUrl);
        var claim = await registry.RegisterAsync("EVIL", evil.Port, vipAddress: "products");
        try
        {
            await using var gateway = await TestGateway.StartAsync(registry.ServiceUrl);
            await TestGateway.KnowsWithNoInstanceUpAsync(gateway, registry, "products");
            await TestGateway.SeesAsync(gateway, "evil");

            var result = await gateway.Scenario(s =>
            {
                s.Get.Url(StubBackend.EchoPath);
                s.StatusCodeShouldBe(503);
            });

            Assert.Contains("No instance of products", await result.ReadAsTextAsync(), StringComparison.Ordinal);
            Assert.Equal(0, evil.RequestsReceived);
        }
        finally
        {
            await registry.Client.DeleteAsync($"/eureka/apps/EVIL/{claim}");
        }
    }

    [Fact]
    public async Task an_application_declaring_another_ones_route_prefix_or_a_path_outside_the_api_gets_none_of_its_traffic()
    {
        await using var stub = await StubRegistry.StartAsync();
        await using var products = await StubBackend.StartAsync("products", registryUrl: null);
        await using var evil = await StubBackend.StartAsync("evil", registryUrl: null);
        var productsInstance = ("PRODUCTS", (JsonNode)StubRegistry.Instance("PRODUCTS", "127.0.0.1", products.Port, "/api/products"));
        stub.Serve(productsInstance);
        await using var gateway = await TestGateway.StartAsync(stub.ServiceUrl());
        await TestGateway.SeesAsync(gateway, "products");

        stub.Serve(productsInstance, ("EVIL", StubRegistry.Instance("EVIL", "127.0.0.1", evil.Port, "/api/products", "/api", "/health", "/api/../x")));
        await TestGateway.SeesAsync(gateway, "evil");
        await gateway.Scenario(s =>
        {
            s.Get.Url(StubBackend.EchoPath);
            s.StatusCodeShouldBe(200);
        });
        await gateway.Scenario(s =>
        {
            s.Get.Url("/api/payments");
            s.StatusCodeShouldBe(404);
        });
        await gateway.Scenario(s =>
        {
            s.Get.Url("/health/anything");
            s.StatusCodeShouldBe(404);
        });

        Assert.Equal(1, products.RequestsReceived);
        Assert.Equal(0, evil.RequestsReceived);
    }

    [Fact]
    public async Task an_instance_outside_the_allowed_networks_or_under_a_host_name_is_never_forwarded_to()
    {
        await using var products = await StubBackend.StartAsync("products", registry.ServiceUrl);
        // A name, not an address: it could resolve anywhere after any check.
        var named = await registry.RegisterAsync("USERS", products.Port, hostName: "localhost", routePrefixes: "/api/users");
        try
        {
            await using var outside = await TestGateway.StartAsync(registry.ServiceUrl, configure: builder =>
                builder.UseSetting("Gateway:AllowedBackendNetworks:0", "10.0.0.0/8"));
            await using var development = await TestGateway.StartAsync(registry.ServiceUrl);
            await TestGateway.SeesAsync(outside, "products", "users");
            await TestGateway.SeesAsync(development, "products", "users");

            // Nor does such an instance declare a route: only the instances the gateway would forward to do, so these
            // paths are no route at all (404).
            await outside.Scenario(s =>
            {
                s.Get.Url(StubBackend.EchoPath);
                s.StatusCodeShouldBe(404);
            });
            await development.Scenario(s =>
            {
                s.Get.Url("/api/users/echo");
                s.StatusCodeShouldBe(404);
            });

            Assert.Equal(0, products.RequestsReceived);
            // Loopback, in Development, is allowed: the same backend, by its address, is reached.
            await development.Scenario(s =>
            {
                s.Get.Url(StubBackend.EchoPath);
                s.StatusCodeShouldBe(200);
            });
        }
        finally
        {
            await registry.Client.DeleteAsync($"/eureka/apps/USERS/{named}");
        }
    }

    [Fact]
    public async Task outside_development_the_gateway_refuses_to_start_without_allowed_networks()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => TestGateway.StartAsync(registry.ServiceUrl, configure: builder => builder.UseEnvironment("Production")));

        Assert.Contains("Gateway:AllowedBackendNetworks", refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_poisoned_or_unreadable_registry_leaves_routing_working_and_new_instances_are_still_picked_up()
    {
        await using var stub = await StubRegistry.StartAsync();
        await using var products = await StubBackend.StartAsync("products", registryUrl: null);
        await using var users = await StubBackend.StartAsync("users", registryUrl: null);
        stub.Serve("this is not a Eureka document {");
        await using var gateway = await TestGateway.StartAsync(stub.ServiceUrl());
        var routing = gateway.Services.GetRequiredService<EurekaClient>();
        await Eventually.UntilAsync(() => Task.FromResult(stub.Authorizations.Count >= 2), Timeout, () => "The gateway stopped fetching after an unreadable document.");
        // A name twice in one object: JSON parsers disagree on which one counts.
        stub.Serve("""{"applications":{"application":[{"name":"PRODUCTS","name":"ORDERS","instance":[]}]}}""");
        var fetchesSoFar = stub.Authorizations.Count;
        await Eventually.UntilAsync(() => Task.FromResult(stub.Authorizations.Count >= fetchesSoFar + 2), Timeout, () => "The gateway stopped fetching after a document naming a field twice.");

        // Every entry a hostile registration could make, beside the real instance.
        (string, JsonNode)[] poisoned =
        [
            ("PRODUCTS", StubRegistry.Instance("PRODUCTS", "bad host", 5082)),
            ("PRODUCTS", StubRegistry.Instance("PRODUCTS", "127.0.0.1", "eighty")),
            ("PRODUCTS", StubRegistry.Instance("PRODUCTS", "127.0.0.1", 99_999)),
            ("PRODUCTS", StubRegistry.Instance("PRODUCTS", "evil.example/x?", 80)),
            ("PRODUCTS", new JsonObject { ["instanceId"] = "no-host", ["status"] = "UP", ["port"] = 80 }),
            ("PRODUCTS", JsonValue.Create(42)),
            ("PRODUCTS", StubRegistry.Instance("PRODUCTS", "127.0.0.1", products.Port, "/api/products")),
        ];
        stub.Serve(poisoned);
        await Eventually.UntilAsync(() => Task.FromResult(routing.UpInstances("products").Count == 1), Timeout, () => "The gateway never routed to the real instance beside the poisoned ones.");
        await gateway.Scenario(s =>
        {
            s.Get.Url(StubBackend.EchoPath);
            s.StatusCodeShouldBe(200);
        });

        stub.Serve([.. poisoned, ("USERS", StubRegistry.Instance("USERS", "127.0.0.1", users.Port, "/api/users"))]);
        await TestGateway.SeesAsync(gateway, "users");
        await gateway.Scenario(s =>
        {
            s.Get.Url("/health/ready");
            s.StatusCodeShouldBe(200);
        });
        Assert.Equal(1, products.RequestsReceived);
    }

    [Fact]
    public async Task readiness_says_how_old_the_registry_copy_is_and_turns_503_once_it_is_stale()
    {
        var own = new RegistryProcess();
        await own.InitializeAsync();
        var stopped = false;
        try
        {
            await using var gateway = TestGateway.StartOnLoopback(own.ServiceUrl, builder => builder.UseSetting("Gateway:RegistryStaleAfter", "00:00:03"));
            using var client = gateway.Client();
            await Eventually.UntilAsync(() => Eventually.AnswersAsync(client, "/health/ready"), Timeout, () => "The gateway never became ready.");
            var ready = JsonNode.Parse(await client.GetStringAsync("/health/ready"))!;
            Assert.True(ready["registryFetchAgeSeconds"]!.GetValue<double>() <= 3);

            await own.DisposeAsync();
            stopped = true;

            await Eventually.UntilAsync(
                async () =>
                {
                    using var response = await client.GetAsync("/health/ready");
                    return response.StatusCode == HttpStatusCode.ServiceUnavailable;
                },
                Timeout,
                () => "The gateway stayed ready with a copy of a registry that is gone.");
            using var stale = await client.GetAsync("/health/ready");
            Assert.True(JsonNode.Parse(await stale.Content.ReadAsStringAsync())!["registryFetchAgeSeconds"]!.GetValue<double>() > 3);
        }
        finally
        {
            if (!stopped)
            {
                await own.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0xA9, 0x74, 0xC3, 0xA9 })] // "été" in UTF-8: not ASCII
    [InlineData(new byte[] { 0x61, 0x01, 0x62 })] // a control byte
    [InlineData(new byte[] { 0x3C, 0x73, 0x63, 0x72, 0x69, 0x70, 0x74, 0x3E })] // <script>
    [InlineData(new byte[] { 0x61, 0x20, 0x62 })] // a space
    public async Task a_hostile_correlation_id_is_replaced_by_a_fresh_one_not_reflected(byte[] hostile)
    {
        await using var gateway = TestGateway.StartOnLoopback(registry.ServiceUrl);

        var (status, headers) = await RawGetAsync(gateway.Port, "/api/payments", ("X-Correlation-Id", hostile));

        Assert.NotEqual(500, status);
        if (status == 404)
        {
            Assert.Matches("^[0-9a-f]{32}$", headers["x-correlation-id"]);
        }
        else
        {
            // Kestrel itself may refuse such a header (400) before the gateway sees it; then nothing is reflected either.
            Assert.Equal(400, status);
            Assert.False(headers.ContainsKey("x-correlation-id"));
        }
    }

    [Fact]
    public async Task a_long_correlation_id_is_replaced_and_a_safe_one_is_kept()
    {
        await using var gateway = TestGateway.StartOnLoopback(registry.ServiceUrl);

        var (_, tooLong) = await RawGetAsync(gateway.Port, "/api/payments", ("X-Correlation-Id", Encoding.ASCII.GetBytes(new string('a', 129))));
        var (_, safe) = await RawGetAsync(gateway.Port, "/api/payments", ("X-Correlation-Id", Encoding.ASCII.GetBytes("checkout-7:retry.2_a")));

        Assert.Matches("^[0-9a-f]{32}$", tooLong["x-correlation-id"]);
        Assert.Equal("checkout-7:retry.2_a", safe["x-correlation-id"]);
    }

    [Fact]
    public async Task the_backend_gets_the_gateways_forwarded_headers_not_the_clients()
    {
        await using var products = await StubBackend.StartAsync("products", registry.ServiceUrl);
        await using var gateway = TestGateway.StartOnLoopback(registry.ServiceUrl);
        await TestGateway.SeesAsync(gateway.Host, "products");
        using var client = gateway.Client();

        using var request = new HttpRequestMessage(HttpMethod.Get, StubBackend.EchoPath);
        request.Headers.Add("X-Forwarded-For", "6.6.6.6");
        request.Headers.Add("X-Forwarded-Host", "bank.example");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("Forwarded", "for=6.6.6.6;proto=https");
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var received = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

        Assert.Equal("127.0.0.1", received["x-forwarded-for"]!.GetValue<string>());
        Assert.Equal($"127.0.0.1:{gateway.Port}", received["x-forwarded-host"]!.GetValue<string>());
        Assert.Equal("http", received["x-forwarded-proto"]!.GetValue<string>());
        Assert.False(received.ContainsKey("forwarded"));
    }

    /// <summary>
    /// A GET written byte by byte, so a header can carry what HttpClient would refuse to send; the status and the
    /// response's headers (names in lower case).
    /// </summary>
    private static async Task<(int Status, Dictionary<string, string> Headers)> RawGetAsync(int port, string path, (string Name, byte[] Value) header)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var stream = tcp.GetStream();
        var request = new MemoryStream();
        request.Write(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{header.Name}: "));
        request.Write(header.Value);
        request.Write("\r\n\r\n"u8);
        await stream.WriteAsync(request.ToArray());
        using var reader = new StreamReader(stream, Encoding.Latin1);
        var response = await reader.ReadToEndAsync();
        var lines = response.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).TakeWhile(line => line.Length > 0)
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0].Trim().ToLowerInvariant(), parts => parts[1].Trim());
        return (status, headers);
    }
}
