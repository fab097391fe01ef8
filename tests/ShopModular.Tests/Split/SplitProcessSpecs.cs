using System.Text.Json.Nodes;
using ShopModular.Orders;
using ShopModular.Products;
using ShopModular.Tests.Infrastructure;
using ShopModular.Users;

namespace ShopModular.Tests.Split;

/// <summary>
/// End to end on real processes started by the app host as <c>./shop run --split</c> starts them, through the gateway only: the saga across
/// three processes, and the faults a distributed deployment meets: the broker going away, and a module process
/// killed mid-saga.
/// Nothing can be tracked inside other processes, so these specs wait on what a client sees, polling with a
/// deadline.
/// </summary>
public sealed class SplitProcessSpecs(SplitProcesses processes, ShopHost monolith) : IClassFixture<SplitProcesses>, IClassFixture<ShopHost>
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(2);
    // The app host has every process poll its config server every 5 s.
    private static readonly TimeSpan ConfigChangeTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task a_saga_runs_across_the_three_processes()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var mug = await shop.AddProductAsync("Mug", price: 1_500, stock: 10);
        var customer = await shop.RegisterAsync();

        var order = await shop.PlaceOrderAsync(customer, mug, quantity: 2);
        var settled = await shop.SettledAsync(customer, order);

        Assert.Equal("Completed", settled.Status);
        Assert.Equal(["OrderPlaced", "StockReserved", "PointsDeducted", "OrderCompleted"], settled.Steps);
        Assert.Equal(8, (await shop.ProductAsync(mug)).Stock);
        Assert.Equal(ShopHost.InitialPoints - 3_000, await shop.PointsAsync(customer));
    }

    [Fact]
    public async Task the_gateway_serves_the_document_and_page_of_the_whole_api_as_the_monolith_does()
    {
        using var gateway = processes.Gateway();
        using var monolithClient = monolith.Host.Server.CreateClient();

        var merged = JsonNode.Parse(await gateway.GetStringAsync("/openapi/v1.json"))!.AsObject();
        var whole = JsonNode.Parse(await monolithClient.GetStringAsync("/openapi/v1.json"))!.AsObject();

        Assert.Equal(Operations(whole), Operations(merged));
        Assert.Superset(new SortedSet<string> { "POST /api/orders", "POST /api/products", "POST /api/auth/token" }, Operations(merged));
        // Every type an operation names is described, whichever module's document it came from.
        var components = merged["components"]!.AsObject();
        Assert.All(References(merged), reference => Assert.NotNull(components[reference.Split('/')[2]]?[reference.Split('/')[3]]));
        Assert.Contains("Bearer", components["securitySchemes"]!.AsObject().Select(scheme => scheme.Key));
        // No module's own address: the page sends its calls to the gateway.
        Assert.False(merged.ContainsKey("servers"));
        using var page = await gateway.GetAsync("/api-docs");
        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }

    private static SortedSet<string> Operations(JsonObject document) =>
        [.. document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject().Select(operation => $"{operation.Key.ToUpperInvariant()} {path.Key}"))];

    private static IEnumerable<string> References(JsonNode? node) => node switch
    {
        JsonObject reference when reference["$ref"] is JsonValue target => [target.GetValue<string>()],
        JsonObject other => other.SelectMany(property => References(property.Value)),
        JsonArray array => array.SelectMany(References),
        _ => [],
    };

    [Fact]
    public async Task the_readme_first_order_completes_through_the_gateway()
    {
        // As written in the README, with the gateway's port and the administrator this fixture's run was given.
        var walkthrough = await Launcher.ReadmeWalkthrough.RunAsync(
            $"http://127.0.0.1:{processes.GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            ("admin@shopmodular.local", ShopHost.AdminEmail),
            ("admin-dev-password", ShopHost.AdminPassword));

        Assert.True(walkthrough.ExitCode == 0, $"The README's walk-through failed ({walkthrough.ExitCode}):\n{walkthrough.Output}\n{walkthrough.Error}");
        Assert.Equal("Completed", walkthrough.Order.GetProperty("status").GetString());
    }

    [Fact]
    public async Task every_process_of_the_topology_listens_on_loopback_only()
    {
        // What the app host keeps track of (pids/: each process it runs, epmd among them), and the servers' own processes
        // below the wrappers it runs them in: the broker's Erlang VM and PostgreSQL's postmaster.
        var files = Directory.GetFiles(Path.Combine(processes.StateDirectory, "pids")).Concat(
            new[] { "rabbitmq/rabbitmq.pid", "pg/postmaster.pid" }.Select(file => Path.Combine(processes.StateDirectory, file)));
        var pids = files.Select(file => int.Parse(File.ReadLines(file).First().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();

        var listeners = (await SocketTable.ListenersAsync()).Where(listener => listener.Pids.Any(pids.Contains)).ToList();

        Assert.Contains(listeners, listener => listener.Port == processes.GatewayPort);
        Assert.Contains(listeners, listener => listener.Port == processes.RegistryPort);
        Assert.Contains(listeners, listener => listener.Port == processes.BrokerManagement.Port);
        Assert.All(listeners, listener => Assert.True(listener.IsLoopback, $"{listener} is not on loopback"));
    }

    [Fact]
    public async Task every_module_process_the_gateway_and_the_config_server_register_themselves_in_the_registry()
    {
        using var registry = processes.Registry();
        var deadline = DateTime.UtcNow + SettleTimeout;
        string[] registered;
        do
        {
            var apps = JsonNode.Parse(await registry.GetStringAsync("/eureka/apps"))!["applications"]!["application"]!.AsArray();
            registered = [.. apps.Select(app => app!["name"]!.GetValue<string>()).Order()];
            if (registered.Length < 5)
            {
                Assert.True(DateTime.UtcNow < deadline, $"Registered so far: {string.Join(", ", registered)}");
                await Task.Delay(200);
            }
        }
        while (registered.Length < 5);

        Assert.Equal(["CONFIGSERVER", "GATEWAY", "ORDERS", "PRODUCTS", "USERS"], registered);
    }

    [Fact]
    public async Task prometheus_finds_every_process_through_the_registry_and_the_dashboard_queries_find_their_series()
    {
        var port = Repository.FreePort();
        var work = Path.Combine(processes.StateDirectory, "prometheus");
        Directory.CreateDirectory(work);
        var config = Path.Combine(work, "prometheus.yml");
        // The Debian package's Prometheus with the deployment's own configuration (deploy/prometheus), pointed at
        // our registry and with shorter intervals: it reads /eureka/apps as XML.
        var deployed = await File.ReadAllTextAsync(Path.Combine(Repository.Root(), "deploy", "prometheus", "prometheus.yml"));
        await File.WriteAllTextAsync(config, deployed
            .Replace("http://eureka:8761/eureka", $"http://127.0.0.1:{processes.RegistryPort}/eureka", StringComparison.Ordinal)
            .Replace("scrape_interval: 15s", "scrape_interval: 1s", StringComparison.Ordinal)
            .Replace("refresh_interval: 30s", "refresh_interval: 1s", StringComparison.Ordinal));
        File.Copy(Path.Combine(Repository.Root(), "deploy", "prometheus", "alerts.yml"), Path.Combine(work, "alerts.yml"), overwrite: true);
        using var prometheus = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("prometheus",
        [
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(work, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            string[] up = [];
            await Eventually.UntilAsync(
                async () =>
                {
                    up = await AppsScrapedAsync(api);
                    return up.Length == 4;
                },
                SettleTimeout,
                () => $"Targets up so far: {string.Join(", ", up)}");
            Assert.Equal(["gateway", "orders", "products", "users"], up);

            // Every query of the Grafana dashboard is valid PromQL, and the gauges it shows have series.
            var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Repository.Root(), "deploy", "grafana", "dashboards", "shopmodular.json")))!;
            var queries = dashboard["panels"]!.AsArray().SelectMany(panel => panel!["targets"]!.AsArray())
                .Select(target => target!["expr"]!.GetValue<string>().Replace("$__rate_interval", "1m", StringComparison.Ordinal)).ToList();
            foreach (var query in queries)
            {
                var answer = JsonNode.Parse(await api.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}"))!;
                Assert.Equal("success", answer["status"]!.GetValue<string>());
            }

            foreach (var gauge in queries.Where(query => !query.Contains("rate(", StringComparison.Ordinal)))
            {
                await Eventually.UntilAsync(
                    async () => JsonNode.Parse(await api.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(gauge)}"))!["data"]!["result"]!.AsArray().Count > 0,
                    SettleTimeout,
                    () => $"No series for the dashboard's {gauge}.");
            }
        }
        finally
        {
            prometheus.Kill();
        }
    }

    /// <summary>The apps (the <c>app</c> label the configuration sets) whose targets are up; empty while Prometheus starts.</summary>
    private static async Task<string[]> AppsScrapedAsync(HttpClient prometheus)
    {
        try
        {
            var targets = JsonNode.Parse(await prometheus.GetStringAsync("/api/v1/targets?state=active"))!["data"]!["activeTargets"]!.AsArray();
            return [.. targets.Where(target => target!["health"]!.GetValue<string>() == "up")
                .Select(target => target!["labels"]!["app"]!.GetValue<string>()).Order()];
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    [Fact]
    public async Task two_products_instances_share_the_reads_and_a_killed_one_costs_one_retried_attempt_and_leaves_the_gateways_routing_within_its_lease()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var cup = await shop.AddProductAsync("Cup", price: 100, stock: 5);
        var (second, secondPort) = await processes.StartAnotherInstanceAsync(ProductsModule.Name);
        using var _ = second;
        try
        {
            // Once the gateway has both in its copy of the registry, round-robin sends reads to each.
            var firstPort = processes.PortOf(ProductsModule.Name);
            await Eventually.UntilAsync(
                async () =>
                {
                    for (var i = 0; i < 4; i++)
                    {
                        await shop.ProductAsync(cup);
                    }

                    return await RequestsServedAsync(firstPort) > 0 && await RequestsServedAsync(secondPort) > 0 && await RegisteredProductsAsync() == 2;
                },
                SettleTimeout,
                () => "Reads never reached both instances.");

            var unreachableBefore = await UnreachableProductsAttemptsAsync();
            second.Kill(); // SIGKILL: it does not deregister, so it stays in the registry until its lease lapses
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(5, (await shop.ProductAsync(cup)).Stock); // the GET that meets the dead one is retried
            }

            // Writes are not retried blindly, but the gateway now skips the instance it could not reach.
            for (var i = 0; i < 5; i++)
            {
                await shop.AddProductAsync($"Saucer {i}", price: 50, stock: 1);
            }

            Assert.Equal(unreachableBefore + 1, await UnreachableProductsAttemptsAsync());

            // Its lease (15 s) lapses, the registry evicts it (every 5 s), and the gateway's next fetch (every
            // 2 s) drops it from its routing.
            var leaseEvictionAndFetch = TimeSpan.FromSeconds(15 + 5 + 2 + 10);
            await Eventually.UntilAsync(
                async () => await RegisteredProductsAsync() == 1,
                leaseEvictionAndFetch,
                () => "The killed instance outlived its lease in the registry.");
            await Eventually.UntilAsync(
                async () => await GatewayRoutesToProductsAsync() == 1,
                leaseEvictionAndFetch,
                () => "The gateway still routes to the killed instance.");
            var unreachable = await UnreachableProductsAttemptsAsync();
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(5, (await shop.ProductAsync(cup)).Stock);
            }

            Assert.Equal(unreachable, await UnreachableProductsAttemptsAsync());
        }
        finally
        {
            if (!second.HasExited)
            {
                second.Kill();
            }
        }
    }

    private async Task<int> RegisteredProductsAsync()
    {
        using var registry = processes.Registry();
        using var response = await registry.GetAsync("/eureka/apps/PRODUCTS");
        return response.IsSuccessStatusCode
            ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!["application"]!["instance"]!.AsArray().Count
            : 0;
    }

    /// <summary>UP Products instances in the gateway's copy of the registry, from its /metrics.</summary>
    private Task<double> GatewayRoutesToProductsAsync() => GatewayMetricAsync("shop_gateway_instances_up{service=\"products\"}");

    /// <summary>Requests the gateway sent to a Products instance that did not answer.</summary>
    private Task<double> UnreachableProductsAttemptsAsync() =>
        GatewayMetricAsync("shop_gateway_backend_attempts_total{service=\"products\",outcome=\"unreachable\"}");

    private async Task<double> GatewayMetricAsync(string series)
    {
        using var gateway = processes.Gateway();
        return (await MetricsText.ReadAsync(gateway)).Value(series);
    }

    /// <summary>Requests an instance has answered for the product routes, from its own /metrics.</summary>
    private static async Task<double> RequestsServedAsync(int port)
    {
        using var instance = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        return (await MetricsText.ReadAsync(instance)).Sum(series =>
            series.StartsWith("http_requests_received_total{", StringComparison.Ordinal) && series.Contains("/api/products/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task orders_placed_while_the_broker_is_down_all_complete_once_it_is_back_and_only_once()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var tea = await shop.AddProductAsync("Tea", price: 10, stock: 100);
        var customer = await shop.RegisterAsync();
        await shop.SettledAsync(customer, await shop.PlaceOrderAsync(customer, tea, quantity: 1));

        await processes.RabbitMqCtlAsync("stop_app");
        List<Guid> placed;
        try
        {
            // The outbox keeps each OrderPlaced in the Orders database until the broker takes it.
            placed = [];
            for (var i = 0; i < 10; i++)
            {
                placed.Add(await shop.PlaceOrderAsync(customer, tea, quantity: 1));
            }
        }
        finally
        {
            await processes.RabbitMqCtlAsync("start_app");
        }

        // The step that ends an order writes its whole history, from the times its event carries.
        var orders = await Task.WhenAll(placed.Select(id => shop.OrderWhenAsync(customer, id, order => order.Steps.Length == 4)));
        Assert.All(orders, order => Assert.Equal(["OrderPlaced", "StockReserved", "PointsDeducted", "OrderCompleted"], order.Steps));
        Assert.Equal(100 - 11, (await shop.ProductAsync(tea)).Stock);
        Assert.Equal(ShopHost.InitialPoints - (11 * 10), await shop.PointsAsync(customer));
    }

    [Fact]
    public async Task a_module_process_killed_mid_saga_comes_back_and_every_order_settles_with_stock_and_points_conserved()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var pen = await shop.AddProductAsync("Pen", price: 100, stock: 15);
        var buyers = new List<Customer>();
        for (var i = 0; i < 5; i++)
        {
            buyers.Add(await shop.RegisterAsync());
        }

        await shop.SettledAsync(buyers[0], await shop.PlaceOrderAsync(buyers[0], pen, quantity: 1));
        var placing = Enumerable.Range(0, 30).Select(async i =>
        {
            var buyer = buyers[i % buyers.Count];
            return (Buyer: buyer, Order: await shop.PlaceOrderAsync(buyer, pen, quantity: 1));
        }).ToList();
        var products = processes.ProcessIdOf(ProductsModule.Name);
        System.Diagnostics.Process.GetProcessById(products).Kill(); // SIGKILL: no chance to finish anything
        var placed = await Task.WhenAll(placing);

        var orders = await Task.WhenAll(placed.Select(p => shop.SettledAsync(p.Buyer, p.Order)));
        Assert.NotEqual(products, processes.ProcessIdOf(ProductsModule.Name));
        var completed = orders.Count(order => order.Status == "Completed");
        Assert.Equal(14, completed); // 15 pens, one sold before
        Assert.All(orders.Where(order => order.Status == "Cancelled"), order => Assert.Equal("OutOfStock", order.FailureReason));
        Assert.All(orders, order => Assert.Equal(order.Steps.Distinct(), order.Steps));
        Assert.Equal(0, (await shop.ProductAsync(pen)).Stock);
        var pointsSpent = 0L;
        foreach (var buyer in buyers)
        {
            pointsSpent += ShopHost.InitialPoints - await shop.PointsAsync(buyer);
        }

        Assert.Equal(15 * 100, pointsSpent);
    }

    [Fact]
    public async Task a_change_in_the_configuration_repository_reaches_the_running_users_process_and_the_gateway_without_a_restart()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var users = processes.ProcessIdOf(UsersModule.Name);
        var initialPoints = Path.Combine(processes.ConfigOverrides, "users.yml");
        var rateLimit = Path.Combine(processes.ConfigOverrides, "gateway.yml");
        var unlimited = await File.ReadAllTextAsync(rateLimit);
        using var gateway = processes.Gateway();
        try
        {
            await File.WriteAllTextAsync(initialPoints, "shop:\n  users:\n    initialPoints: 777\n");
            await Eventually.UntilAsync(
                async () => await shop.PointsAsync(await shop.RegisterAsync()) == 777,
                ConfigChangeTimeout,
                () => "New users do not start with the changed initial points.");

            await File.WriteAllTextAsync(rateLimit, "gateway:\n  rateLimitPermits: 3\n");
            await Eventually.UntilAsync(
                async () => await StatusOfAsync(gateway, "/api/products") == System.Net.HttpStatusCode.TooManyRequests,
                ConfigChangeTimeout,
                () => "The gateway does not limit requests to the changed rate.");
        }
        finally
        {
            File.Delete(initialPoints);
            await File.WriteAllTextAsync(rateLimit, unlimited);
        }

        await Eventually.UntilAsync(
            async () => await StatusOfAsync(gateway, "/api/products") == System.Net.HttpStatusCode.OK,
            ConfigChangeTimeout,
            () => "The gateway still limits requests after the change was undone.");
        await Eventually.UntilAsync(
            async () => await shop.PointsAsync(await shop.RegisterAsync()) == ShopHost.InitialPoints,
            ConfigChangeTimeout,
            () => "New users do not start with deploy/config's initial points again.");
        Assert.Equal(users, processes.ProcessIdOf(UsersModule.Name));
    }

    [Fact]
    public void each_module_process_is_started_with_its_config_server_and_none_with_a_setting_of_deploy_config()
    {
        var repository = DeployConfig.RepositoryKeys();
        foreach (var module in new[] { OrdersModule.Name, ProductsModule.Name, UsersModule.Name })
        {
            var environment = File.ReadAllText($"/proc/{processes.ProcessIdOf(module).ToString(System.Globalization.CultureInfo.InvariantCulture)}/environ")
                .Split('\0', StringSplitOptions.RemoveEmptyEntries)
                .Select(variable => DeployConfig.ConfigurationKey(variable.Split('=', 2)[0]))
                .ToHashSet(StringComparer.Ordinal);

            Assert.Contains("spring:cloud:config:uri", environment);
            Assert.Empty(environment.Intersect(repository));
        }
    }

    [Fact]
    public async Task only_the_users_process_is_given_the_private_key_and_the_development_key_signs_no_valid_token()
    {
        var users = EnvironmentOf(processes.ProcessIdOf(UsersModule.Name));
        var orders = EnvironmentOf(processes.ProcessIdOf(OrdersModule.Name));
        var products = EnvironmentOf(processes.ProcessIdOf(ProductsModule.Name));
        var privateKey = (await File.ReadAllTextAsync(processes.TokenKeyPath("private.pem"))).Trim();

        Assert.Equal(privateKey, users["Shop__Jwt__PrivateKey"].Trim());
        // Empty: it hides the development pair of appsettings.Development.json too.
        Assert.Equal(string.Empty, orders["Shop__Jwt__PrivateKey"]);
        Assert.Equal(string.Empty, products["Shop__Jwt__PrivateKey"]);
        Assert.DoesNotContain(orders.Values, value => value.Contains("PRIVATE KEY", StringComparison.Ordinal));

        // Whoever reads the repository has the development private key: its tokens are refused at the edge and by
        // the module processes themselves.
        var developmentKey = TestKeys.DevelopmentSettings()["Shop:Jwt:PrivateKey"]!;
        var forged = TestKeys.SignedWith(developmentKey, Guid.NewGuid(), "forger@shop.test", "admin");
        foreach (var client in new[] { processes.Gateway(), processes.Client(OrdersModule.Name) })
        {
            using var _ = client;
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/orders");
            request.Headers.Authorization = new("Bearer", forged);
            using var response = await client.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    /// <summary>The environment a process was started with (Linux /proc), which is how the app host hands out keys.</summary>
    private static Dictionary<string, string> EnvironmentOf(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair.Length == 2 ? pair[1] : string.Empty, StringComparer.Ordinal);

    private static async Task<System.Net.HttpStatusCode> StatusOfAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return response.StatusCode;
    }
}
