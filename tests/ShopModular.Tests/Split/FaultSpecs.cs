using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using ShopModular.Orders;
using ShopModular.Products;
using ShopModular.Tests.Infrastructure;
using ShopModular.Users;
using Xunit.Abstractions;

namespace ShopModular.Tests.Split;

/// <summary>What goes wrong under the real split processes of the app host (<c>./shop run --split</c>) while orders flow.</summary>
public enum Fault
{
    /// <summary>SIGKILL of the Orders process: no chance to finish anything; the app host starts it again.</summary>
    OrdersProcessKilled,
    ProductsProcessKilled,
    UsersProcessKilled,
    /// <summary>The whole broker node stopped (<c>rabbitmqctl stop</c>); the app host starts it again (up ~10 s later).</summary>
    BrokerRestarted,
    /// <summary>PostgreSQL stopped (fast shutdown: every connection cut); the app host starts it again (a few seconds later).</summary>
    DatabaseRestarted,
    /// <summary>SIGKILL of the config server, which the app host starts again: meanwhile the processes keep the settings they have.</summary>
    ConfigServerKilled,
}

/// <summary>
/// Faults under a steady load of orders through the gateway: afterwards every accepted order has ended, once, stock
/// and points are conserved exactly, and no request failed outside the fault windows. Each module process also says it
/// is not ready while it cannot reach the broker.
/// </summary>
public sealed class FaultSpecs(SplitProcesses processes, ITestOutputHelper output) : IClassFixture<SplitProcesses>
{
    // Each places an order every LoadInterval: about twenty orders a second in all.
    private const int Clients = 4;
    // Two of each keep the specs near four minutes in ./shop test; SHOP_FAULT_REPEATS asks for more in one run.
    private static readonly int Repeats = int.TryParse(Environment.GetEnvironmentVariable("SHOP_FAULT_REPEATS"), out var repeats) ? repeats : 2;
    private const int Stock = 1_000_000;
    private const long Price = 1;
    private static readonly TimeSpan LoadInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(Fault.OrdersProcessKilled)]
    [InlineData(Fault.ProductsProcessKilled)]
    [InlineData(Fault.UsersProcessKilled)]
    [InlineData(Fault.BrokerRestarted)]
    [InlineData(Fault.DatabaseRestarted)]
    [InlineData(Fault.ConfigServerKilled)]
    public async Task every_accepted_order_ends_once_with_stock_and_points_conserved_and_requests_fail_only_during_the_fault(Fault fault)
    {
        var shop = await ShopClient.SignInAsync(processes);
        var tea = await shop.AddProductAsync("Tea", Price, Stock);
        var buyers = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => shop.RegisterAsync()));
        // The product has reached the Orders catalog and the saga runs end to end before the first fault.
        await shop.SettledAsync(buyers[0], await shop.PlaceOrderAsync(buyers[0], tea, quantity: 1));

        var load = new SteadyLoad(shop, tea);
        var running = load.Start(buyers);
        var windows = new List<(DateTime From, DateTime To)>();
        try
        {
            for (var repeat = 1; repeat <= Repeats; repeat++)
            {
                // Orders are flowing when the fault strikes: what a fault loses is what was on its way.
                var before = load.Accepted.Count;
                await Eventually.UntilAsync(() => Task.FromResult(load.Accepted.Count >= before + 20), RecoveryTimeout, () => "The load does not run.");
                var inFlight = await PendingCountAsync(shop, buyers);
                var struck = DateTime.UtcNow;
                var acceptedAtFault = load.Accepted.Count;
                var failedBefore = load.Failures.Count;
                await InjectAsync(fault);
                await EveryProcessReadyAsync();
                var ready = DateTime.UtcNow;

                // Recovered: the gateway takes an order again (it may learn of a restarted process from the registry a
                // little after the process is ready), and the order goes all the way through the three processes.
                var probe = buyers[repeat % Clients];
                Guid? probeOrder = null;
                await Eventually.UntilAsync(
                    async () => (probeOrder = (await shop.TryPlaceOrderAsync(probe, tea, quantity: 1)).Order) is not null,
                    RecoveryTimeout,
                    () => "The gateway takes no order after the fault.");
                await shop.SettledAsync(probe, probeOrder!.Value);
                var recovered = DateTime.UtcNow;
                windows.Add((struck, recovered));
                output.WriteLine(
                    $"{fault} {repeat}: {inFlight} orders in flight at the fault, {load.Accepted.Count - acceptedAtFault} accepted and " +
                    $"{load.Failures.Count - failedBefore} refused until recovery; " +
                    $"every process ready {(ready - struck).TotalSeconds:0.0} s after the fault began, sagas run again after {(recovered - struck).TotalSeconds:0.0} s");
            }
        }
        finally
        {
            await load.StopAsync(running);
        }

        var ending = Stopwatch.StartNew();
        var orders = await EveryOrderEndedAsync(shop, buyers);
        output.WriteLine($"{load.Accepted.Count} orders accepted under load, every one ended {ending.Elapsed.TotalSeconds:0.0} s after the load stopped");

        Assert.Subset(orders.Select(o => o.Order.Id).ToHashSet(), load.Accepted.ToHashSet());
        var outsideFaults = load.Failures.Where(f => !windows.Any(w => f.Started <= w.To && f.Ended >= w.From)).ToList();
        Assert.True(outsideFaults.Count == 0, $"{outsideFaults.Count} requests failed outside the fault windows: " +
            string.Join("; ", outsideFaults.Take(5).Select(f => $"{f.Started:HH:mm:ss.fff} {f.Failure}")));
        // Nothing applied twice: each step once in every order's history, each unit of stock and point taken once.
        Assert.All(orders, o => Assert.Equal(o.Order.Steps.Distinct(), o.Order.Steps));
        var completed = orders.Where(o => o.Order.Status == "Completed").ToList();
        Assert.Equal(Stock - completed.Sum(o => o.Order.Items.Sum(item => item.Quantity)), (await shop.ProductAsync(tea)).Stock);
        foreach (var buyer in buyers)
        {
            var spent = completed.Where(o => o.Buyer == buyer).Sum(o => o.Order.TotalPrice);
            Assert.Equal(ShopHost.InitialPoints - spent, await shop.PointsAsync(buyer));
        }
    }

    [Fact]
    public async Task each_module_process_is_not_ready_while_the_broker_is_away_and_its_waiting_messages_show_on_metrics_until_it_is_back()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var tea = await shop.AddProductAsync("Tea", Price, Stock);
        var buyer = await shop.RegisterAsync();
        await shop.SettledAsync(buyer, await shop.PlaceOrderAsync(buyer, tea, quantity: 1));
        using var orders = processes.Client(OrdersModule.Name);
        Guid waiting;
        await processes.RabbitMqCtlAsync("stop_app");
        try
        {
            // Accepted all the same: its OrderPlaced waits in the Orders outbox, which an operator sees aging.
            waiting = await shop.PlaceOrderAsync(buyer, tea, quantity: 1);
            await Eventually.UntilAsync(
                async () => (await MetricsText.ReadAsync(orders)) is var metrics &&
                            metrics.Value("shop_outbox_waiting") >= 1 && metrics.Value("shop_outbox_oldest_seconds") > 0,
                RecoveryTimeout,
                () => "The Orders process's metrics do not show the message waiting in its outbox.");

            foreach (var module in Modules)
            {
                using var client = processes.Client(module);
                await Eventually.UntilAsync(
                    async () => await ReadinessOfAsync(client) == HttpStatusCode.ServiceUnavailable,
                    RecoveryTimeout,
                    () => $"{module} still says it is ready with the broker away.");
                // Alive all the same: nothing to gain from restarting it.
                using var live = await client.GetAsync("/health/live");
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            }
        }
        finally
        {
            await processes.RabbitMqCtlAsync("start_app");
        }

        await EveryProcessReadyAsync();
        Assert.Equal("Completed", (await shop.SettledAsync(buyer, waiting)).Status);
        await Eventually.UntilAsync(
            async () => (await MetricsText.ReadAsync(orders)) is var metrics &&
                        metrics.Value("shop_outbox_waiting") == 0 && metrics.Value("shop_outbox_oldest_seconds") == 0,
            RecoveryTimeout,
            () => "The Orders process's metrics still show a waiting message after the broker came back.");
    }

    private static readonly string[] Modules = [OrdersModule.Name, ProductsModule.Name, UsersModule.Name];

    private async Task InjectAsync(Fault fault)
    {
        switch (fault)
        {
            case Fault.OrdersProcessKilled:
                await KillAsync(OrdersModule.Name);
                break;
            case Fault.ProductsProcessKilled:
                await KillAsync(ProductsModule.Name);
                break;
            case Fault.UsersProcessKilled:
                await KillAsync(UsersModule.Name);
                break;
            // Each server is away until the app host has started it again, as it does any process that ended unasked.
            case Fault.BrokerRestarted:
                // The whole node, as an operator's restart: stop_app alone did not lose a message on the old code.
                await processes.StopBrokerAsync();
                await processes.BrokerBackAsync();
                break;
            case Fault.DatabaseRestarted:
                await processes.StopDatabaseAsync();
                await processes.DatabaseBackAsync();
                break;
            case Fault.ConfigServerKilled:
                processes.KillConfigServer();
                await processes.ConfigServerBackAsync();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }

    /// <summary>Kills the module's process and waits for the app host to have started its successor.</summary>
    private async Task KillAsync(string module)
    {
        var killed = processes.ProcessIdOf(module);
        Process.GetProcessById(killed).Kill();
        await Eventually.UntilAsync(() => Task.FromResult(processes.ProcessIdOf(module) != killed), RecoveryTimeout, () => $"No new {module} process after the kill.");
    }

    private async Task EveryProcessReadyAsync()
    {
        foreach (var client in Modules.Select(processes.Client).Append(processes.Gateway()))
        {
            using var _ = client;
            await Eventually.UntilAsync(
                async () => await Eventually.AnswersAsync(client, "/health/ready"),
                RecoveryTimeout,
                () => $"{client.BaseAddress} is not ready again after the fault.");
        }
    }

    private static async Task<int> PendingCountAsync(ShopClient shop, IEnumerable<Customer> buyers)
    {
        var pending = 0;
        foreach (var buyer in buyers)
        {
            pending += (await shop.OrdersOfAsync(buyer)).Count(order => order.Status == "Pending");
        }

        return pending;
    }

    private static async Task<List<(Customer Buyer, Tests.Orders.OrderBody Order)>> EveryOrderEndedAsync(ShopClient shop, Customer[] buyers)
    {
        var orders = new List<(Customer Buyer, Tests.Orders.OrderBody Order)>();
        await Eventually.UntilAsync(
            async () =>
            {
                orders = [];
                foreach (var buyer in buyers)
                {
                    orders.AddRange((await shop.OrdersOfAsync(buyer)).Select(order => (buyer, order)));
                }

                return orders.All(o => o.Order.Status != "Pending");
            },
            RecoveryTimeout,
            () => $"{orders.Count(o => o.Order.Status == "Pending")} of {orders.Count} accepted orders are still Pending: " +
                  string.Join(", ", orders.Where(o => o.Order.Status == "Pending").Take(10).Select(o => $"{o.Order.Id} ({string.Join(", ", o.Order.Steps)})")));
        return orders;
    }

    private static async Task<HttpStatusCode> ReadinessOfAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health/ready");
        return response.StatusCode;
    }

    /// <summary>
    /// Clients each placing an order every <see cref="LoadInterval"/>, noting what was accepted and when a request
    /// failed: a steady rate the shop keeps up with on a small machine, since a backlog would hide what a fault did.
    /// </summary>
    private sealed class SteadyLoad(ShopClient shop, Guid product)
    {
        private readonly CancellationTokenSource _stop = new();

        public ConcurrentQueue<Guid> Accepted { get; } = new();

        public ConcurrentQueue<(DateTime Started, DateTime Ended, string Failure)> Failures { get; } = new();

        public List<Task> Start(IEnumerable<Customer> buyers) => buyers.Select(buyer => Task.Run(async () =>
        {
            using var pace = new PeriodicTimer(LoadInterval);
            while (!_stop.IsCancellationRequested)
            {
                var started = DateTime.UtcNow;
                var (order, failure) = await shop.TryPlaceOrderAsync(buyer, product, quantity: 1);
                if (order is { } id)
                {
                    Accepted.Enqueue(id);
                }
                else
                {
                    Failures.Enqueue((started, DateTime.UtcNow, failure!));
                }

                await pace.WaitForNextTickAsync(CancellationToken.None);
            }
        })).ToList();

        public async Task StopAsync(List<Task> running)
        {
            await _stop.CancelAsync();
            await Task.WhenAll(running);
            _stop.Dispose();
        }
    }
}
