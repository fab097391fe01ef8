using Microsoft.Extensions.DependencyInjection;
using ShopModular.Tests.Infrastructure;
using Wolverine.Runtime;

namespace ShopModular.Tests.Orders;

/// <summary>What happens to the monolith's sagas when the host stops half-way.</summary>
public sealed class SagaFaultSpecs(ShopHost monolith) : OrderingSpec(monolith), IClassFixture<ShopHost>
{
    [Fact]
    public async Task a_saga_left_half_way_in_durable_storage_completes_when_the_host_starts_again()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 1_000, stock: 10);
        var customer = await RegisterCustomerAsync();

        // A second host on the same database plays the process that stops mid-saga: Users stops taking
        // StockReserved, so the saga halts with the stock reserved and the payment message stored.
        var first = await ShopHost.StartAsync(monolith.ConnectionString, modules: null);
        var runtime = first.Services.GetRequiredService<IWolverineRuntime>();
        var usersQueue = runtime.Endpoints.FindListenerCircuit(new Uri("local://users.products.stock-reserved/"))!;
        await usersQueue.PauseAsync(TimeSpan.FromMinutes(10));
        var placed = await first.Scenario(s =>
        {
            s.Post.Json(new { items = new[] { Item(mug, 2) } }).ToUrl("/api/orders");
            s.WithBearerToken(customer.Token);
            s.StatusCodeShouldBe(202);
        });
        var orderId = (await placed.ReadAsJsonAsync<OrderBody>())!.Id;
        // Messages recovered from storage flow while a host starts, before a tracked session could begin: this
        // case waits on the observable outcome instead.
        await Eventually.UntilAsync(async () => (await GetProductAsync(mug.Id)).Stock == 8, SagaTimeout, NotWithinTimeout);
        Assert.Equal("Pending", (await GetOrderAsync(customer, orderId)).Status);
        await first.DisposeAsync();

        // Started again, the host finds the stored message and finishes the saga.
        await using var second = await ShopHost.StartAsync(monolith.ConnectionString, modules: null);
        OrderBody? order = null;
        await Eventually.UntilAsync(async () =>
        {
            var result = await second.Scenario(s =>
            {
                s.Get.Url($"/api/orders/{orderId}");
                s.WithBearerToken(customer.Token);
            });
            order = await result.ReadAsJsonAsync<OrderBody>();
            return order!.Status != "Pending";
        }, SagaTimeout, NotWithinTimeout);

        Assert.Equal("Completed", order!.Status);
        Assert.Equal(8, (await GetProductAsync(mug.Id)).Stock);
        Assert.Equal(ShopHost.InitialPoints - 2_000, await PointsOfAsync(customer));
    }

    private static string NotWithinTimeout() => "The condition did not hold within the saga timeout.";
}
