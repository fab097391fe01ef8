using Alba;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Gateway;

/// <summary>
/// What the gateway answers itself, with problem details, before or instead of calling a backend. Its registry
/// is a real one where Orders, Products and Users declared their routes and then went away, so any request that
/// reached the forwarding step would get 503.
/// </summary>
public sealed class GatewaySpecs(RegistryProcess registry) : IClassFixture<RegistryProcess>
{
    [Fact]
    public async Task an_unknown_route_is_404()
    {
        await using var gateway = await StartGatewayAsync();

        await GetProblemAsync(gateway, "/api/payments", 404);
    }

    [Theory]
    [InlineData("GET", "/api/orders", null)]
    [InlineData("GET", "/api/users/me", null)]
    [InlineData("POST", "/api/products", null)]
    [InlineData("GET", "/api/products", "not-a-token")]
    public async Task a_missing_or_invalid_token_is_401_at_the_edge(string method, string url, string? token)
    {
        await using var gateway = await StartGatewayAsync();

        var result = await gateway.Scenario(s =>
        {
            s.ConfigureHttpContext(context =>
            {
                context.Request.Method = method;
                context.Request.Path = url;
            });
            if (token is not null)
            {
                s.WithBearerToken(token);
            }

            s.StatusCodeShouldBe(401);
        });

        Assert.Equal("application/problem+json", result.Context.Response.ContentType);
    }

    [Fact]
    public async Task a_route_no_service_declared_is_404_even_under_api()
    {
        await using var gateway = await StartGatewayAsync();

        // Not a prefix of one that was declared either: /api/orders-archive is not under /api/orders.
        await GetProblemAsync(gateway, "/api/orders-archive", 404);
        await GetProblemAsync(gateway, "/api", 404);
    }

    [Fact]
    public async Task a_service_with_no_instance_up_is_503_at_once()
    {
        await using var gateway = await StartGatewayAsync();

        await GetProblemAsync(gateway, "/api/products", 503);
    }

    [Fact]
    public async Task keeps_a_given_correlation_id_and_makes_one_otherwise()
    {
        await using var gateway = await StartGatewayAsync();

        var given = await gateway.Scenario(s =>
        {
            s.Get.Url("/api/payments");
            s.WithRequestHeader("X-Correlation-Id", "checkout-42");
            s.StatusCodeShouldBe(404);
        });
        var made = await gateway.Scenario(s =>
        {
            s.Get.Url("/api/payments");
            s.StatusCodeShouldBe(404);
        });

        Assert.Equal("checkout-42", given.Context.Response.Headers["X-Correlation-Id"].ToString());
        Assert.Equal(32, made.Context.Response.Headers["X-Correlation-Id"].ToString().Length);
    }

    [Fact]
    public async Task a_client_over_its_limit_gets_429_with_retry_after()
    {
        await using var gateway = await StartGatewayAsync(permits: 3);

        for (var i = 0; i < 3; i++)
        {
            await GetProblemAsync(gateway, "/api/payments", 404);
        }

        var limited = await GetProblemAsync(gateway, "/api/payments", 429);

        Assert.True(int.Parse(limited.Context.Response.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    private static async Task<IScenarioResult> GetProblemAsync(IAlbaHost gateway, string url, int status)
    {
        var result = await gateway.Scenario(s =>
        {
            s.Get.Url(url);
            s.StatusCodeShouldBe(status);
        });
        Assert.Equal("application/problem+json", result.Context.Response.ContentType);
        return result;
    }

    private async Task<IAlbaHost> StartGatewayAsync(int permits = 1000)
    {
        var gateway = await TestGateway.StartAsync(registry.ServiceUrl, permits);
        await TestGateway.KnowsWithNoInstanceUpAsync(gateway, registry, "orders", "products", "users");
        return gateway;
    }
}
