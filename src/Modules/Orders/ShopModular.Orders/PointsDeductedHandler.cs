using Microsoft.Extensions.Logging;
using ShopModular.Users.Contracts;

namespace ShopModular.Orders;

/// <summary>The saga's end: the order is Completed and its payment Paid.</summary>
public static class PointsDeductedHandler
{
    public static Task Handle(
        PointsDeducted message, OrdersDbContext db, TimeProvider clock, ILogger<Order> logger, CancellationToken cancellationToken) =>
        OrderSagaSteps.ApplyAsync(
            db, message.OrderId, SagaSteps.PointsDeducted, message.At,
            (order, now) => order.Complete(now), clock, logger, cancellationToken);
}
