using Prometheus;

namespace ShopModular.Orders;

/// <summary>The saga's outcome on /metrics: orders placed, completed, cancelled by reason, and how long they took.</summary>
internal static class OrderMetrics
{
    public static readonly Counter Placed = Metrics.CreateCounter(
        "shop_orders_placed_total", "Orders accepted by POST /api/orders.");

    public static readonly Counter Completed = Metrics.CreateCounter(
        "shop_orders_completed_total", "Orders whose stock was reserved and points deducted.");

    public static readonly Counter Cancelled = Metrics.CreateCounter(
        "shop_orders_cancelled_total", "Orders cancelled, by failure reason.", new CounterConfiguration { LabelNames = ["reason"] });

    public static readonly Histogram SagaDuration = Metrics.CreateHistogram(
        "shop_order_saga_duration_seconds", "Seconds from placing an order to its terminal state.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.005, 2, 14) });

    public static readonly Counter TimedOut = Metrics.CreateCounter(
        "shop_orders_timed_out_total", "Orders the saga watchdog cancelled because they were still Pending at Shop:Orders:SagaTimeout.");

    public static readonly Gauge Stuck = Metrics.CreateGauge(
        "shop_orders_stuck", "Orders Pending for longer than Shop:Orders:SagaTimeout after the saga watchdog's last look (it ends them: above 0 it is not keeping up).");

    public static readonly Gauge OldestPending = Metrics.CreateGauge(
        "shop_orders_oldest_pending_seconds", "Age of the oldest Pending order at the saga watchdog's last look; 0 when none is Pending.");

    public static void Finished(OrderStatus status, string? failureReason, DateTimeOffset createdAt, DateTimeOffset endedAt)
    {
        if (status == OrderStatus.Completed)
        {
            Completed.Inc();
        }
        else
        {
            Cancelled.WithLabels(failureReason ?? "Unknown").Inc();
        }

        SagaDuration.Observe(Math.Max(0, (endedAt - createdAt).TotalSeconds));
    }
}
