using System.Collections.Concurrent;
using System.Net;
using ShopModular.Orders;
using ShopModular.Products;
using ShopModular.Tests.Infrastructure;
using ShopModular.Users;
using Xunit.Abstractions;

namespace ShopModular.Tests.Split;

/// <summary>
/// The broker restarting under the real split processes of <c>./shop run --split</c>: no order the shop accepted is
/// ever lost, and each module process says it is not ready while it cannot reach the broker.
/// </summary>
public sealed class BrokerFaultSpecs(SplitProcesses processes, ITestOutputHelper output) : IClassFixture<SplitProcesses>
{
    // Each places an order every LoadInterval: about twenty orders a second in all.
    private const int Clients = 4;
    // Two keep the spec near a minute in ./shop test; SHOP_BROKER_RESTARTS asks for more in one run.
    private static readonly int Restarts = int.TryParse(Environment.GetEnvironmentVariable("SHOP_BROKER_RESTARTS"), out var restarts) ? restarts : 2;
    private const int Stock = 1_000_000;
    private const long Price = 1;
    private static readonly TimeSpan LoadInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(60);
    // The fault window: as long as the broker stays away each time (an operator's restart, a few seconds).
    private static readonly TimeSpan BrokerDownTime = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task no_accepted_order_is_lost_when_the_broker_restarts_under_load()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var tea = await shop.AddProductAsync("Tea", Price, Stock);
        var buyers = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => shop.RegisterAsync()));
        // The product has reached the Orders catalog and the saga runs end to end before the first restart.
        await shop.SettledAsync(buyers[0], await shop.PlaceOrderAsync(buyers[0], tea, quantity: 1));

        var accepted = new ConcurrentQueue<Guid>();
        using var stopLoad = new CancellationTokenSource();
        var load = buyers.Select(buyer => Task.Run(async () =>
        {
            // A steady rate the shop keeps up with on a small machine: a backlog would hide what the restarts did.
            using var pace = new PeriodicTimer(LoadInterval);
            while (!stopLoad.IsCancellationRequested)
            {
                accepted.Enqueue(await shop.PlaceOrderAsync(buyer, tea, quantity: 1));
                await pace.WaitForNextTickAsync(CancellationToken.None);
            }
        })).ToList();

        try
        {
            for (var restart = 1; restart <= Restarts; restart++)
            {
                // Orders are flowing when the broker goes: the loss happens to messages published as it stops.
                var before = accepted.Count;
                await Eventually.UntilAsync(() => Task.FromResult(accepted.Count >= before + 20), RecoveryTimeout, () => "The load does not run.");
                var atStop = accepted.Count;
                // The whole node, as the finding did: stop_app alone did not lose a message on the old code.
                await processes.StopBrokerAsync();
                try
                {
                    await Task.Delay(BrokerDownTime);
                }
                finally
                {
                    await processes.StartBrokerAsync();
                }

                var atStart = accepted.Count;
                // Recovered: an order placed now goes all the way through the three processes again.
                var probe = buyers[restart % Clients];
                await shop.SettledAsync(probe, await shop.PlaceOrderAsync(probe, tea, quantity: 1));
                output.WriteLine($"restart {restart}: {atStop} orders accepted before the broker stopped, {atStart - atStop} while it was away");
            }
        }
        finally
        {
            await stopLoad.CancelAsync();
        }

        await Task.WhenAll(load);
        var placed = accepted.ToHashSet();

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
                  string.Join(", ", orders.Where(o => o.Order.Status == "Pending").Select(o => $"{o.Order.Id} ({string.Join(", ", o.Order.Steps)})")));

        output.WriteLine($"{placed.Count} orders accepted under load, all of them ended");
        Assert.Subset(orders.Select(o => o.Order.Id).ToHashSet(), placed);
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
    public async Task each_module_process_is_not_ready_while_the_broker_is_away_and_ready_again_once_it_is_back()
    {
        var modules = new[] { OrdersModule.Name, ProductsModule.Name, UsersModule.Name };
        await processes.RabbitMqCtlAsync("stop_app");
        try
        {
            foreach (var module in modules)
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

        foreach (var module in modules)
        {
            using var client = processes.Client(module);
            await Eventually.UntilAsync(
                async () => await ReadinessOfAsync(client) == HttpStatusCode.OK,
                RecoveryTimeout,
                () => $"{module} is not ready again after the broker came back.");
        }
    }

    private static async Task<HttpStatusCode> ReadinessOfAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health/ready");
        return response.StatusCode;
    }
}
