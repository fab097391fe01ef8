using Npgsql;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Platform;

public sealed class ReadinessSpecs
{
    [Fact]
    public async Task is_not_ready_once_its_database_is_gone_but_still_live()
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
    }
}
