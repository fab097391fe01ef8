using Alba;
using ShopModular.Tests.Orders;
using Wolverine;
using Wolverine.Tracking;

namespace ShopModular.Tests.Infrastructure;

/// <summary>Places orders through the public API and waits, on Wolverine's tracked activity, until their sagas settle.</summary>
public abstract class OrderingSpec(IShopTopology topology) : ShopSpec(topology)
{
    /// <summary>Publishes messages as if delivered again (new envelopes, so only business keys can tell) and waits for them.</summary>
    protected Task<ITrackedSession> DeliverAgainAsync(params object[] messages) => PublishAndSettleAsync(messages, failOnExceptions: true);

    /// <summary>Publishes each message from the host of the module that owns its contract, as that module would.</summary>
    protected Task<ITrackedSession> PublishAndSettleAsync(object[] messages, bool failOnExceptions) =>
        SettleAsync(
            async _ =>
            {
                foreach (var message in messages)
                {
                    await Topology.HostOf(OwnerOf(message)).MessageBus().PublishAsync(message);
                }
            },
            failOnExceptions);

    /// <summary>The module whose contracts assembly declares the message: ShopModular.Products.Contracts → products.</summary>
    private static string OwnerOf(object message) =>
        message.GetType().Namespace!.Split('.')[1].ToLowerInvariant();

    protected async Task<IScenarioResult> PostOrderAsync(Customer customer, object[] items, int expectedStatus = 202, string? idempotencyKey = null) =>
        await Api.Scenario(s =>
        {
            s.Post.Json(new { items }).ToUrl("/api/orders");
            s.WithBearerToken(customer.Token);
            if (idempotencyKey is not null)
            {
                s.WithRequestHeader("Idempotency-Key", idempotencyKey);
            }

            s.StatusCodeShouldBe(expectedStatus);
        });

    /// <summary>Places an order and waits until its saga has settled; returns the order as its owner then sees it.</summary>
    protected async Task<(OrderBody Order, ITrackedSession Session)> PlaceAndSettleAsync(Customer customer, params object[] items)
    {
        OrderBody? placed = null;
        var session = await SettleAsync(async () =>
        {
            var result = await PostOrderAsync(customer, items);
            placed = await result.ReadAsJsonAsync<OrderBody>();
        });
        return (await GetOrderAsync(customer, placed!.Id), session);
    }

    protected async Task<OrderBody> GetOrderAsync(Customer customer, Guid id)
    {
        var result = await Api.Scenario(s =>
        {
            s.Get.Url($"/api/orders/{id}");
            s.WithBearerToken(customer.Token);
            s.StatusCodeShouldBe(200);
        });
        return (await result.ReadAsJsonAsync<OrderBody>())!;
    }

    /// <summary>Rows in a module's table, for example ("orders", "orders.orders").</summary>
    protected async Task<long> CountAsync(string module, string table) =>
        (await TestDatabase.QueryAsync(Topology.ConnectionStringOf(module), $"select count(*) from {table}", reader => reader.GetInt64(0)))[0];

    /// <summary>The message the session saw sent; one sent to several modules' queues counts once.</summary>
    protected static T SentOnce<T>(ITrackedSession session) => session.Sent.MessagesOf<T>().Distinct().Single();

    protected static object Item(ProductBody product, int quantity) => new { productId = product.Id, quantity };
}
