using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Platform;

public sealed class OperationsSpecs(ShopHost fixture) : IClassFixture<ShopHost>
{
    [Fact]
    public async Task is_live_and_ready_while_its_database_answers()
    {
        await fixture.Host.Scenario(s =>
        {
            s.Get.Url("/health/live");
            s.StatusCodeShouldBe(200);
        });
        await fixture.Host.Scenario(s =>
        {
            s.Get.Url("/health/ready");
            s.StatusCodeShouldBe(200);
        });
    }

    [Fact]
    public async Task exposes_http_and_wolverine_metrics_in_prometheus_text_format()
    {
        await fixture.Host.Scenario(s => s.Get.Url("/api/products"));

        var result = await fixture.Host.Scenario(s =>
        {
            s.Get.Url("/metrics");
            s.StatusCodeShouldBe(200);
        });

        var text = await result.ReadAsTextAsync();
        Assert.StartsWith("text/plain", result.Context.Response.ContentType, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("endpoint=\"/api/products\"", text, StringComparison.Ordinal);
        Assert.Contains("wolverine", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task describes_the_api_in_an_openapi_document()
    {
        var result = await fixture.Host.Scenario(s =>
        {
            s.Get.Url("/openapi/v1.json");
            s.StatusCodeShouldBe(200);
        });

        var document = await result.ReadAsTextAsync();
        Assert.Contains("\"/api/users\"", document, StringComparison.Ordinal);
        Assert.Contains("\"/api/products/{id}\"", document, StringComparison.Ordinal);
        Assert.Contains("\"bearerFormat\": \"JWT\"", document, StringComparison.Ordinal);
    }

    /// <summary>
    /// The public API as clients, the dashboards (the metrics' <c>endpoint</c> label) and the OpenAPI document know
    /// it: every operation by method and path, as the routes were written before the modules mapped them in groups.
    /// </summary>
    private static readonly string[] PublicOperations =
    [
        "POST /api/users", "GET /api/users/me", "POST /api/users/me/points", "POST /api/auth/token",
        "GET /api/products", "POST /api/products", "GET /api/products/{id}", "PUT /api/products/{id}/price", "POST /api/products/{id}/stock",
        "GET /api/orders", "POST /api/orders", "GET /api/orders/{id}",
        .. new[] { "users", "products", "orders" }.SelectMany(module => new[]
        {
            $"GET /api/{module}/dead-letters", $"POST /api/{module}/dead-letters/{{id}}/replay", $"POST /api/{module}/dead-letters/replay",
        }),
    ];

    [Fact]
    public void no_route_pattern_ends_with_a_slash()
    {
        var patterns = fixture.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Select(endpoint => endpoint.RoutePattern.RawText ?? "")
            .ToList();

        // A group's root route would read /api/products/ here, and so in the metrics' endpoint label and the API document.
        Assert.Contains("/api/products", patterns);
        Assert.DoesNotContain(patterns, pattern => pattern.Length > 1 && pattern.EndsWith('/'));
    }

    [Fact]
    public async Task the_openapi_document_describes_exactly_the_public_api()
    {
        var result = await fixture.Host.Scenario(s =>
        {
            s.Get.Url("/openapi/v1.json");
            s.StatusCodeShouldBe(200);
        });

        var paths = JsonNode.Parse(await result.ReadAsTextAsync())!["paths"]!.AsObject();
        var operations = paths.SelectMany(path => path.Value!.AsObject().Select(operation => $"{operation.Key.ToUpperInvariant()} {path.Key}"));
        Assert.Equal(PublicOperations.Order(StringComparer.Ordinal), operations.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("/api/orders")]
    [InlineData("/api/users")]
    public async Task a_group_root_route_keeps_its_prefix_as_its_metrics_endpoint(string root)
    {
        await fixture.Host.Scenario(s =>
        {
            s.Post.Json(new { }).ToUrl(root);
            s.IgnoreStatusCode();
        });

        var metrics = await fixture.Host.Scenario(s => s.Get.Url("/metrics"));

        var text = await metrics.ReadAsTextAsync();
        Assert.Contains($"endpoint=\"{root}\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain($"endpoint=\"{root}/\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task serves_a_browsable_api_page()
    {
        var result = await fixture.Host.Scenario(s =>
        {
            s.Get.Url("/api-docs/");
            s.StatusCodeShouldBe(200);
        });

        Assert.Contains("<html", await result.ReadAsTextAsync(), StringComparison.OrdinalIgnoreCase);
    }
}
