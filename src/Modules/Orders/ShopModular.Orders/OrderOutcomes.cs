using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Prometheus;
using ShopModular.Platform.Persistence;

namespace ShopModular.Orders;

/// <summary>
/// Wakes the requests that wait for an order to end (<c>Prefer: wait</c>) when the transaction that ended it commits,
/// without polling: at once in this process, and through PostgreSQL's LISTEN/NOTIFY on the Orders database in every
/// other Orders process, so a waiter is woken whichever instance handled the saga's last step. A NOTIFY is sent only
/// when that transaction commits, so no waiter ever sees an outcome that was rolled back.
/// </summary>
public sealed class OrderOutcomes(string connectionString, ILogger<OrderOutcomes> logger) : BackgroundService
{
    /// <summary>The channel the saga's last step notifies, with the ids of the orders it ended, comma-separated.</summary>
    public const string Channel = "orders_ended";

    /// <summary>NOTIFY payloads must stay under 8000 bytes; a 36-character id and a comma each.</summary>
    public const int IdsPerNotification = 200;

    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    private static readonly Gauge Waiters = Metrics.CreateGauge(
        "shop_order_waiters", "Requests waiting for an order to end (Prefer: wait).");

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, TaskCompletionSource<OrderResponse?>> _ended = [];
    private readonly Dictionary<Guid, int> _waitersOf = [];
    private int _waiting;

    /// <summary>Requests of this process waiting for an order to end now (the gauge adds up every host of a process).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// Starts watching an order. Call before the order can end (before its transaction commits, or before reading its
    /// status), so that the signal cannot slip between reading and waiting. Dispose the watch when done.
    /// </summary>
    public OrderWatch Watch(Guid orderId)
    {
        lock (_lock)
        {
            _waitersOf[orderId] = _waitersOf.GetValueOrDefault(orderId) + 1;
        }

        Interlocked.Increment(ref _waiting);
        Waiters.Inc();
        return new OrderWatch(this, orderId);
    }

    /// <summary>
    /// The statement to run in the transaction that ends <paramref name="orderIds"/>: its NOTIFY reaches every Orders
    /// process when that transaction commits, and never if it rolls back.
    /// </summary>
    public static NpgsqlBatchCommand Notification(IEnumerable<Guid> orderIds) =>
        ModuleSql.Statement($"select pg_notify('{Channel}', $1)", ModuleSql.Value(string.Join(',', orderIds)));

    /// <summary>
    /// Once <paramref name="db"/>'s transaction has committed, and never if it rolls back (a batch rolled back and
    /// retried is not counted twice): the waiters in this process get the ended orders as they are, without reading
    /// them again, and the orders are counted.
    /// </summary>
    public void AfterCommit(ModuleDbContext db, IReadOnlyList<OrderResponse> ended, DateTimeOffset endedAt) =>
        db.AfterCommit(() =>
        {
            Ended(ended);
            foreach (var order in ended)
            {
                OrderMetrics.Finished(order.Status, order.FailureReason, order.CreatedAt, endedAt);
            }
        });

    /// <summary>
    /// The orders ended in this process, as they now are: wakes their waiters here with them (other processes hear it
    /// from the NOTIFY, and read the order).
    /// </summary>
    public void Ended(IEnumerable<OrderResponse> orders)
    {
        lock (_lock)
        {
            foreach (var order in orders)
            {
                if (_ended.Remove(order.Id, out var ended))
                {
                    ended.TrySetResult(order);
                }
            }
        }
    }

    /// <summary>Orders another process ended: their waiters here wake, and read the order.</summary>
    private void EndedElsewhere(IEnumerable<Guid> orderIds)
    {
        lock (_lock)
        {
            foreach (var orderId in orderIds)
            {
                if (_ended.Remove(orderId, out var ended))
                {
                    ended.TrySetResult(null);
                }
            }
        }
    }

    /// <summary>
    /// The signal the next end of the order (or a reconnection) completes: with the ended order when this process ended
    /// it, else with null.
    /// </summary>
    internal Task<OrderResponse?> NextSignal(Guid orderId)
    {
        lock (_lock)
        {
            if (!_ended.TryGetValue(orderId, out var ended))
            {
                _ended[orderId] = ended = new TaskCompletionSource<OrderResponse?>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return ended.Task;
        }
    }

    internal void Release(Guid orderId)
    {
        lock (_lock)
        {
            var left = _waitersOf[orderId] - 1;
            if (left == 0)
            {
                _waitersOf.Remove(orderId);
                _ended.Remove(orderId);
            }
            else
            {
                _waitersOf[orderId] = left;
            }
        }

        Interlocked.Decrement(ref _waiting);
        Waiters.Dec();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning(exception, "Lost the Orders database's {Channel} notifications; listening again in {Delay}", Channel, ReconnectDelay);
                await Task.Delay(ReconnectDelay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        // A connection of its own, outside the pool: it stays in LISTEN for the life of the process.
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 30 };
        await using var connection = new NpgsqlConnection(settings.ConnectionString);
        connection.Notification += (_, notification) => EndedElsewhere(ParseIds(notification.Payload));
        await connection.OpenAsync(stoppingToken);
        await using (var listen = new NpgsqlCommand($"listen {Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }

        // Notifications sent while nobody listened are gone: every waiter looks at its order again.
        WakeEveryone();
        while (true)
        {
            await connection.WaitAsync(stoppingToken);
        }
    }

    private void WakeEveryone()
    {
        lock (_lock)
        {
            foreach (var ended in _ended.Values)
            {
                ended.TrySetResult(null);
            }

            _ended.Clear();
        }
    }

    private static IEnumerable<Guid> ParseIds(string payload) =>
        payload.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(id => Guid.TryParse(id, out var orderId) ? orderId : Guid.Empty)
            .Where(id => id != Guid.Empty);
}

/// <summary>
/// One request's watch of one order, from before the order can end; dispose it when the request no longer waits.
/// Between waits, look at the order: a wake-up says it may have ended, not that it has.
/// </summary>
public sealed class OrderWatch : IDisposable
{
    private readonly OrderOutcomes _outcomes;
    private readonly Guid _orderId;
    private Task<OrderResponse?> _signal;
    private bool _disposed;

    internal OrderWatch(OrderOutcomes outcomes, Guid orderId)
    {
        _outcomes = outcomes;
        _orderId = orderId;
        _signal = outcomes.NextSignal(orderId);
    }

    /// <summary>
    /// Returns when the order may have ended, or when <paramref name="timeout"/> has passed: the ended order when this
    /// process ended it, else null (look at the order).
    /// </summary>
    public async Task<OrderResponse?> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await _signal.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Time is up: the caller answers with what the order is now.
            return null;
        }
        finally
        {
            // Armed again before the caller looks at the order, so that no later signal is missed.
            _signal = _outcomes.NextSignal(_orderId);
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _outcomes.Release(_orderId);
        }
    }
}
