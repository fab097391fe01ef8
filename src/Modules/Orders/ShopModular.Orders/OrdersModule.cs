using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ShopModular.Platform.Hosting;
using ShopModular.Platform.Http;
using ShopModular.Platform.Messaging;
using ShopModular.Platform.Persistence;

namespace ShopModular.Orders;

/// <summary>Orders and their payment, and the saga's start and end. Schema <c>orders</c>, routes under /api/orders.</summary>
public static class OrdersModule
{
    public const string Name = "orders";

    /// <summary>Where every route of the module is.</summary>
    public const string RoutePrefix = "/api/orders";

    public static ShopModule Definition { get; } = new(Name, typeof(OrdersModule).Assembly, AddOrdersModule, MapOrdersEndpoints, [RoutePrefix]);

    public static void AddOrdersModule(WebApplicationBuilder builder)
    {
        builder.Services.AddModuleDbContext<OrdersDbContext>(builder.Configuration, OrdersDbContext.Schema);
        builder.Services.AddSingleton(OrdersSettings.From(builder.Configuration));
        var connectionString = builder.Configuration.ConnectionStringFor(Name);
        builder.Services.AddSingleton(services => new OrderOutcomes(connectionString, services.GetRequiredService<ILogger<OrderOutcomes>>()));
        builder.Services.AddHostedService(services => services.GetRequiredService<OrderOutcomes>());
        builder.Services.AddHostedService<SagaWatchdog>();
    }

    public static void MapOrdersEndpoints(IEndpointRouteBuilder routes)
    {
        // A signed-in caller on every route (whether the order is theirs, each use case checks).
        var orders = routes.MapModuleGroup(RoutePrefix).WithTags("Orders").RequireAuthorization();
        PlaceOrder.Map(orders);
        GetOrder.Map(orders);
        ListOrders.Map(orders);
        routes.MapDeadLetters(Name);
    }
}
