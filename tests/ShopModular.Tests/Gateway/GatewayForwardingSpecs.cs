using System.Diagnostics;
using System.Net;
using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ShopModular.ServiceDefaults.Discovery;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Gateway;

/// <summary>
/// What the gateway does on the way to a backend and back: the backend is a stub registered in a real registry,
/// so a spec can see the request as it arrived, or keep the gateway waiting.
/// </summary>
public sealed class GatewayForwardingSpecs(RegistryProcess registry) : IClassFixture<RegistryProcess>, IAsyncLifetime
{
    private const string Service = "products";

    private StubBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await StubBackend.StartAsync(Service, registry.ServiceUrl);

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Fact]
    public async Task passes_on_the_token_the_correlation_id_and_the_callers_trace()
    {
        await using var gateway = await StartGatewayAsync();
        var token = CallerToken();
        var traceId = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();

        var result = await gateway.Scenario(s =>
        {
            s.Get.Url(StubBackend.EchoPath);
            s.WithBearerToken(token);
            s.WithRequestHeader("X-Correlation-Id", "checkout-7");
            s.WithRequestHeader("traceparent", $"00-{traceId}-{callerSpan}-01");
            s.StatusCodeShouldBe(200);
        });
        var received = (await result.ReadAsJsonAsync<Dictionary<string, string>>())!;

        Assert.Equal($"Bearer {token}", received["authorization"]);
        Assert.Equal("checkout-7", received["x-correlation-id"]);
        // The same trace, continued by the gateway: W3C version 00, the caller's trace id, sampled.
        var traceparent = received["traceparent"].Split('-');
        Assert.Equal(["00", traceId.ToString()], traceparent[..2]);
        Assert.Equal("01", traceparent[3]);
    }

    [Fact]
    public async Task starts_a_trace_for_a_caller_that_sent_none()
    {
        await using var gateway = await StartGatewayAsync();

        var result = await gateway.Scenario(s =>
        {
            s.Get.Url(StubBackend.EchoPath);
            s.StatusCodeShouldBe(200);
        });
        var received = (await result.ReadAsJsonAsync<Dictionary<string, string>>())!;

        // W3C trace context: version, trace id, span id, flags: any two hex digits (since the OpenTelemetry packages came
        // in, the gateway sends "02", W3C level 2's random-trace-id flag).
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$", received["traceparent"]);
        Assert.Equal(result.Context.Response.Headers["X-Correlation-Id"].ToString(), received["x-correlation-id"]);
    }

    [Fact]
    public async Task a_write_is_sent_on_to_the_next_instance_when_one_refuses_the_connection_and_that_one_is_skipped()
    {
        // An instance registered on a port nothing listens on: a process that died without deregistering.
        var deadPort = Repository.FreePort();
        var dead = await registry.RegisterAsync(Service, deadPort);
        await using var deregister = new AsyncDisposal(() => registry.Client.DeleteAsync($"/eureka/apps/PRODUCTS/{dead}"));
        await using var gateway = await StartGatewayAsync();
        var routing = gateway.Services.GetRequiredService<EurekaClient>();
        await Eventually.UntilAsync(() => Task.FromResult(routing.UpInstances(Service).Count == 2), TimeSpan.FromSeconds(30), () => "The gateway did not see both instances.");
        var token = CallerToken();

        // Round-robin sends one of the first two writes to the dead instance; it is refused before anything is sent,
        // so the gateway sends it on, and skips the dead instance from then on.
        var answers = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            var result = await gateway.Scenario(s =>
            {
                s.Post.Json(new { attempt = i }).ToUrl(StubBackend.EchoPath);
                s.WithBearerToken(token);
                s.IgnoreStatusCode();
            });
            answers.Add(result.Context.Response.StatusCode);
        }

        Assert.All(answers, status => Assert.Equal(200, status));
    }

    [Fact]
    public async Task a_backend_that_does_not_answer_in_time_is_504()
    {
        await using var gateway = await StartGatewayAsync(builder => builder.UseSetting("Gateway:BackendTimeout", "00:00:01"));

        var result = await gateway.Scenario(s =>
        {
            s.Get.Url(StubBackend.SilentPath);
            s.StatusCodeShouldBe(504);
        });

        Assert.Equal("application/problem+json", result.Context.Response.ContentType);
    }

    [Fact]
    public async Task a_body_over_the_limit_is_413()
    {
        await using var gateway = TestGateway.StartOnLoopback(registry.ServiceUrl, builder => builder.UseSetting("Gateway:MaxRequestBodySize", "1024"));
        await TestGateway.SeesAsync(gateway.Host, Service);
        using var client = gateway.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", CallerToken());

        using var fits = await client.PostAsync(StubBackend.EchoPath, new StringContent(new string('x', 1000)));
        using var tooLarge = await client.PostAsync(StubBackend.EchoPath, new StringContent(new string('x', 1025)));

        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("application/problem+json", tooLarge.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task oversized_headers_are_431()
    {
        await using var gateway = TestGateway.StartOnLoopback(registry.ServiceUrl, builder => builder.UseSetting("Gateway:MaxRequestHeadersTotalSize", "4096"));
        await TestGateway.SeesAsync(gateway.Host, Service);
        using var client = gateway.Client();

        using var request = new HttpRequestMessage(HttpMethod.Get, StubBackend.EchoPath);
        request.Headers.Add("X-Padding", new string('x', 5000));
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    private async Task<IAlbaHost> StartGatewayAsync(Action<IWebHostBuilder>? configure = null)
    {
        var gateway = await TestGateway.StartAsync(registry.ServiceUrl, configure: configure);
        await TestGateway.SeesAsync(gateway, Service);
        return gateway;
    }

    /// <summary>A token the gateway (and every module) accepts: signed with the key of the tests' Users.</summary>
    private static string CallerToken() => TestKeys.TokenFor(Guid.NewGuid(), "caller@shop.test");

    /// <summary>Runs a clean-up when disposed, so that a failed assertion leaves the shared registry as it found it.</summary>
    private sealed class AsyncDisposal(Func<Task> cleanUp) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await cleanUp();
    }
}
