using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ShopModular.Tests.Infrastructure;
using ShopModular.Tests.Orders;

namespace ShopModular.Tests.Split;

/// <summary>The public API over plain HTTP, through the gateway.</summary>
internal sealed class ShopClient(SplitProcesses processes, string adminToken)
{
    public static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(2);

    public static async Task<ShopClient> SignInAsync(SplitProcesses processes) =>
        new(processes, await TokenAsync(processes, ShopHost.AdminEmail, ShopHost.AdminPassword));

    public async Task<Guid> AddProductAsync(string name, long price, int stock)
    {
        using var gateway = processes.Gateway();
        var created = await SendAsync<ProductBody>(gateway, HttpMethod.Post, "/api/products", adminToken, new { name, price, stock }, HttpStatusCode.Created);
        return created.Id;
    }

    public async Task<Customer> RegisterAsync()
    {
        using var gateway = processes.Gateway();
        var email = $"customer-{Guid.NewGuid():N}@shop.test";
        var user = await SendAsync<UserBody>(gateway, HttpMethod.Post, "/api/users", token: null, new { email, password = "customer-password", name = "Customer" }, HttpStatusCode.Created);
        return new Customer(user.Id, email, "customer-password", await TokenAsync(processes, email, "customer-password"));
    }

    /// <summary>
    /// Places an order; the catalog reaches Orders by message, so a brand-new product may take a moment. With
    /// <paramref name="traceParent"/> (W3C <c>traceparent</c>), as a client that traces its own calls.
    /// </summary>
    public async Task<Guid> PlaceOrderAsync(Customer customer, Guid product, int quantity, string? traceParent = null)
    {
        using var gateway = processes.Gateway();
        var deadline = DateTime.UtcNow + SettleTimeout;
        while (true)
        {
            using var response = await SendRawAsync(
                gateway, HttpMethod.Post, "/api/orders", customer.Token, new { items = new[] { new { productId = product, quantity } } }, traceParent);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                return (await response.Content.ReadFromJsonAsync<OrderBody>(SplitProcesses.Json))!.Id;
            }

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, "The product never reached the Orders catalog.");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Places an order once, as a client under load does: the order it accepted, or what went wrong (a status other
    /// than 202, or no answer at all).
    /// </summary>
    public async Task<(Guid? Order, string? Failure)> TryPlaceOrderAsync(Customer customer, Guid product, int quantity)
    {
        using var gateway = processes.Gateway();
        try
        {
            using var response = await SendRawAsync(gateway, HttpMethod.Post, "/api/orders", customer.Token, new { items = new[] { new { productId = product, quantity } } });
            return response.StatusCode == HttpStatusCode.Accepted
                ? ((await response.Content.ReadFromJsonAsync<OrderBody>(SplitProcesses.Json))!.Id, null)
                : (null, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>
    /// Places an order as a client that prefers to wait for its end (<c>Prefer: wait</c>), and returns it once it has
    /// ended: from the answer to the POST, or, should the wait run out first, from polling.
    /// </summary>
    public async Task<OrderBody> PlaceAndAwaitEndAsync(Customer customer, params (Guid Product, int Quantity)[] items)
    {
        using var gateway = processes.Gateway();
        var deadline = DateTime.UtcNow + SettleTimeout;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
            {
                Content = JsonContent.Create(new { items = items.Select(item => new { productId = item.Product, quantity = item.Quantity }) }, options: SplitProcesses.Json),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", customer.Token);
            request.Headers.Add("Prefer", "wait=10");
            using var response = await gateway.SendAsync(request);
            if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted)
            {
                var order = (await response.Content.ReadFromJsonAsync<OrderBody>(SplitProcesses.Json))!;
                return order.Status == "Pending" ? await SettledAsync(customer, order.Id) : order;
            }

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, "A product never reached the Orders catalog.");
            await Task.Delay(100);
        }
    }

    /// <summary>The order once it is Completed or Cancelled.</summary>
    public Task<OrderBody> SettledAsync(Customer customer, Guid order) =>
        OrderWhenAsync(customer, order, body => body.Status != "Pending");

    public async Task<OrderBody> OrderWhenAsync(Customer customer, Guid order, Func<OrderBody, bool> condition)
    {
        using var gateway = processes.Gateway();
        var deadline = DateTime.UtcNow + SettleTimeout;
        while (true)
        {
            var body = await SendAsync<OrderBody>(gateway, HttpMethod.Get, $"/api/orders/{order}", customer.Token, body: null, HttpStatusCode.OK);
            if (condition(body))
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Order {order} is not there yet after {SettleTimeout}: {string.Join(", ", body.Steps)}.");
            await Task.Delay(100);
        }
    }

    /// <summary>Every order of the customer, page by page (<c>GET /api/orders</c>).</summary>
    public async Task<List<OrderBody>> OrdersOfAsync(Customer customer)
    {
        using var gateway = processes.Gateway();
        var orders = new List<OrderBody>();
        for (var page = 1; ; page++)
        {
            var batch = await SendAsync<OrderBody[]>(gateway, HttpMethod.Get, $"/api/orders?page={page}&pageSize=100", customer.Token, body: null, HttpStatusCode.OK);
            orders.AddRange(batch);
            if (batch.Length < 100)
            {
                return orders;
            }
        }
    }

    public async Task<ProductBody> ProductAsync(Guid product)
    {
        using var gateway = processes.Gateway();
        return await SendAsync<ProductBody>(gateway, HttpMethod.Get, $"/api/products/{product}", token: null, body: null, HttpStatusCode.OK);
    }

    public async Task<long> PointsAsync(Customer customer)
    {
        using var gateway = processes.Gateway();
        return (await SendAsync<UserBody>(gateway, HttpMethod.Get, "/api/users/me", customer.Token, body: null, HttpStatusCode.OK)).Points;
    }

    private static async Task<string> TokenAsync(SplitProcesses processes, string email, string password)
    {
        using var gateway = processes.Gateway();
        return (await SendAsync<TokenBody>(gateway, HttpMethod.Post, "/api/auth/token", token: null, new { email, password }, HttpStatusCode.OK)).AccessToken;
    }

    private static async Task<T> SendAsync<T>(HttpClient client, HttpMethod method, string url, string? token, object? body, HttpStatusCode expected)
    {
        using var response = await SendRawAsync(client, method, url, token, body);
        Assert.Equal(expected, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<T>(SplitProcesses.Json))!;
    }

    private static async Task<HttpResponseMessage> SendRawAsync(
        HttpClient client, HttpMethod method, string url, string? token, object? body, string? traceParent = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (traceParent is not null)
        {
            request.Headers.Add("traceparent", traceParent);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: SplitProcesses.Json);
        }

        return await client.SendAsync(request);
    }
}
