using Microsoft.Extensions.DependencyInjection;
using ShopModular.Orders;
using ShopModular.Orders.Contracts;
using ShopModular.Products;
using ShopModular.Products.Contracts;
using ShopModular.Tests.Infrastructure;
using ShopModular.Users;
using Wolverine.Runtime;
using Wolverine.Transports;

namespace ShopModular.Tests.Orders;

/// <summary>The saga watchdog on the monolith's durable local queues.</summary>
public sealed class MonolithSagaTimeoutSpecs(ShopHostWithShortSagaTimeout monolith)
    : SagaTimeoutSpecs(monolith), IClassFixture<ShopHostWithShortSagaTimeout>;

/// <summary>The saga watchdog on the monolith forced onto the broker: every module in one host, every message through RabbitMQ.</summary>
public sealed class BrokeredMonolithSagaTimeoutSpecs(ShopHostOverBrokerWithShortSagaTimeout monolith)
    : SagaTimeoutSpecs(monolith), IClassFixture<ShopHostOverBrokerWithShortSagaTimeout>;

/// <summary>The saga watchdog with each module in its own process and database, Orders twice, over RabbitMQ.</summary>
public sealed class SplitSagaTimeoutSpecs(SplitShopWithShortSagaTimeout split)
    : SagaTimeoutSpecs(split), IClassFixture<SplitShopWithShortSagaTimeout>;

/// <summary>
/// No saga hangs: an order still Pending at the deadline is cancelled (TimedOut), whatever its steps took comes back
/// once, and a step that arrives later takes nothing.
/// </summary>
public abstract class SagaTimeoutSpecs(IShopTopology topology) : OrderingSpec(topology), IAsyncLifetime
{
    private readonly List<IListenerCircuit> _paused = [];

    Task IAsyncLifetime.InitializeAsync() => InitializeAsync();

    /// <summary>A spec that failed half-way leaves no listener of the shared hosts paused for the next one.</summary>
    async Task IAsyncLifetime.DisposeAsync()
    {
        foreach (var listener in _paused)
        {
            await listener.StartAsync();
        }
    }

    [Fact]
    public async Task an_order_whose_payment_never_reaches_orders_times_out_and_gets_its_stock_and_points_back_once()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 1_000, stock: 10);
        var customer = await RegisterCustomerAsync();
        var held = await PauseAsync(OrdersModule.Name, "orders.users.points-deducted");

        var orderId = await PlaceAsync(customer, Item(mug, 2));
        // The buyer paid; Orders never hears of it.
        await Eventually.UntilAsync(async () => await PointsOfAsync(customer) == ShopHost.InitialPoints - 2_000, SagaTimeout, NotWithinTimeout);
        var order = await EndedAsync(customer, orderId);

        Assert.Equal("Cancelled", order.Status);
        Assert.Equal(OrderFailureReasons.TimedOut, order.FailureReason);
        Assert.Equal(new PaymentBody("Cancelled", 2_000), order.Payment);
        Assert.Equal(["OrderPlaced", "SagaTimedOut", "OrderCancelled"], order.Steps);
        await CompensatedAsync(orderId);
        Assert.Equal(10, (await GetProductAsync(mug.Id)).Stock);
        Assert.Equal(ShopHost.InitialPoints, await PointsOfAsync(customer));

        // The payment reaches Orders after all: it ends nothing, and the refund stands.
        await ResumeAsync(held, OrdersModule.Name, "users.points-deducted");
        // The timeout told again gives nothing back twice.
        await DeliverAgainAsync(
            new OrderTimedOut(orderId, customer.Id, [mug.Id], DateTimeOffset.UtcNow),
            new OrderPaymentCancelled(orderId, customer.Id, OrderFailureReasons.TimedOut, DateTimeOffset.UtcNow));

        order = await GetOrderAsync(customer, orderId);
        Assert.Equal("Cancelled", order.Status);
        Assert.Equal(OrderFailureReasons.TimedOut, order.FailureReason);
        Assert.Equal(10, (await GetProductAsync(mug.Id)).Stock);
        Assert.Equal(ShopHost.InitialPoints, await PointsOfAsync(customer));
    }

    [Fact]
    public async Task an_order_whose_payment_dead_letters_times_out_and_its_stock_comes_back()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 99);
        var customer = await RegisterCustomerAsync();
        // A valid token whose user Users does not know: the payment step dead-letters the order.
        await TestDatabase.ExecuteAsync(Topology.ConnectionStringOf(UsersModule.Name), $"delete from users.users where id = '{customer.Id}'");

        var orderId = await PlaceAsync(customer, Item(mug, 40));
        var order = await EndedAsync(customer, orderId);

        Assert.Equal("Cancelled", order.Status);
        Assert.Equal(OrderFailureReasons.TimedOut, order.FailureReason);
        await CompensatedAsync(orderId);
        Assert.Equal(99, (await GetProductAsync(mug.Id)).Stock);
        Assert.Equal(1, await DeadLettersAsync(UsersModule.Name, "products.stock-reserved"));
        var metrics = new MetricsText(await Topology.GetFromProcessesOfAsync(OrdersModule.Name, "/metrics"));
        Assert.True(metrics.Value("shop_orders_timed_out_total") >= 1, "The timeout is not counted on /metrics.");
        Assert.True(metrics.Value("shop_orders_cancelled_total{reason=\"TimedOut\"}") >= 1, "The timeout is not counted as a cancellation.");

        // The saga's steps delivered again after the timeout take nothing.
        await DeliverAgainAsync(
            new OrderPlaced(orderId, customer.Id, 4_000, [new OrderLine(mug.Id, 40, 100)], order.CreatedAt),
            new StockReserved(orderId, customer.Id, 4_000, DateTimeOffset.UtcNow));
        Assert.Equal(99, (await GetProductAsync(mug.Id)).Stock);
        Assert.Equal("Cancelled", (await GetOrderAsync(customer, orderId)).Status);
    }

    [Fact]
    public async Task an_order_that_reaches_products_after_its_timeout_reserves_nothing_and_takes_no_points()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 1_000, stock: 10);
        var customer = await RegisterCustomerAsync();
        var held = await PauseAsync(ProductsModule.Name, "products.orders.order-placed");

        var orderId = await PlaceAsync(customer, Item(mug, 3));
        var order = await EndedAsync(customer, orderId);
        Assert.Equal(OrderFailureReasons.TimedOut, order.FailureReason);
        await CompensatedAsync(orderId);

        await ResumeAsync(held, ProductsModule.Name, "orders.order-placed");

        Assert.Equal(["TimedOut"], await QueryAsync(ProductsModule.Name, $"select status from products.reservations where order_id = '{orderId}'"));
        Assert.Equal(10, (await GetProductAsync(mug.Id)).Stock);
        Assert.Equal(ShopHost.InitialPoints, await PointsOfAsync(customer));
        Assert.Equal("Cancelled", (await GetOrderAsync(customer, orderId)).Status);
    }

    private async Task<Guid> PlaceAsync(Customer customer, params object[] items) =>
        (await (await PostOrderAsync(customer, items)).ReadAsJsonAsync<OrderBody>())!.Id;

    /// <summary>Waits until the order has ended, however it ends.</summary>
    private async Task<OrderBody> EndedAsync(Customer customer, Guid orderId)
    {
        OrderBody? order = null;
        await Eventually.UntilAsync(async () => (order = await GetOrderAsync(customer, orderId)).Status != "Pending", SagaTimeout, NotWithinTimeout);
        return order!;
    }

    /// <summary>Waits until Products and Users have both handled the order's timeout.</summary>
    private Task CompensatedAsync(Guid orderId) =>
        Eventually.UntilAsync(
            async () =>
                (await TestDatabase.QueryAsync(
                    Topology.ConnectionStringOf(ProductsModule.Name),
                    $"select 1 from products.reservations where order_id = '{orderId}' and status in ('Released', 'TimedOut')",
                    reader => reader.GetInt32(0))).Count == 1
                && (await TestDatabase.QueryAsync(
                    Topology.ConnectionStringOf(UsersModule.Name),
                    $"select 1 from users.points_deductions where order_id = '{orderId}' and timed_out_at is not null",
                    reader => reader.GetInt32(0))).Count == 1,
            SagaTimeout,
            () => "Products and Users did not both handle the order's timeout.");

    private async Task<long> DeadLettersAsync(string module, string messageType) =>
        (await TestDatabase.QueryAsync(
            Topology.ConnectionStringOf(module),
            $"select count(*) from wolverine.wolverine_dead_letters where message_type = '{messageType}'",
            reader => reader.GetInt64(0)))[0];

    /// <summary>Stops every process of the module taking messages from its queue; each listener starts again when asked.</summary>
    private async Task<List<IListenerCircuit>> PauseAsync(string module, string queue)
    {
        var listeners = new List<IListenerCircuit>();
        foreach (var host in Topology.HostsOf(module))
        {
            var endpoints = host.Services.GetRequiredService<IWolverineRuntime>().Endpoints;
            var listener = endpoints.FindListenerCircuit(new Uri(Topology.OverBroker ? $"rabbitmq://queue/{queue}" : $"local://{queue}/"))
                ?? throw new InvalidOperationException($"No listener on {queue}.");
            await listener.PauseAsync(TimeSpan.FromMinutes(10));
            listeners.Add(listener);
            _paused.Add(listener);
        }

        return listeners;
    }

    /// <summary>
    /// Lets the listeners take messages again, and waits until the module's process has handled the one message of the
    /// type that waited: Wolverine's tracking does not see a message its inbox recovers, so this reads the inbox, where a
    /// message from a local queue is deleted once handled and one from the broker is kept, marked Handled.
    /// </summary>
    private async Task ResumeAsync(List<IListenerCircuit> listeners, string module, string messageType)
    {
        var inbox = $"select status from wolverine.wolverine_incoming_envelopes where message_type = '{messageType}'";
        if (!Topology.OverBroker)
        {
            // From the broker it waits in the module's queue; from a local queue, here.
            Assert.Equal(["Incoming"], await QueryAsync(module, inbox));
        }

        foreach (var listener in listeners)
        {
            await listener.StartAsync();
        }

        if (!Topology.OverBroker)
        {
            // A local queue started again does not read back what its process already owns in the inbox: given up,
            // the process's durability agent recovers it, as a restarted process would.
            await Topology.HostOf(module).ReleaseAllOwnershipAsync();
        }

        await Eventually.UntilAsync(
            async () =>
            {
                var statuses = await QueryAsync(module, inbox);
                return Topology.OverBroker ? statuses is ["Handled"] : statuses.Count == 0;
            },
            SagaTimeout,
            () => $"{module} did not handle the {messageType} that waited.");
    }

    private Task<List<string>> QueryAsync(string module, string sql) =>
        TestDatabase.QueryAsync(Topology.ConnectionStringOf(module), sql, reader => reader.GetString(0));

    private static string NotWithinTimeout() => "The condition did not hold within the saga timeout.";
}
