using Prometheus;
using Wolverine.Util;

namespace ShopModular.Platform.Messaging;

/// <summary>How many messages each batched step handled per transaction, by message, on /metrics.</summary>
internal static class BatchMetrics
{
    private static readonly Histogram BatchSize = Metrics.CreateHistogram(
        "shop_messaging_batch_size",
        "Messages a batched saga step handled together in one transaction, by message: batches of one mean a transaction per order and step.",
        new HistogramConfiguration { LabelNames = ["message"], Buckets = [1, 2, 4, 8, 16, 32, 64, 128] });

    public static void Observe<TMessage>(int size) => BatchSize.WithLabels(typeof(TMessage).ToMessageTypeName()).Observe(size);
}
