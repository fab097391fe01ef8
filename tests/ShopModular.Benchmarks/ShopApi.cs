using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ShopModular.Benchmarks;

/// <param name="Url">Where the whole API is; the per-module URLs, when given, override it (split topology).</param>
/// <param name="HostPids">The processes serving the API, whose CPU time is reported (Linux).</param>
/// <param name="BrokerPid">The message broker's process, whose CPU time is reported too when given.</param>
/// <param name="GatewayPid">The API gateway's process, whose CPU time is reported too when given.</param>
/// <param name="Database">A connection to the PostgreSQL server (as its superuser), whose work for <paramref name="Databases"/> is reported when given.</param>
internal sealed record BenchOptions(
    string Url, string UsersUrl, string ProductsUrl, string OrdersUrl,
    int Orders, int Concurrency, int Rate, int Warmup, int Users, int Products,
    string AdminEmail, string AdminPassword, int[] HostPids, int? BrokerPid, int? GatewayPid, string? Database, string[] Databases)
{
    private static readonly string[] Names =
    [
        "--url", "--users-url", "--products-url", "--orders-url", "--orders", "--concurrency", "--rate", "--warmup", "--users", "--products",
        "--admin-email", "--admin-password", "--host-pid", "--broker-pid", "--gateway-pid", "--database", "--databases",
    ];

    /// <summary>The options; an unknown one, or one without its value, is an <see cref="ArgumentException"/> naming it.</summary>
    public static BenchOptions Parse(string[] args)
    {
        for (var index = 0; index < args.Length; index += 2)
        {
            if (!Names.Contains(args[index]))
            {
                throw new ArgumentException($"unknown option {args[index]} (options: {string.Join(' ', Names)})");
            }

            if (index + 1 >= args.Length || args[index + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"{args[index]} needs a value");
            }
        }

        string Value(string name, string fallback)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
        }

        int Number(string name, int fallback) =>
            int.TryParse(Value(name, fallback.ToString(CultureInfo.InvariantCulture)), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                ? number
                : throw new ArgumentException($"{name} needs a whole number (got '{Value(name, string.Empty)}')");

        var url = Value("--url", "http://127.0.0.1:5080");
        return new BenchOptions(
            url,
            Value("--users-url", url),
            Value("--products-url", url),
            Value("--orders-url", url),
            Number("--orders", 2000),
            Number("--concurrency", 16),
            Number("--rate", 0),
            Number("--warmup", 300),
            Number("--users", 64),
            Number("--products", 20),
            Value("--admin-email", "admin@shopmodular.local"),
            Value("--admin-password", "admin-dev-password"),
            [.. Value("--host-pid", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(pid => int.Parse(pid, CultureInfo.InvariantCulture))],
            Pid("--broker-pid"),
            Pid("--gateway-pid"),
            Value("--database", "") is { Length: > 0 } database ? database : null,
            Value("--databases", "").Split(',', StringSplitOptions.RemoveEmptyEntries));

        int? Pid(string name) => Value(name, "") is { Length: > 0 } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : null;
    }
}

internal sealed record Customer(string Email, string Token);

internal sealed record Product(Guid Id, string Name, long Price, int Stock);

internal sealed record OrderLine(Guid ProductId, int Quantity);

internal sealed record OrderItem(Guid ProductId, int Quantity, long UnitPrice);

internal sealed record Order(Guid Id, string Status, long TotalPrice, OrderItem[] Items, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>The few calls of the public API the benchmark needs, each sent to the module that serves it.</summary>
internal sealed class ShopApi(HttpClient users, HttpClient products, HttpClient orders)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<string> SignInAsync(string email, string password)
    {
        using var response = await users.PostAsJsonAsync("/api/auth/token", new { email, password });
        await EnsureAsync(response, "sign in");
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("accessToken").GetString()!;
    }

    public async Task<Customer> RegisterAsync(string email)
    {
        const string password = "bench-password";
        using var response = await users.PostAsJsonAsync("/api/users", new { email, password, name = "Bench" });
        await EnsureAsync(response, "register");
        return new Customer(email, await SignInAsync(email, password));
    }

    public async Task<Product> CreateProductAsync(string adminToken, string name, long price, int stock)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/products") { Content = JsonContent.Create(new { name, price, stock }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        using var response = await products.SendAsync(request);
        await EnsureAsync(response, "create product");
        return (await response.Content.ReadFromJsonAsync<Product>(Json))!;
    }

    public async Task<Product> GetProductAsync(Guid id) =>
        (await products.GetFromJsonAsync<Product>($"/api/products/{id}", Json))!;

    public async Task<long> PointsAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await users.SendAsync(request);
        await EnsureAsync(response, "read points");
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("points").GetInt64();
    }

    public async Task<Guid> PlaceOrderAsync(string token, IReadOnlyList<OrderLine> items)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(new { items }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await orders.SendAsync(request);
        await EnsureAsync(response, "place order");
        return (await response.Content.ReadFromJsonAsync<Order>(Json))!.Id;
    }

    public async Task<List<Order>> OrdersOfAsync(string token)
    {
        var all = new List<Order>();
        for (var page = 1; ; page++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/orders?page={page}&pageSize=100");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await orders.SendAsync(request);
            await EnsureAsync(response, "list orders");
            var onPage = (await response.Content.ReadFromJsonAsync<List<Order>>(Json))!;
            all.AddRange(onPage);
            if (onPage.Count < 100)
            {
                return all;
            }
        }
    }

    /// <summary>
    /// Orders learns of products through Products' events: places one real order of the product (before the
    /// measured run, so the figures leave it out) as soon as Orders stops answering that it knows no such product.
    /// </summary>
    public async Task WaitUntilOrderableAsync(string token, Guid productId)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
            {
                Content = JsonContent.Create(new { items = new[] { new { productId, quantity = 1 } } }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await orders.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            if (response.StatusCode != HttpStatusCode.BadRequest)
            {
                await EnsureAsync(response, "probe the catalog");
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException("Orders never learned of the seeded products.");
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
