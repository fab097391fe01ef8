using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ShopModular.Orders.Contracts;
using ShopModular.Platform.Messaging;
using Wolverine.Runtime;
using static ShopModular.Platform.Persistence.ModuleSql;

namespace ShopModular.Orders;

/// <summary>
/// No saga hangs: an order still Pending <see cref="OrdersSettings.SagaTimeout"/> after it was placed (a step
/// dead-lettered, or held up) is cancelled with reason <c>TimedOut</c>, and <see cref="OrderTimedOut"/> and
/// <see cref="OrderPaymentCancelled"/> tell Products and Users to give back what its steps took, in the same
/// transaction (the outbox). Only a Pending order times out,
/// in one conditional update, so a step that ends the order first wins, a step that arrives later ends nothing, and
/// several Orders processes time out each order once between them.
/// </summary>
public sealed class SagaWatchdog(
    OrdersSettings settings, IServiceScopeFactory scopes, IWolverineRuntime runtime, TimeProvider clock, ILogger<SagaWatchdog> logger)
    : BackgroundService
{
    /// <summary>Orders timed out in one transaction at most (their ids fit one NOTIFY); a longer backlog takes several.</summary>
    private const int MaxPerTransaction = OrderOutcomes.IdsPerNotification;

    private static readonly TimeSpan LongestInterval = TimeSpan.FromSeconds(30);

    /// <summary>How often Pending orders are looked at: often enough that one ends at most a fifth of the timeout late.</summary>
    public TimeSpan Interval => settings.SagaTimeout / 5 < LongestInterval ? settings.SagaTimeout / 5 : LongestInterval;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first look waits one interval: the host, its migrations and Wolverine have started by then.
        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                while (await TimeOutAsync(stoppingToken) == MaxPerTransaction)
                {
                }

                await MeasureAsync(stoppingToken);
            }
            catch (Exception failure) when (failure is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The database may be away for a while: the next look tries again, and the orders wait for it.
                logger.LogWarning(failure, "Could not time out the orders Pending for longer than {SagaTimeout}", settings.SagaTimeout);
            }
        }
    }

    /// <summary>How many orders are still Pending past the timeout, and how old the oldest Pending one is, for /metrics.</summary>
    private async Task MeasureAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrdersDbContext>();
        var now = clock.GetUtcNow();
        await using var reader = await db.ReadAsync(
            cancellationToken,
            Statement(
                "select count(*) filter (where created_at < $1), min(created_at) from orders.orders where status = 'Pending'",
                Value(now - settings.SagaTimeout)));
        await reader.ReadAsync(cancellationToken);
        OrderMetrics.Stuck.Set(reader.GetInt64(0));
        OrderMetrics.OldestPending.Set(reader.IsDBNull(1) ? 0 : Math.Max(0, (now - reader.GetFieldValue<DateTimeOffset>(1)).TotalSeconds));
    }

    /// <summary>Cancels the orders Pending for longer than the timeout, with their compensating messages; how many.</summary>
    public async Task<int> TimeOutAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrdersDbContext>();
        var outcomes = scope.ServiceProvider.GetRequiredService<OrderOutcomes>();
        var now = clock.GetUtcNow();
        var steps = JsonSerializer.Serialize(
            new[] { new OrderStep { Step = SagaSteps.SagaTimedOut, At = now }, new OrderStep { Step = SagaSteps.OrderCancelled, At = now } },
            OrderStep.JsonOptions);
        await using var transaction = await OutboxTransaction.BeginAsync(db, runtime, cancellationToken);
        var ended = new List<OrderResponse>();
        await using (var reader = await db.ReadAsync(
            cancellationToken,
            Statement(
                $"""
                update orders.orders o
                   set status = 'Cancelled', failure_reason = $1, payment_status = 'Cancelled',
                       history = coalesce(o.history, '[]') || $2::jsonb, updated_at = $3
                 where o.id in (select id from orders.orders
                                 where status = 'Pending' and created_at < $4
                                 order by created_at limit $5 for update skip locked)
                   and o.status = 'Pending'
                returning {OrderRows.ColumnsOf("o")}
                """,
                Value(OrderFailureReasons.TimedOut),
                Value(steps),
                Value(now),
                Value(now - settings.SagaTimeout),
                Value(MaxPerTransaction))))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ended.Add(OrderRows.Read(reader));
            }
        }

        if (ended.Count == 0)
        {
            return 0;
        }

        foreach (var order in ended)
        {
            await transaction.PublishAsync(new OrderTimedOut(
                order.Id, order.UserId, [.. order.Items.Select(item => item.ProductId).Distinct()], now));
            await transaction.PublishAsync(new OrderPaymentCancelled(order.Id, order.UserId, OrderFailureReasons.TimedOut, now));
        }

        // As the saga's own last step does: waiters in every Orders process hear of the end once it is committed.
        await db.ExecuteAsync(cancellationToken, OrderOutcomes.Notification(ended.Select(order => order.Id)));
        outcomes.AfterCommit(db, ended, now);
        db.AfterCommit(() => OrderMetrics.TimedOut.Inc(ended.Count));
        await transaction.CommitAsync(cancellationToken);
        logger.LogWarning("{Count} order(s) Pending for longer than {SagaTimeout} timed out", ended.Count, settings.SagaTimeout);
        return ended.Count;
    }
}
