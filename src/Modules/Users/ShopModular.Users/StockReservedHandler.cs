using Microsoft.Extensions.Logging;
using ShopModular.Platform.Messaging;
using ShopModular.Products.Contracts;
using ShopModular.Users.Contracts;
using ShopModular.Platform.Persistence;
using static ShopModular.Platform.Persistence.ModuleSql;

namespace ShopModular.Users;

/// <summary>
/// Step 3 of the saga, a batch of orders at a time in one transaction: each buyer pays the order's total in points,
/// or cannot, in the order the orders arrived. One decision per order id: a redelivered order changes nothing.
/// </summary>
public static class StockReservedHandler
{
    public static async Task<CausedMessages<StockReserved>> Handle(
        StockReserved[] batch, UsersDbContext db, TimeProvider clock, ILogger<PointsDeduction> logger, CancellationToken cancellationToken)
    {
        var orders = batch.DistinctBy(order => order.OrderId).ToList();
        var balances = new Dictionary<Guid, long>();
        var decided = new HashSet<Guid>();
        // The buyers are locked first, in id order (no deadlocks), and the decisions read after: a concurrent delivery
        // of the same order locks the same buyer, so by then its decision is committed and visible.
        await using (var reader = await db.ReadAsync(
            cancellationToken,
            Statement(
                "select id, points from users.users where id = any($1) order by id for update",
                Value(orders.Select(order => order.UserId).Distinct().Order().ToArray())),
            Statement(
                "select order_id from users.points_deductions where order_id = any($1)",
                Value(orders.Select(order => order.OrderId).ToArray()))))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                balances[reader.GetGuid(0)] = reader.GetInt64(1);
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                decided.Add(reader.GetGuid(0));
            }
        }

        var undecided = orders.Where(order => !decided.Contains(order.OrderId)).ToList();
        if (undecided.Where(order => !balances.ContainsKey(order.UserId)).ToArray() is { Length: > 0 } strangers)
        {
            // Not a business outcome but messages that do not fit this system: retries, then the dead-letter store.
            throw new RejectedItemsException(
                [.. batch.Where(message => strangers.Any(stranger => stranger.OrderId == message.OrderId))],
                $"Order {strangers[0].OrderId} names unknown user {strangers[0].UserId}.");
        }

        var now = clock.GetUtcNow();
        var outgoing = new CausedMessages<StockReserved>();
        var paid = new bool[undecided.Count];
        for (var i = 0; i < undecided.Count; i++)
        {
            var order = undecided[i];
            // Never below zero, however many of the buyer's orders are in the batch.
            paid[i] = balances[order.UserId] >= order.TotalPrice;
            if (paid[i])
            {
                balances[order.UserId] -= order.TotalPrice;
                outgoing.Add(order, new PointsDeducted(order.OrderId, order.UserId, order.TotalPrice, now, order.At));
            }
            else
            {
                outgoing.Add(order, new PointsDeductionFailed(order.OrderId, order.UserId, PointsFailureReasons.InsufficientPoints, now, order.At));
            }
        }

        if (undecided.Count == 0)
        {
            logger.LogDebug("{Count} order(s) already decided, nothing to do", batch.Length);
            return outgoing;
        }

        var payers = undecided.Where((_, i) => paid[i]).Select(order => order.UserId).Distinct().ToArray();
        await db.ExecuteAsync(
            cancellationToken,
            Statement(
                """
                insert into users.points_deductions (order_id, user_id, amount, succeeded, at)
                select order_id, user_id, amount, succeeded, $5 from unnest($1, $2, $3, $4) as d(order_id, user_id, amount, succeeded)
                """,
                Value(undecided.Select(order => order.OrderId).ToArray()),
                Value(undecided.Select(order => order.UserId).ToArray()),
                Value(undecided.Select(order => order.TotalPrice).ToArray()),
                Value(paid),
                Value(now)),
            Statement(
                "update users.users u set points = b.points from unnest($1, $2) as b(id, points) where u.id = b.id",
                Value(payers),
                Value(payers.Select(id => balances[id]).ToArray())));

        logger.LogDebug("{Paid} of {Count} order(s) paid", paid.Count(p => p), undecided.Count);
        return outgoing;
    }
}
