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
