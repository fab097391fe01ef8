using Npgsql;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Platform;

public sealed class ReadinessSpecs
{
    [Fact]
    public async Task is_not_ready_once_its_database_is_gone_but_still_live_and_answers_503()
    {
        var connectionString = await TestDatabase.CreateAsync("readiness");
        await using var host = await ShopHost.StartAsync(connectionString, modules: "products");
        await host.Scenario(s =>
        {
            s.Get.Url("/health/ready");
            s.StatusCodeShouldBe(200);
        });

        NpgsqlConnection.ClearAllPools();
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await TestDatabase.ExecuteAsync(
            new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres" }.ConnectionString,
            $"drop database \"{database}\" with (force)");

        await host.Scenario(s =>
        {
            s.Get.Url("/health/ready");
            s.StatusCodeShouldBe(503);
        });
        await host.Scenario(s =>
        {
            s.Get.Url("/health/live");
            s.StatusCodeShouldBe(200);
        });
        // The API says "try again later", not that the request broke something.
        var read = await host.Scenario(s =>
        {
            s.Get.Url("/api/products");
            s.StatusCodeShouldBe(503);
        });
        Assert.Equal("application/problem+json", read.Context.Response.ContentType);
        Assert.Equal("5", read.Context.Response.Headers.RetryAfter.ToString());
    }
}
