using Microsoft.Extensions.Logging;
using ShopModular.Products.Contracts;

namespace ShopModular.Orders;

/// <summary>Compensation: nothing was reserved, so the order and its payment are cancelled.</summary>
public static class StockReservationFailedHandler
{
    public static Task Handle(
        StockReservationFailed message, OrdersDbContext db, TimeProvider clock, ILogger<Order> logger, CancellationToken cancellationToken) =>
        OrderSagaSteps.ApplyAsync(
            db, message.OrderId, SagaSteps.StockReservationFailed, message.At,
            (order, now) => order.Cancel(message.Reason, now), clock, logger, cancellationToken);
}
