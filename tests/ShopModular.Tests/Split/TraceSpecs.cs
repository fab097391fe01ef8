using System.Diagnostics;
using Npgsql;
using ShopModular.Platform;
using ShopModular.Tests.Infrastructure;
using ShopModular.Users;

namespace ShopModular.Tests.Split;

/// <summary>
/// OpenTelemetry in the split topology (<see cref="TracedSplitProcesses"/>): each process exports its traces, metrics
/// and logs, and one order's saga (POST at the gateway, Orders, Products over RabbitMQ, Users, Orders) is one trace across
/// the four processes, also when the saga's steps handle several orders in one transaction.
/// The client sends its own <c>traceparent</c>, so the spec knows the order's trace id before any process does.
/// </summary>
public sealed class TraceSpecs(TracedSplitProcesses processes) : IClassFixture<TracedSplitProcesses>
{
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task one_order_is_one_trace_from_the_gateway_through_every_module_and_back_to_orders()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var mug = await shop.AddProductAsync("Mug", price: 1_500, stock: 10);
        var customer = await shop.RegisterAsync();
        var trace = ClientTrace.New();

        var order = await shop.PlaceOrderAsync(customer, mug, quantity: 2, trace.Parent);
        Assert.Equal("Completed", (await shop.SettledAsync(customer, order)).Status);

        var spans = await SagaOfAsync(trace);
        // The gateway's span alone hangs from the client's: every process behind it continues the gateway's spans.
        Assert.Equal("gateway", Assert.Single(spans, span => span.ParentSpanId == trace.SpanId).Service);
        Assert.Contains(spans, span => span is { Service: "orders", Scope: "Microsoft.AspNetCore" });
        Assert.Contains(spans, span => span is { Service: "products", Scope: "Npgsql" });
    }

    [Fact]
    public async Task orders_whose_payments_share_one_transaction_each_keep_their_own_trace()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var mug = await shop.AddProductAsync("Mug", price: 1_500, stock: 10);
        var (held, first, second) = (await shop.RegisterAsync(), await shop.RegisterAsync(), await shop.RegisterAsync());
        var (heldTrace, firstTrace, secondTrace) = (ClientTrace.New(), ClientTrace.New(), ClientTrace.New());
        Guid[] orders;

        // The payment step waits for the held buyer's row: the two payments that arrive meanwhile wait for its next
        // transaction, which then takes both (BatchedStep).
        await using (await PaymentHold.OfAsync(processes.ConnectionStringOf(UsersModule.Name), held.Id))
        {
            var heldOrder = await shop.PlaceOrderAsync(held, mug, quantity: 1, heldTrace.Parent);
            await PaymentsWaitingAsync(1);
            orders =
            [
                heldOrder,
                await shop.PlaceOrderAsync(first, mug, quantity: 1, firstTrace.Parent),
                await shop.PlaceOrderAsync(second, mug, quantity: 1, secondTrace.Parent),
            ];
            await PaymentsWaitingAsync(3);
        }

        foreach (var (buyer, order) in new[] { held, first, second }.Zip(orders))
        {
            Assert.Equal("Completed", (await shop.SettledAsync(buyer, order)).Status);
        }

        // Each order's payment went back to Orders in the order's own trace...
        var firstSaga = await SagaOfAsync(firstTrace);
        var secondSaga = await SagaOfAsync(secondTrace);
        // ...though both were paid in one transaction, whose span is in a trace of its own and links to both.
        var batch = Assert.Single(
            processes.Receiver.Spans,
            span => span is { Service: "users", Name: "StockReserved batch" } && span.Links.Any(link => link.TraceId == firstTrace.Id));
        Assert.Contains(batch.Links, link => link.TraceId == secondTrace.Id);
        Assert.DoesNotContain(batch.TraceId, new[] { heldTrace.Id, firstTrace.Id, secondTrace.Id });
        foreach (var saga in new[] { firstSaga, secondSaga })
        {
            var published = Assert.Single(saga, span => span is { Service: "users", Name: "PointsDeducted publish" });
            Assert.Contains(published.Links, link => link.SpanId == batch.SpanId);
        }
    }

    [Fact]
    public async Task every_process_exports_metrics_and_logs_under_its_service_name()
    {
        string[] services = ["gateway", "orders", "products", "users"];
        string[] signals = ["metrics", "logs"];

        await Eventually.UntilAsync(
            () => Task.FromResult(services.All(service => signals.All(signal => processes.Receiver.HasReceived(signal, service)))),
            ExportTimeout,
            () => "Not received: " + string.Join(", ", services.SelectMany(service => signals
                .Where(signal => !processes.Receiver.HasReceived(signal, service)).Select(signal => $"{signal} of {service}"))));
    }

    /// <summary>
    /// The spans of one order's trace, once every hop of its saga is there (the gateway's, and Wolverine's span of
    /// handling each saga message in the process that handles it) and they form one tree: every span hangs from the
    /// client's span through spans of the same trace, none starts afresh.
    /// </summary>
    private async Task<List<ReceivedSpan>> SagaOfAsync(ClientTrace trace)
    {
        (string Service, string Name)[] hops =
        [
            ("products", "orders.order-placed"),
            ("users", "products.stock-reserved"),
            ("orders", "users.points-deducted"),
        ];
        List<ReceivedSpan> spans = [];
        await Eventually.UntilAsync(
            () =>
            {
                spans = [.. processes.Receiver.Spans.Where(span => span.TraceId == trace.Id)];
                var known = spans.Select(span => span.SpanId).Append(trace.SpanId).ToHashSet();
                return Task.FromResult(
                    spans.Any(span => span.Service == "gateway") &&
                    hops.All(hop => spans.Any(span => span.Service == hop.Service && span.Scope == ShopPlatform.WolverineTelemetry && span.Name == hop.Name)) &&
                    spans.All(span => known.Contains(span.ParentSpanId)));
            },
            ExportTimeout,
            () => $"Trace {trace.Id} lacks a hop of the saga, or a span's parent:\n{Describe(spans)}");
        return spans;
    }

    /// <summary>Waits until Users has stored this many payment requests (StockReserved) that it has not handled yet.</summary>
    private async Task PaymentsWaitingAsync(int count)
    {
        await using var connection = new NpgsqlConnection(processes.ConnectionStringOf(UsersModule.Name));
        await connection.OpenAsync();
        await using var waiting = new NpgsqlCommand(
            "select count(*) from wolverine.wolverine_incoming_envelopes where message_type = 'products.stock-reserved' and status = 'Incoming'",
            connection);
        await Eventually.UntilAsync(
            async () => (long)(await waiting.ExecuteScalarAsync())! == count,
            ExportTimeout,
            () => $"Users never had {count} payment(s) waiting.");
    }

    private static string Describe(IEnumerable<ReceivedSpan> spans) => string.Join('\n', spans);

    /// <summary>The client's own span, as its <c>traceparent</c> names it.</summary>
    private sealed record ClientTrace(string Id, string SpanId)
    {
        public string Parent => $"00-{Id}-{SpanId}-01";

        public static ClientTrace New() => new(ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());
    }
}
