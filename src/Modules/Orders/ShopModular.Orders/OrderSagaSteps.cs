using Microsoft.Extensions.Logging;

namespace ShopModular.Orders;

/// <summary>
/// What every Orders handler of a saga event does: record the step once (at the time the event happened),
/// then move the order on if it still can (at the time Orders does so: the saga's end for metrics and clients).
/// </summary>
internal static class OrderSagaSteps
{
    public static async Task ApplyAsync(
        OrdersDbContext db,
        Guid orderId,
        string step,
        DateTimeOffset at,
        Func<Order, DateTimeOffset, bool>? transition,
        TimeProvider clock,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        // The order committed before its OrderPlaced left the outbox, so a missing order means a message
        // that does not belong to this system: fail, and let retries end in the dead-letter store.
        var order = await db.LockOrderAsync(orderId, cancellationToken)
            ?? throw new InvalidOperationException($"Saga step {step} for unknown order {orderId}.");

        if (!order.RecordStep(step, at))
        {
            logger.LogInformation("Order {OrderId}: {Step} seen again, nothing to do", orderId, step);
            return;
        }

        var now = clock.GetUtcNow();
        if (transition is not null && transition(order, now))
        {
            // Counted once the outcome is committed: a step rolled back and retried is not counted twice.
            db.AfterCommit(() => OrderMetrics.Finished(order, now));
            logger.LogInformation("Order {OrderId} {Status} {FailureReason} after {Step}", orderId, order.Status, order.FailureReason, step);
        }
        else
        {
            logger.LogInformation("Order {OrderId}: {Step} recorded", orderId, step);
        }
    }
}
