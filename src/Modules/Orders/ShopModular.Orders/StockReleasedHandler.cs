using Microsoft.Extensions.Logging;
using ShopModular.Products.Contracts;

namespace ShopModular.Orders;

/// <summary>Compensation after a failed payment: the stock is back, so the order and its payment are cancelled.</summary>
public static class StockReleasedHandler
{
    public static Task Handle(
        StockReleased message, OrdersDbContext db, TimeProvider clock, ILogger<Order> logger, CancellationToken cancellationToken) =>
        OrderSagaSteps.ApplyAsync(
            db, message.OrderId, SagaSteps.StockReleased, message.At,
            (order, now) => order.Cancel(message.Reason, now), clock, logger, cancellationToken);
}
