using Microsoft.Extensions.Logging;
using ShopModular.Products.Contracts;

namespace ShopModular.Orders;

/// <summary>Orders' side of <see cref="StockReserved"/> (Users handles it too): a step in the order's history.</summary>
public static class StockReservedHandler
{
    public static Task Handle(
        StockReserved message, OrdersDbContext db, TimeProvider clock, ILogger<Order> logger, CancellationToken cancellationToken) =>
        OrderSagaSteps.ApplyAsync(
            db, message.OrderId, SagaSteps.StockReserved, message.At,
            transition: null, clock, logger, cancellationToken);
}
