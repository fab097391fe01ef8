using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ShopModular.Platform.Hosting;
using ShopModular.Platform.Messaging;
using ShopModular.Platform.Persistence;

namespace ShopModular.Orders;

/// <summary>Orders and their payment, and the saga's start and end. Schema <c>orders</c>, routes under /api/orders.</summary>
public static class OrdersModule
{
    public const string Name = "orders";

    public static ShopModule Definition { get; } = new(Name, typeof(OrdersModule).Assembly, AddOrdersModule, MapOrdersEndpoints);

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
        PlaceOrder.Map(routes);
        GetOrder.Map(routes);
        ListOrders.Map(routes);
        routes.MapDeadLetters(Name);
    }
}
