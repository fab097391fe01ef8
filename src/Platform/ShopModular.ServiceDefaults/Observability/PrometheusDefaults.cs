using Prometheus;

namespace ShopModular.ServiceDefaults.Observability;

public static class PrometheusDefaults
{
    /// <summary>
    /// Of the System.Diagnostics.Metrics instruments, republishes only Wolverine's (messages handled, failed, dead
    /// lettered, by message type). Kestrel's, HttpClient's, Npgsql's and EF Core's take several measurements per
    /// request and per SQL command: once the first scrape starts the adapter, they cost more CPU per order than some
    /// saga steps do (measured: about half of the host's CPU at 100 orders/s), and no dashboard reads them; the HTTP
    /// figures come from prometheus-net's own middleware. Call before the first scrape.
    /// </summary>
    public static void PublishOnlyWolverineMeters() =>
        Metrics.ConfigureMeterAdapter(options =>
            options.InstrumentFilterPredicate = instrument => instrument.Meter.Name.StartsWith("Wolverine", StringComparison.Ordinal));
}
