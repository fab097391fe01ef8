using System.Text.Json;
using Microsoft.Extensions.Logging;
using ShopModular.Products.Contracts;
using ShopModular.Users.Contracts;
using ShopModular.Platform.Persistence;
using static ShopModular.Platform.Persistence.ModuleSql;

namespace ShopModular.Orders;

/// <summary>
/// The Orders side of the saga, in one place: each event that ends an order's saga, a batch at a time in one
/// transaction. The event carries the times of the steps before it, so the order's whole history is written here, with
/// the order's end. Only a Pending order ends, and only once: a redelivered event changes nothing.
/// </summary>
public static class OrderSagaHandler
{
    /// <summary>
    /// Paid: the order is Completed and its payment Paid, if the points were taken from its buyer and were its total:
    /// a payment of another amount, or by someone else, ends nothing.
    /// </summary>
    public static Task Handle(
        PointsDeducted[] batch, OrdersDbContext db, OrderOutcomes outcomes, TimeProvider clock, ILogger<Order> logger, CancellationToken cancellationToken) =>
        EndAsync(
            batch,
            batch.Select(paid => new Ending(paid.OrderId, OrderStatus.Completed, null,
                [Step(SagaSteps.StockReserved, paid.StockReservedAt), Step(SagaSteps.PointsDeducted, paid.At)],
                new Payment(paid.UserId, paid.Amount))),
            db, outcomes, clock, logger, cancellationToken);

    /// <summary>Compensation: nothing was reserved, so the order and its payment are cancelled.</summary>
    public static Task Handle(
        StockReservationFailed[] batch, OrdersDbContext db, OrderOutcomes outcomes, TimeProvider clock, ILogger<Order> logger, CancellationToken cancellationToken) =>
        EndAsync(
            batch,
            batch.Select(refused => new Ending(refused.OrderId, OrderStatus.Cancelled, refused.Reason,
                [Step(SagaSteps.StockReservationFailed, refused.At)])),
            db, outcomes, clock, logger, cancellationToken);

    /// <summary>Compensation after a failed payment: the stock is back, so the order and its payment are cancelled.</summary>
    public static Task Handle(
        StockReleased[] batch, OrdersDbContext db, OrderOutcomes outcomes, TimeProvider clock, ILogger<Order> logger, CancellationToken cancellationToken) =>
        EndAsync(
            batch,
            batch.Select(released => new Ending(released.OrderId, OrderStatus.Cancelled, released.Reason,
                [
                    Step(SagaSteps.StockReserved, released.StockReservedAt),
                    Step(SagaSteps.PointsDeductionFailed, released.PointsDeductionFailedAt),
                    Step(SagaSteps.StockReleased, released.At),
                ])),
            db, outcomes, clock, logger, cancellationToken);

    private static async Task EndAsync<TEvent>(
        TEvent[] batch,
        IEnumerable<Ending> endings,
        OrdersDbContext db,
        OrderOutcomes outcomes,
        TimeProvider clock,
        ILogger logger,
        CancellationToken cancellationToken)
        where TEvent : class
    {
        var now = clock.GetUtcNow();
        var distinct = endings.DistinctBy(ending => ending.OrderId).ToList();
        var ids = distinct.Select(ending => ending.OrderId).ToArray();
        var ended = new List<OrderResponse>(distinct.Count);
        await using (var reader = await db.ReadAsync(
            cancellationToken,
            Statement(
                $"""
                update orders.orders o
                   set status = e.status, failure_reason = e.reason, payment_status = e.payment_status,
                       history = coalesce(o.history, '[]') || e.steps, updated_at = $6
                  from unnest($1, $2, $3, $4, $5::jsonb[], $7::uuid[], $8::bigint[]) as e(id, status, reason, payment_status, steps, payer, paid)
                 where o.id = e.id and o.status = 'Pending'
                   and (e.paid is null or (o.user_id = e.payer and o.total_price = e.paid))
                returning {OrderRows.ColumnsOf("o")}
                """,
                Value(ids),
                Value(distinct.Select(ending => ending.Status.ToString()).ToArray()),
                Value(distinct.Select(ending => ending.Reason).ToArray()),
                Value(distinct.Select(ending => (ending.Status == OrderStatus.Completed ? PaymentStatus.Paid : PaymentStatus.Cancelled).ToString()).ToArray()),
                JsonValues([.. distinct.Select(ending => ending.HistoryJson(now))]),
                Value(now),
                Value(distinct.Select(ending => ending.Payment?.Payer).ToArray()),
                Value(distinct.Select(ending => ending.Payment?.Amount).ToArray())),
            OrderOutcomes.Notification(ids)))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ended.Add(OrderRows.Read(reader));
            }
        }

        if (ended.Count < distinct.Count)
        {
            await RejectUnknownOrdersAsync(batch, ids.Except(ended.Select(order => order.Id)).ToArray(), db, cancellationToken);
        }

        outcomes.AfterCommit(db, ended, now);
        logger.LogDebug("{Ended} of {Count} order(s) ended", ended.Count, distinct.Count);
    }

    /// <summary>
    /// Orders that did not end had ended before (a redelivery: nothing to do), were paid for by someone else or with
    /// another amount (nothing to do either: only their own payment ends them), or do not exist: events about an order
    /// this system never placed do not belong here, so they are retried, then dead-lettered, and the rest runs again.
    /// </summary>
    private static async Task RejectUnknownOrdersAsync<TEvent>(
        TEvent[] batch, Guid[] notEnded, OrdersDbContext db, CancellationToken cancellationToken)
        where TEvent : class
    {
        var known = new HashSet<Guid>();
        await using (var reader = await db.ReadAsync(
            cancellationToken, Statement("select id from orders.orders where id = any($1)", Value(notEnded))))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                known.Add(reader.GetGuid(0));
            }
        }

        var unknown = notEnded.Where(id => !known.Contains(id)).ToHashSet();
        if (unknown.Count > 0)
        {
            throw new RejectedItemsException(
                [.. batch.Where(message => unknown.Contains(OrderIdOf(message)))], $"Saga event for unknown order {unknown.First()}.");
        }
    }

    private static OrderStep Step(string step, DateTimeOffset at) => new() { Step = step, At = at };

    private static Guid OrderIdOf<TEvent>(TEvent message) => message switch
    {
        PointsDeducted paid => paid.OrderId,
        StockReservationFailed refused => refused.OrderId,
        StockReleased released => released.OrderId,
        _ => throw new ArgumentException($"{typeof(TEvent).Name} does not end an order's saga.", nameof(message)),
    };

    /// <summary>
    /// How one event ends one order: its status, reason, the steps it adds to the order's history, and for a payment,
    /// who paid and how much.
    /// </summary>
    private sealed record Ending(Guid OrderId, OrderStatus Status, string? Reason, OrderStep[] Steps, Payment? Payment = null)
    {
        public string HistoryJson(DateTimeOffset endedAt) =>
            JsonSerializer.Serialize(
                Steps.Append(Step(Status == OrderStatus.Completed ? SagaSteps.OrderCompleted : SagaSteps.OrderCancelled, endedAt)),
                OrderStep.JsonOptions);
    }

    private sealed record Payment(Guid Payer, long Amount);
}
