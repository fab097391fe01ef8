using System.Diagnostics;
using System.Globalization;
using ShopModular.Benchmarks;

// Drives orders through the public HTTP API and reports the saga's throughput and latency.
// Usage: ShopModular.Benchmarks --url http://127.0.0.1:5080 --orders 2000 --concurrency 16
//        [--rate R] [--warmup 300] [--users 64] [--products 20] [--admin-email ...] [--admin-password ...]
//        [--users-url U --products-url P --orders-url O] (split topology: each module's own process)
//        [--host-pid PID[,PID...]] [--broker-pid PID] [--gateway-pid PID] [--database CONNECTION --databases NAME[,NAME...]]
// Without --rate, C clients place orders back to back (the saga's capacity); with --rate R, orders
// are placed at R per second (the saga's latency at a load it can sustain). With --host-pid (Linux),
// it also reports the CPU the host processes, PostgreSQL (and the broker and gateway when given) spent per order; with
// --database, the transactions and statements PostgreSQL ran per order for the named databases.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException invalid)
{
    Console.Error.WriteLine($"[bench] error: {invalid.Message}");
    return 2;
}

using var usersClient = Client(options.UsersUrl);
using var productsClient = Client(options.ProductsUrl);
using var ordersClient = Client(options.OrdersUrl);
var api = new ShopApi(usersClient, productsClient, ordersClient);

Console.Error.WriteLine($"seeding {options.Products} products and {options.Users} customers ...");
var adminToken = await api.SignInAsync(options.AdminEmail, options.AdminPassword);
var runId = Guid.NewGuid().ToString("N")[..8];
var products = new List<Product>();
for (var i = 0; i < options.Products; i++)
{
    // Stock for every order, so that the figure measures completed sagas, not refusals.
    products.Add(await api.CreateProductAsync(adminToken, $"bench-{runId}-{i}", price: 10 + i, stock: options.Orders * 3));
}

var customers = await Task.WhenAll(Enumerable.Range(0, options.Users).Select(i => api.RegisterAsync($"bench-{runId}-{i}@bench.test")));
// Orders learns of products from Products' events: wait until its copy of the catalog has every product.
foreach (var product in products)
{
    await api.WaitUntilOrderableAsync(customers[0].Token, product.Id);
}
if (options.Warmup > 0)
{
    // The first orders of a fresh process run unoptimised code and fill connection pools; leave them out.
    Console.Error.WriteLine($"warming up with {options.Warmup} orders ...");
    if (await PlaceAndSettleAsync(options.Warmup) is null)
    {
        return 1;
    }
}

var stockBefore = (await Task.WhenAll(products.Select(p => api.GetProductAsync(p.Id)))).Sum(p => (long)p.Stock);
var pointsBefore = (await Task.WhenAll(customers.Select(c => api.PointsAsync(c.Token)))).Sum();
var cpuBefore = CpuUsage.Read(options.HostPids, options.BrokerPid, options.GatewayPid);
var workBefore = await DatabaseWork.ReadAsync(options.Database, options.Databases);
var run = await PlaceAndSettleAsync(options.Orders);
var cpuAfter = CpuUsage.Read(options.HostPids, options.BrokerPid, options.GatewayPid);
var workAfter = await DatabaseWork.ReadAsync(options.Database, options.Databases);
if (run is null)
{
    return 1;
}

var (ours, started, placedIn) = run.Value;
var completed = ours.Where(o => o.Status == "Completed").ToList();
var lastTerminal = ours.Max(o => o.UpdatedAt);
var seconds = (lastTerminal - started).TotalSeconds;
var latencies = ours.Select(o => (o.UpdatedAt - o.CreatedAt).TotalMilliseconds).Order().ToArray();

var stockAfter = (await Task.WhenAll(products.Select(p => api.GetProductAsync(p.Id)))).Sum(p => (long)p.Stock);
var pointsAfter = (await Task.WhenAll(customers.Select(c => api.PointsAsync(c.Token)))).Sum();
var stockSold = completed.Sum(o => o.Items.Sum(i => (long)i.Quantity));
var pointsPaid = completed.Sum(o => o.TotalPrice);
var conserved = stockBefore - stockAfter == stockSold && pointsBefore - pointsAfter == pointsPaid;

var invariant = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(invariant, $"orders placed       {ours.Count} in {placedIn.TotalSeconds:F1} s ({ours.Count / placedIn.TotalSeconds:F0}/s accepted)"));
Console.WriteLine(string.Create(invariant, $"orders completed    {completed.Count}, cancelled {ours.Count - completed.Count}"));
Console.WriteLine(string.Create(invariant, $"completed orders/s  {completed.Count / seconds:F0}  (first placement to last terminal state: {seconds:F1} s)"));
Console.WriteLine(string.Create(invariant, $"saga latency ms     p50 {Percentile(latencies, 50):F1}  p95 {Percentile(latencies, 95):F1}  p99 {Percentile(latencies, 99):F1}  max {latencies[^1]:F1}"));
Console.WriteLine($"conservation        stock sold {stockSold} = stock taken {stockBefore - stockAfter}; points paid {pointsPaid} = points taken {pointsBefore - pointsAfter}: {(conserved ? "OK" : "VIOLATED")}");
if (cpuBefore is not null && cpuAfter is not null)
{
    // Where the time goes (Linux): CPU of the host processes, all PostgreSQL processes and the broker during the measured run.
    Console.WriteLine(string.Create(invariant,
        $"CPU per order       host {(cpuAfter.HostSeconds - cpuBefore.HostSeconds) * 1000 / ours.Count:F1} ms, PostgreSQL {(cpuAfter.PostgresSeconds - cpuBefore.PostgresSeconds) * 1000 / ours.Count:F1} ms, broker {(cpuAfter.BrokerSeconds - cpuBefore.BrokerSeconds) * 1000 / ours.Count:F1} ms, gateway {(cpuAfter.GatewaySeconds - cpuBefore.GatewaySeconds) * 1000 / ours.Count:F1} ms"));
}

if (workBefore is not null && workAfter is not null)
{
    // Includes the driver's own reads of the orders' outcome (one list per customer and second), a small share.
    Console.WriteLine(string.Create(invariant,
        $"PostgreSQL per order {(double)(workAfter.Transactions - workBefore.Transactions) / ours.Count:F2} transactions, {(double)(workAfter.Statements - workBefore.Statements) / ours.Count:F1} statements"));
}

var work = workBefore is not null && workAfter is not null
    ? string.Create(invariant, $" transactions_per_order={(double)(workAfter.Transactions - workBefore.Transactions) / ours.Count:F2} statements_per_order={(double)(workAfter.Statements - workBefore.Statements) / ours.Count:F1}")
    : string.Empty;
var cpu = cpuBefore is not null && cpuAfter is not null
    ? string.Create(invariant, $" host_cpu_ms={(cpuAfter.HostSeconds - cpuBefore.HostSeconds) * 1000 / ours.Count:F1} postgres_cpu_ms={(cpuAfter.PostgresSeconds - cpuBefore.PostgresSeconds) * 1000 / ours.Count:F1} broker_cpu_ms={(cpuAfter.BrokerSeconds - cpuBefore.BrokerSeconds) * 1000 / ours.Count:F1} gateway_cpu_ms={(cpuAfter.GatewaySeconds - cpuBefore.GatewaySeconds) * 1000 / ours.Count:F1}")
    : string.Empty;
Console.WriteLine(string.Create(invariant, $"RESULT completed_per_second={completed.Count / seconds:F1} p50_ms={Percentile(latencies, 50):F1} p95_ms={Percentile(latencies, 95):F1} p99_ms={Percentile(latencies, 99):F1} conserved={conserved}{cpu}{work}"));
return conserved && completed.Count == ours.Count ? 0 : 1;

// Places `count` orders (paced when --rate is set), then waits until every one is terminal;
// null when some are still Pending after five minutes.
async Task<(List<Order> Orders, DateTimeOffset Started, TimeSpan PlacedIn)?> PlaceAndSettleAsync(int count)
{
    Console.Error.WriteLine($"placing {count} orders at concurrency {options.Concurrency}{(options.Rate > 0 ? $", {options.Rate}/s" : "")} ...");
    var placedOrders = new System.Collections.Concurrent.ConcurrentBag<(Customer Customer, Guid OrderId)>();
    var next = -1;
    var started = DateTimeOffset.UtcNow;
    var clock = Stopwatch.StartNew();
    var progress = new Timer(_ => Console.Error.Write($"\r  placed {placedOrders.Count}/{count} in {clock.Elapsed.TotalSeconds:F1} s   "), null, 500, 500);
    await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async worker =>
    {
        var random = new Random(worker);
        int index;
        while ((index = Interlocked.Increment(ref next)) < count)
        {
            if (options.Rate > 0 && TimeSpan.FromSeconds((double)index / options.Rate) - clock.Elapsed is { Ticks: > 0 } wait)
            {
                await Task.Delay(wait);
            }

            var customer = customers[index % customers.Length];
            var lines = Enumerable.Range(0, 1 + random.Next(3))
                .Select(_ => products[random.Next(products.Count)])
                .DistinctBy(p => p.Id)
                .Select(p => new OrderLine(p.Id, 1 + random.Next(2)))
                .ToList();
            placedOrders.Add((customer, await api.PlaceOrderAsync(customer.Token, lines)));
        }
    }));
    var placedIn = clock.Elapsed;
    await progress.DisposeAsync();
    Console.Error.WriteLine($"\r  placed {placedOrders.Count}/{count} in {placedIn.TotalSeconds:F1} s   ");

    Console.Error.WriteLine("waiting until every order is Completed or Cancelled ...");
    var ids = placedOrders.Select(p => p.OrderId).ToHashSet();
    var finished = new Dictionary<Guid, Order>();
    var pendingCustomers = placedOrders.Select(p => p.Customer).Distinct().ToList();
    var deadline = Stopwatch.StartNew();
    while (pendingCustomers.Count > 0)
    {
        if (deadline.Elapsed > TimeSpan.FromMinutes(5))
        {
            Console.Error.WriteLine($"\n{ids.Count - finished.Count} orders still Pending after 5 minutes");
            return null;
        }

        // Poll gently (once a second, only customers with pending orders): the figures come from the
        // orders' own timestamps, so polling more often would only take capacity from the saga.
        await Task.Delay(1000);
        var stillPending = new List<Customer>();
        foreach (var customer in pendingCustomers)
        {
            var orders = (await api.OrdersOfAsync(customer.Token)).Where(order => ids.Contains(order.Id)).ToList();
            foreach (var order in orders.Where(order => order.Status != "Pending"))
            {
                finished[order.Id] = order;
            }

            if (orders.Any(order => order.Status == "Pending"))
            {
                stillPending.Add(customer);
            }
        }

        pendingCustomers = stillPending;
        Console.Error.Write($"\r  terminal {finished.Count}/{ids.Count}   ");
    }

    Console.Error.WriteLine();
    return (placedOrders.Select(p => finished[p.OrderId]).ToList(), started, placedIn);
}

HttpClient Client(string url) =>
    new(new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency * 2 }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };

static double Percentile(double[] sorted, int percentile) =>
    sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
