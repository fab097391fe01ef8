using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Prometheus;
using ShopModular.Platform.Persistence;

namespace ShopModular.Platform.Observability;

/// <summary>
/// This process's message store on /metrics, read every <see cref="Interval"/>: its dead letters, and the envelopes
/// waiting in its inbox and outbox, with the age of the oldest. A backlog that does not drain, or dead letters that do not go away, is what an
/// operator must act on (see deploy/prometheus/alerts.yml). Wolverine's own meters count dead-lettering as it happens;
/// these say what is still there.
/// </summary>
internal sealed class MessageStoreMetrics(string connectionString, ILogger<MessageStoreMetrics> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private static readonly Gauge DeadLetters = Metrics.CreateGauge(
        "shop_dead_letters", "Messages in this process's dead-letter store (wolverine_dead_letters), waiting for an operator.");

    private static readonly Gauge InboxWaiting = Metrics.CreateGauge(
        "shop_inbox_waiting", "Envelopes in this process's durable inbox not handled yet (status Incoming or Scheduled).");

    private static readonly Gauge OutboxWaiting = Metrics.CreateGauge(
        "shop_outbox_waiting", "Envelopes in this process's durable outbox not yet handed to their queue.");

    private static readonly Gauge OldestInbox = Metrics.CreateGauge(
        "shop_inbox_oldest_seconds", "Age of the oldest envelope in this process's durable inbox not handled yet (0 when none waits).");

    private static readonly Gauge OldestOutbox = Metrics.CreateGauge(
        "shop_outbox_oldest_seconds", "Age of the oldest envelope in this process's durable outbox (0 when none waits).");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        const string Store = ModuleDatabaseExtensions.MessageStoreSchema;
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                // Wolverine's timestamp column defaults to now() at time zone 'utc' cast to timestamptz in the session's
                // time zone: the same cast of now() cancels the shift wherever the server's zone is not UTC.
                await using var command = new NpgsqlCommand(
                    $"""
                    select (select count(*) from {Store}.wolverine_dead_letters),
                           (select count(*) from {Store}.wolverine_incoming_envelopes where status <> 'Handled'),
                           (select count(*) from {Store}.wolverine_outgoing_envelopes),
                           (select coalesce(extract(epoch from (now() at time zone 'utc')::timestamptz - min(timestamp)), 0)::float8
                              from {Store}.wolverine_incoming_envelopes where status = 'Incoming'),
                           (select coalesce(extract(epoch from (now() at time zone 'utc')::timestamptz - min(timestamp)), 0)::float8
                              from {Store}.wolverine_outgoing_envelopes)
                    """,
                    connection);
                await using var reader = await command.ExecuteReaderAsync(stoppingToken);
                await reader.ReadAsync(stoppingToken);
                DeadLetters.Set(reader.GetInt64(0));
                InboxWaiting.Set(reader.GetInt64(1));
                OutboxWaiting.Set(reader.GetInt64(2));
                OldestInbox.Set(reader.GetDouble(3));
                OldestOutbox.Set(reader.GetDouble(4));
            }
            catch (Exception failure) when (failure is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The store is away or not built yet: the gauges keep their last values until the next look.
                logger.LogDebug(failure, "Could not read the message store's metrics");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
