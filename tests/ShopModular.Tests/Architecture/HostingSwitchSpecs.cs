using Microsoft.Extensions.DependencyInjection;
using ShopModular.Platform.Persistence;
using ShopModular.Tests.Infrastructure;
using Wolverine.Runtime;

namespace ShopModular.Tests.Architecture;

/// <summary><c>Shop:Modules=Products</c> hosts the catalog and nothing of Users or Orders: no routes, handlers, DbContext or tables.</summary>
public sealed class HostingSwitchSpecs(ProductsOnlyHost fixture) : IClassFixture<ProductsOnlyHost>
{
    [Theory]
    [InlineData("GET", "/api/orders")]
    [InlineData("POST", "/api/orders")]
    [InlineData("POST", "/api/users")]
    [InlineData("POST", "/api/auth/token")]
    [InlineData("GET", "/api/users/me")]
    [InlineData("POST", "/api/users/me/points")]
    public async Task exposes_no_users_or_orders_routes(string method, string url)
    {
        await fixture.Host.Scenario(s =>
        {
            s.ConfigureHttpContext(context =>
            {
                context.Request.Method = method;
                context.Request.Path = url;
            });
            s.StatusCodeShouldBe(404);
        });
    }

    [Fact]
    public async Task still_serves_the_catalog()
    {
        await fixture.Host.Scenario(s =>
        {
            s.Get.Url("/api/products");
            s.StatusCodeShouldBe(200);
        });
    }

    [Fact]
    public async Task creates_no_users_or_orders_schema()
    {
        var schemas = await TestDatabase.QueryAsync(
            fixture.ConnectionString,
            "select schema_name from information_schema.schemata",
            reader => reader.GetString(0));

        Assert.Contains("products", schemas);
        Assert.DoesNotContain("users", schemas);
        Assert.DoesNotContain("orders", schemas);
    }

    [Fact]
    public void runs_only_products_handlers()
    {
        var runtime = (WolverineRuntime)fixture.Host.Services.GetRequiredService<IWolverineRuntime>();
        var handlerAssemblies = runtime.Handlers.AllChains()
            .SelectMany(chain => chain.Handlers)
            .Select(handler => handler.HandlerType.Assembly.GetName().Name)
            .Where(name => name!.StartsWith("ShopModular", StringComparison.Ordinal))
            .Distinct()
            .ToList();

        Assert.Equal(["ShopModular.Products"], handlerAssemblies);
    }

    [Fact]
    public void registers_only_the_products_database()
    {
        var databases = fixture.Host.Services.GetServices<ModuleDatabase>().Select(database => database.Schema);

        Assert.Equal(["products"], databases);
        Assert.Null(fixture.Host.Services.GetService<ShopModular.Users.UsersDbContext>());
    }
}
