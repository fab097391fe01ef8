using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using ShopModular.Platform.Hosting;
using ShopModular.Platform.Messaging;

namespace ShopModular.Orders;

/// <summary>Orders and their payment. Schema <c>orders</c>, routes under /api/orders.</summary>
public static class OrdersModule
{
    public const string Name = "orders";

    public static ShopModule Definition { get; } = new(Name, AddOrdersModule, MapOrdersEndpoints);

    public static void AddOrdersModule(WebApplicationBuilder builder) =>
        builder.Services.AddModuleHandlers(typeof(OrdersModule).Assembly);

    public static void MapOrdersEndpoints(IEndpointRouteBuilder routes)
    {
    }
}
