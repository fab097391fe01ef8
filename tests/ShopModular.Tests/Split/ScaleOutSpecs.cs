using System.Text.Json.Nodes;
using ShopModular.Tests.Infrastructure;
using ShopModular.Tests.Orders;

namespace ShopModular.Tests.Split;

/// <summary><c>SHOP_INSTANCES=2 ./shop run --split</c>: two processes of every module, behind one gateway.</summary>
public sealed class TwoProcessesPerModule : SplitProcesses
{
    protected override int Instances => 2;
}

/// <summary>
/// Scaled out, the split topology stays correct under load: every order ends once, as the catalog and the balances
/// say it must, stock and points add up, and both processes of every module take their share of the work.
/// </summary>
public sealed class ScaleOutSpecs(TwoProcessesPerModule processes) : IClassFixture<TwoProcessesPerModule>
{
    private const int Orders = 160;
    private const int Clients = 16;
    private const int ScarceStock = 10;

    private enum Kind
    {
        /// <summary>Everything in stock and affordable: must complete.</summary>
        Plain,

        /// <summary>Also one unit of a product that has <see cref="ScarceStock"/>: the first ones complete, the rest are OutOfStock.</summary>
        Scarce,

        /// <summary>Also a product dearer than a whole balance: InsufficientPoints, its stock put back.</summary>
        Unaffordable,
    }

    [Fact]
    public async Task two_processes_of_every_module_share_the_load_and_every_order_ends_as_stock_and_balances_say()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var shelf = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            shelf.Add(await shop.AddProductAsync($"Tea {i}", price: 10 + i, stock: 1_000));
        }

        var scarce = await shop.AddProductAsync("Saffron", price: 50, stock: ScarceStock);
        var dear = await shop.AddProductAsync("Yacht", price: ShopHost.InitialPoints + 1, stock: 1_000);
        var buyers = new List<Customer>();
        for (var i = 0; i < 8; i++)
        {
            buyers.Add(await shop.RegisterAsync());
        }

        var plan = Enumerable.Range(0, Orders).Select(i => (Buyer: buyers[i % buyers.Count], Kind: (i % 5) switch { 3 => Kind.Scarce, 4 => Kind.Unaffordable, _ => Kind.Plain },
            Items: new List<(Guid Product, int Quantity)> { (shelf[i % shelf.Count], 1 + (i % 3)) })).ToList();
        foreach (var order in plan.Where(order => order.Kind != Kind.Plain))
        {
            order.Items.Add((order.Kind == Kind.Scarce ? scarce : dear, 1));
        }

        var next = -1;
        var ended = new OrderBody[Orders];
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < Orders)
            {
                ended[index] = await shop.PlaceAndAwaitEndAsync(plan[index].Buyer, [.. plan[index].Items]);
            }
        }));

        var outcomes = plan.Zip(ended, (order, body) => (order.Kind, order.Buyer, Body: body)).ToList();
        Assert.All(outcomes.Where(o => o.Kind == Kind.Plain), o => Assert.Equal("Completed", o.Body.Status));
        Assert.All(outcomes.Where(o => o.Kind == Kind.Unaffordable), o => Assert.Equal("InsufficientPoints", o.Body.FailureReason));
        Assert.Equal(ScarceStock, outcomes.Count(o => o.Kind == Kind.Scarce && o.Body.Status == "Completed"));
        Assert.All(outcomes.Where(o => o.Kind == Kind.Scarce && o.Body.Status != "Completed"), o => Assert.Equal("OutOfStock", o.Body.FailureReason));
        Assert.All(outcomes, o => Assert.Equal(o.Body.Steps.Distinct(), o.Body.Steps));

        // Stock and points add up: what left the shelves and the balances is exactly what the completed orders hold.
        var completed = outcomes.Where(o => o.Body.Status == "Completed").ToList();
        foreach (var (product, initial) in shelf.Select(product => (product, 1_000)).Append((scarce, ScarceStock)).Append((dear, 1_000)))
        {
            var sold = completed.SelectMany(o => o.Body.Items).Where(item => item.ProductId == product).Sum(item => item.Quantity);
            Assert.Equal(initial - sold, (await shop.ProductAsync(product)).Stock);
        }

        foreach (var buyer in buyers)
        {
            var paid = completed.Where(o => o.Buyer == buyer).Sum(o => o.Body.TotalPrice);
            Assert.Equal(ShopHost.InitialPoints - paid, await shop.PointsAsync(buyer));
        }

        // Each process of each module did part of the work: the gateway spread the requests, the broker the messages.
        foreach (var (app, step) in new[] { ("ORDERS", "users.points-deducted"), ("PRODUCTS", "orders.order-placed"), ("USERS", "products.stock-reserved") })
        {
            var instances = await InstancesAsync(app);
            Assert.Equal(2, instances.Count);
            foreach (var port in instances)
            {
                using var process = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
                var metrics = await MetricsText.ReadAsync(process);
                Assert.True(metrics.Value($"shop_messaging_batch_size_count{{message=\"{step}\"}}") > 0, $"The {app} process on {port} handled no {step}.");
                Assert.True(metrics.Sum(series => series.StartsWith("http_requests_received_total{", StringComparison.Ordinal) && series.Contains("\"/api/", StringComparison.Ordinal)) > 0, $"The {app} process on {port} answered no API request.");
            }
        }
    }

    /// <summary>The ports of an application's instances, as the registry lists them.</summary>
    private async Task<List<int>> InstancesAsync(string app)
    {
        using var registry = processes.Registry();
        var instances = JsonNode.Parse(await registry.GetStringAsync($"/eureka/apps/{app}"))!["application"]!["instance"]!.AsArray();
        return [.. instances.Select(instance => instance!["port"]!["$"]!.GetValue<int>())];
    }
}
