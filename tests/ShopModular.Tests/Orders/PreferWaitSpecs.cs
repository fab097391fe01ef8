using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ShopModular.Orders;
using ShopModular.Tests.Infrastructure;
using ShopModular.Users;
using Wolverine.Runtime;
using Wolverine.Transports;

namespace ShopModular.Tests.Orders;

/// <summary><c>Prefer: wait</c> on the monolith.</summary>
public sealed class MonolithPreferWaitSpecs(ShopHost monolith) : PreferWaitSpecs(monolith), IClassFixture<ShopHost>;

/// <summary>
/// <c>Prefer: wait</c> through the gateway, with two Orders instances behind it: a waiter is woken whichever of them
/// ended the order.
/// </summary>
public sealed class SplitPreferWaitSpecs(SplitShop split) : PreferWaitSpecs(split), IClassFixture<SplitShop>
{
    [Fact]
    public async Task a_waiter_on_one_orders_instance_is_woken_when_the_other_instance_ends_the_order()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 5);
        var customer = await RegisterCustomerAsync();
        var waiting = split.ServersOf(OrdersModule.Name)[0];
        // The waiting instance takes none of the saga's last steps: only the other one can end the order.
        await using var paused = await PauseAsync(waiting.Host, OrderSteps);

        HttpResponseMessage? answer = null;
        await SettleAsync(async () =>
        {
            using var client = waiting.Client();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = OrderContent(Item(mug, 1)) };
            request.Headers.Authorization = new("Bearer", customer.Token);
            request.Headers.Add(PreferHeader, "wait=10");
            answer = await client.SendAsync(request);
        });

        Assert.Equal(HttpStatusCode.Created, answer!.StatusCode);
        Assert.Equal("Completed", (await answer.Content.ReadFromJsonAsync<OrderBody>(Json))!.Status);
        Assert.Equal("wait=10", answer.Headers.GetValues(PreferenceAppliedHeader).Single());
        Assert.Equal(0, Waiters());
    }

    private static readonly string[] OrderSteps = ["orders.users.points-deducted", "orders.products.stock-reservation-failed", "orders.products.stock-released"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static StringContent OrderContent(params object[] items) =>
        new(JsonSerializer.Serialize(new { items }, Json), Encoding.UTF8, "application/json");

    /// <summary>Stops a host taking messages from the named broker queues until the result is disposed (they wait in the broker).</summary>
    private static async Task<IAsyncDisposable> PauseAsync(IHost host, params string[] queues)
    {
        var endpoints = host.Services.GetRequiredService<IWolverineRuntime>().Endpoints;
        var listeners = queues.Select(queue => endpoints.FindListenerCircuit(new Uri($"rabbitmq://queue/{queue}"))).ToList();
        Assert.All(listeners, Assert.NotNull);
        foreach (var listener in listeners)
        {
            await listener!.PauseAsync(TimeSpan.FromMinutes(10));
        }

        return new Resume(listeners!);
    }

    private sealed class Resume(IReadOnlyList<IListenerCircuit> listeners) : IAsyncDisposable
    {
        private bool _resumed;

        public async ValueTask DisposeAsync()
        {
            if (!_resumed)
            {
                _resumed = true;
                foreach (var listener in listeners)
                {
                    await listener.StartAsync();
                }
            }
        }
    }
}

/// <summary>
/// RFC 7240 <c>Prefer: wait=N</c> on <c>POST /api/orders</c> and <c>GET /api/orders/{id}</c>: the client is told how
/// its order ended, in the answer to one request, instead of polling.
/// </summary>
public abstract class PreferWaitSpecs(IShopTopology topology) : PreferWaitSpec(topology)
{
    [Fact]
    public async Task a_client_that_prefers_to_wait_is_answered_201_with_the_completed_order()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 1_500, stock: 10);
        var customer = await RegisterCustomerAsync();

        IScenarioResult? answer = null;
        await SettleAsync(async () => answer = await PostOrderAsync(customer, "wait=10", 201, Item(mug, 2)));
        var order = (await answer!.ReadAsJsonAsync<OrderBody>())!;

        Assert.Equal("Completed", order.Status);
        Assert.Equal(new PaymentBody("Paid", 3_000), order.Payment);
        Assert.Equal(["OrderPlaced", "StockReserved", "PointsDeducted", "OrderCompleted"], order.Steps);
        Assert.Equal($"/api/orders/{order.Id}", answer!.Context.Response.Headers.Location.ToString());
        Assert.Equal("wait=10", answer.Context.Response.Headers[PreferenceAppliedHeader].ToString());
        Assert.Equivalent(order, await GetOrderAsync(customer, order.Id), strict: true);
    }

    [Fact]
    public async Task an_order_cancelled_within_the_wait_is_a_final_answer_too()
    {
        var admin = await SignInAsAdminAsync();
        var tv = await AddProductAsync(admin, "Television", price: ShopHost.InitialPoints + 1, stock: 3);
        var customer = await RegisterCustomerAsync();

        IScenarioResult? answer = null;
        await SettleAsync(async () => answer = await PostOrderAsync(customer, "wait=10", 201, Item(tv, 1)));
        var order = (await answer!.ReadAsJsonAsync<OrderBody>())!;

        Assert.Equal("Cancelled", order.Status);
        Assert.Equal("InsufficientPoints", order.FailureReason);
        Assert.Equal(3, (await GetProductAsync(tv.Id)).Stock);
    }

    [Fact]
    public async Task a_get_that_prefers_to_wait_answers_once_the_order_has_ended()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var customer = await RegisterCustomerAsync();
        var payment = await HoldPaymentsOfAsync(customer);

        IScenarioResult? answer = null;
        await SettleAsync(async () =>
        {
            var placed = (await (await PostOrderAsync(customer, prefer: null, 202, Item(mug, 1))).ReadAsJsonAsync<OrderBody>())!;
            var waiting = GetOrderAsync(customer, placed.Id, "wait=10");
            // The GET is waiting on a Pending order (the server says so), and only then may the saga go on.
            await Eventually.UntilAsync(() => Task.FromResult(Waiters() == 1), SagaTimeout, () => "The GET never started to wait.");
            Assert.Equal("Pending", (await GetOrderAsync(customer, placed.Id)).Status);
            await payment.DisposeAsync();
            answer = await waiting;
        });
        var order = (await answer!.ReadAsJsonAsync<OrderBody>())!;

        Assert.Equal("Completed", order.Status);
        Assert.Equal("wait=10", answer!.Context.Response.Headers[PreferenceAppliedHeader].ToString());
        Assert.Equal(0, Waiters());
    }

    [Fact]
    public async Task a_client_that_stops_waiting_leaves_no_waiter_behind()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var customer = await RegisterCustomerAsync();
        var payment = await HoldPaymentsOfAsync(customer);
        var placed = (await (await PostOrderAsync(customer, prefer: null, 202, Item(mug, 1))).ReadAsJsonAsync<OrderBody>())!;
        using var client = Api.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/orders/{placed.Id}");
        request.Headers.Authorization = new("Bearer", customer.Token);
        request.Headers.Add(PreferHeader, "wait=10");
        using var hangUp = new CancellationTokenSource();
        var waiting = client.SendAsync(request, hangUp.Token);
        await Eventually.UntilAsync(() => Task.FromResult(Waiters() == 1), SagaTimeout, () => "The GET never started to wait.");

        await hangUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Eventually.UntilAsync(() => Task.FromResult(Waiters() == 0), SagaTimeout, () => "A waiter outlived its client.");
        // The order itself goes on as if nobody had asked.
        await payment.DisposeAsync();
        await Eventually.UntilAsync(async () => (await GetOrderAsync(customer, placed.Id)).Status == "Completed", SagaTimeout, () => "The order did not complete.");
    }

    [Fact]
    public async Task an_order_that_fails_validation_is_answered_400_whatever_the_client_would_wait()
    {
        var customer = await RegisterCustomerAsync();

        var answer = await Api.Scenario(s =>
        {
            s.Post.Json(new { items = Array.Empty<object>() }).ToUrl("/api/orders");
            s.WithBearerToken(customer.Token);
            s.WithRequestHeader(PreferHeader, "wait=10");
            s.StatusCodeShouldBe(400);
        });

        Assert.Contains("items", (await ReadProblemAsync(answer)).Errors!.Keys);
        Assert.Equal(0, Waiters());
    }

    private Task<IScenarioResult> GetOrderAsync(Customer customer, Guid id, string prefer) =>
        Api.Scenario(s =>
        {
            s.Get.Url($"/api/orders/{id}");
            s.WithBearerToken(customer.Token);
            s.WithRequestHeader(PreferHeader, prefer);
            s.StatusCodeShouldBe(200);
        });
}

/// <summary>Places and reads orders with a <c>Prefer</c> header, and holds sagas where a spec needs them to wait.</summary>
public abstract class PreferWaitSpec(IShopTopology topology) : OrderingSpec(topology)
{
    protected const string PreferHeader = "Prefer";
    protected const string PreferenceAppliedHeader = "Preference-Applied";

    /// <summary>
    /// The requests waiting for an order to end (Prefer: wait), over every Orders instance of this topology (their
    /// <c>shop_order_waiters</c> gauge is the test process's, shared with the topologies of other test classes).
    /// </summary>
    protected int Waiters() => Topology.HostsOf(OrdersModule.Name).Sum(host => host.Services.GetRequiredService<OrderOutcomes>().Waiting);

    protected async Task<IScenarioResult> PostOrderAsync(Customer customer, string? prefer, int expectedStatus, params object[] items) =>
        await Api.Scenario(s =>
        {
            s.Post.Json(new { items }).ToUrl("/api/orders");
            s.WithBearerToken(customer.Token);
            if (prefer is not null)
            {
                s.WithRequestHeader(PreferHeader, prefer);
            }

            s.StatusCodeShouldBe(expectedStatus);
        });

    /// <summary>Keeps the buyer's orders Pending until the result is disposed (see <see cref="PaymentHold"/>).</summary>
    protected Task<PaymentHold> HoldPaymentsOfAsync(Customer customer) =>
        PaymentHold.OfAsync(Topology.ConnectionStringOf(UsersModule.Name), customer.Id);
}

/// <summary>
/// What the server makes of a preference it cannot honour as sent, on a monolith whose cap on waiting
/// (<c>Shop:Orders:MaxWait</c>) is three seconds.
/// </summary>
public sealed class PreferWaitInputSpecs(ShopHostWithShortWaitCap monolith) : PreferWaitSpec(monolith), IClassFixture<ShopHostWithShortWaitCap>
{
    [Theory]
    [InlineData("wait=abc")]
    [InlineData("wait=-1")]
    [InlineData("wait=0")]
    [InlineData("wait=1.5")]
    [InlineData("wait=")]
    [InlineData("wait")]
    [InlineData("handling=lenient")]
    [InlineData("respond-async")]
    public async Task a_preference_that_states_no_usable_wait_is_no_preference(string prefer)
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var customer = await RegisterCustomerAsync();

        IScenarioResult? answer = null;
        await SettleAsync(async () => answer = await PostOrderAsync(customer, prefer, 202, Item(mug, 1)));

        // Answered as it was placed, without waiting for the saga: today's contract.
        Assert.Equal("Pending", (await answer!.ReadAsJsonAsync<OrderBody>())!.Status);
        Assert.False(answer.Context.Response.Headers.ContainsKey(PreferenceAppliedHeader));
    }

    [Theory]
    [InlineData("wait=3")]
    [InlineData("respond-async, wait=3")]
    [InlineData("handling=lenient; foo=bar, WAIT=3")]
    [InlineData("wait=\"3\"")]
    public async Task a_wait_among_other_preferences_is_honoured(string prefer)
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var customer = await RegisterCustomerAsync();

        IScenarioResult? answer = null;
        await SettleAsync(async () => answer = await PostOrderAsync(customer, prefer, 201, Item(mug, 1)));

        Assert.Equal("Completed", (await answer!.ReadAsJsonAsync<OrderBody>())!.Status);
        Assert.Equal("wait=3", answer.Context.Response.Headers[PreferenceAppliedHeader].ToString());
    }

    [Theory]
    [InlineData("wait=3600")]
    [InlineData("wait=99999999999999999999999999")]
    public async Task a_wait_beyond_the_cap_ends_at_the_cap_with_the_order_as_it_is(string prefer)
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var customer = await RegisterCustomerAsync();
        var payment = await HoldPaymentsOfAsync(customer);

        var answer = await PostOrderAsync(customer, prefer, 202, Item(mug, 1));

        Assert.Equal("Pending", (await answer.ReadAsJsonAsync<OrderBody>())!.Status);
        Assert.False(answer.Context.Response.Headers.ContainsKey(PreferenceAppliedHeader));
        Assert.Equal(0, Waiters());
        // Let the saga end before the next spec resets the data.
        await payment.DisposeAsync();
        var placed = (await answer.ReadAsJsonAsync<OrderBody>())!;
        await Eventually.UntilAsync(async () => (await GetOrderAsync(customer, placed.Id)).Status == "Completed", SagaTimeout, () => "The order did not complete.");
    }
}

/// <summary>The monolith with a cap of three seconds on <c>Prefer: wait</c>.</summary>
public sealed class ShopHostWithShortWaitCap : ShopHost
{
    protected override string Purpose => "monolith_wait_cap";

    public override async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync(Purpose);
        Host = await StartAsync(ConnectionString, Modules, configure: (IWebHostBuilder builder) =>
            builder.UseSetting($"{OrdersSettings.Section}:MaxWait", "00:00:03"));
    }
}
