using Microsoft.Extensions.Logging;
using ShopModular.Users.Contracts;

namespace ShopModular.Orders;

/// <summary>
/// Orders' side of <see cref="PointsDeductionFailed"/> (Products handles it too, releasing the stock):
/// a step in the history only. The order is cancelled on <c>StockReleased</c>, once the stock is back.
/// </summary>
public static class PointsDeductionFailedHandler
{
    public static Task Handle(
        PointsDeductionFailed message, OrdersDbContext db, TimeProvider clock, ILogger<Order> logger, CancellationToken cancellationToken) =>
        OrderSagaSteps.ApplyAsync(
            db, message.OrderId, SagaSteps.PointsDeductionFailed, message.At,
            transition: null, clock, logger, cancellationToken);
}
