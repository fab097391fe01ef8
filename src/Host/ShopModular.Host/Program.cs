using ShopModular.Orders;
using ShopModular.Platform;
using ShopModular.Platform.Persistence;
using ShopModular.Products;
using ShopModular.Users;

var builder = WebApplication.CreateBuilder(args);
var hosted = builder.AddShopPlatform(UsersModule.Definition, ProductsModule.Definition, OrdersModule.Definition);

var app = builder.Build();
app.UseShopPlatform(hosted);

if (args.Contains("migrate"))
{
    // The documented way to apply schema changes outside Development: `ShopModular.Host migrate`.
    await app.Services.MigrateModuleDatabasesAsync();
    return;
}

await app.MigrateOnStartupIfEnabledAsync();
await app.RunAsync();

/// <summary>The entry point, public so that the specs can start this host.</summary>
public partial class Program;
