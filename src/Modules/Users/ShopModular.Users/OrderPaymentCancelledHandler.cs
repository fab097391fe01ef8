using Microsoft.Extensions.Logging;
using ShopModular.Orders.Contracts;
using static ShopModular.Platform.Persistence.ModuleSql;

namespace ShopModular.Users;

/// <summary>
/// Compensation for an order whose payment was cancelled (it timed out): the points its buyer paid come back, once, and
/// an order not paid for yet never will be. One message at a time: timeouts are rare, and not on the saga's hot path.
/// </summary>
public static class OrderPaymentCancelledHandler
{
    public static async Task Handle(
        OrderPaymentCancelled cancelled, UsersDbContext db, TimeProvider clock, ILogger<PointsDeduction> logger, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        // Three statements, each seeing what committed before it. The buyer is locked first, as the payment step locks
        // it (StockReservedHandler): a payment of the order running now commits first and its row is seen below, or it
        // waits and then finds the tombstone. With no payment decision yet, the tombstone is the order's one decision;
        // with one, it is marked timed out, and refunded if it took points: once, whichever message comes first.
        await db.ExecuteAsync(
            cancellationToken,
            Statement("select 1 from users.users where id = $1 for update", Value(cancelled.UserId)),
            Statement(
                """
                insert into users.points_deductions (order_id, user_id, amount, succeeded, at, timed_out_at)
                values ($1, $2, 0, false, $3, $3)
                on conflict (order_id) do nothing
                """,
                Value(cancelled.OrderId),
                Value(cancelled.UserId),
                Value(now)));
        await using var reader = await db.ReadAsync(
            cancellationToken,
            Statement(
                """
                with timed_out as (
                    update users.points_deductions set timed_out_at = $2
                     where order_id = $1 and timed_out_at is null
                    returning user_id, amount, succeeded),
                refunded as (
                    update users.users u set points = u.points + t.amount
                      from timed_out t
                     where t.succeeded and u.id = t.user_id
                    returning t.amount)
                select coalesce(sum(amount), 0)::bigint from refunded
                """,
                Value(cancelled.OrderId),
                Value(now)));
        var refunded = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : 0;
        logger.LogInformation("The payment of order {OrderId} was cancelled; {Refunded} point(s) refunded to {UserId}", cancelled.OrderId, refunded, cancelled.UserId);
    }
}
