using JasperFx;
using ShopModular.Orders;
using ShopModular.Platform;
using ShopModular.Products;
using ShopModular.Users;

var builder = WebApplication.CreateBuilder(args);
var hosted = builder.AddShopPlatform(typeof(Program).Assembly, UsersModule.Definition, ProductsModule.Definition, OrdersModule.Definition);

var app = builder.Build();
app.UseShopPlatform(hosted);

if (args is ["codegen", ..])
{
    // `codegen write` regenerates the message handlers' adapters in Internal/Generated (see the README).
    return await app.RunJasperFxCommands(args);
}

if (args.Contains("migrate"))
{
    // The documented way to apply schema changes outside Development: `ShopModular.Host migrate`.
    await app.MigrateAsync();
    return 0;
}

await app.MigrateOnStartupIfEnabledAsync();
await app.RunAsync();
return 0;

/// <summary>The entry point, public so that the specs can start this host.</summary>
public partial class Program;
