using ShopModular.Orders;
using ShopModular.Orders.Contracts;
using ShopModular.Products.Contracts;
using ShopModular.Tests.Infrastructure;
using ShopModular.Users;
using ShopModular.Users.Contracts;

namespace ShopModular.Tests.Orders;

/// <summary>The order saga by choreography on the monolith's durable local queues.</summary>
public sealed class MonolithOrderSagaSpecs(ShopHost monolith) : OrderSagaSpecs(monolith), IClassFixture<ShopHost>;

/// <summary>The same saga specs with each module in its own host and database, the three talking over RabbitMQ.</summary>
public sealed class SplitOrderSagaSpecs(SplitShop split) : OrderSagaSpecs(split), IClassFixture<SplitShop>;

/// <summary>The monolith forced onto the broker (<c>Shop:Messaging:Transport=RabbitMq</c>): one host, every message through RabbitMQ.</summary>
public sealed class BrokeredMonolithOrderSagaSpecs(ShopHostOverBroker monolith) : OrderSagaSpecs(monolith), IClassFixture<ShopHostOverBroker>;

/// <summary>The order saga by choreography, through the public API, written once for every topology.</summary>
public abstract class OrderSagaSpecs(IShopTopology topology) : OrderingSpec(topology)
{
    [Fact]
    public async Task a_paid_order_completes_and_takes_exactly_its_stock_and_points()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 1_500, stock: 10);
        var tea = await AddProductAsync(admin, "Tea", price: 400, stock: 5);
        var customer = await RegisterCustomerAsync();

        var (order, _) = await PlaceAndSettleAsync(customer, Item(mug, 2), Item(tea, 3));

        Assert.Equal("Completed", order.Status);
        Assert.Null(order.FailureReason);
        Assert.Equal(4_200, order.TotalPrice);
        Assert.Equal(new PaymentBody("Paid", 4_200), order.Payment);
        Assert.Equal(["OrderPlaced", "StockReserved", "PointsDeducted", "OrderCompleted"], order.Steps);
        Assert.Equal(8, (await GetProductAsync(mug.Id)).Stock);
        Assert.Equal(2, (await GetProductAsync(tea.Id)).Stock);
        Assert.Equal(ShopHost.InitialPoints - 4_200, await PointsOfAsync(customer));
    }

    [Fact]
    public async Task an_order_beyond_the_stock_is_cancelled_and_touches_neither_stock_nor_points()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 1_500, stock: 1);
        var customer = await RegisterCustomerAsync();

        var (order, _) = await PlaceAndSettleAsync(customer, Item(mug, 2));

        Assert.Equal("Cancelled", order.Status);
        Assert.Equal("OutOfStock", order.FailureReason);
        Assert.Equal(new PaymentBody("Cancelled", 3_000), order.Payment);
        Assert.Equal(["OrderPlaced", "StockReservationFailed", "OrderCancelled"], order.Steps);
        Assert.Equal(1, (await GetProductAsync(mug.Id)).Stock);
        Assert.Equal(ShopHost.InitialPoints, await PointsOfAsync(customer));
    }

    [Fact]
    public async Task an_order_beyond_the_points_puts_the_stock_back_then_is_cancelled()
    {
        var admin = await SignInAsAdminAsync();
        var tv = await AddProductAsync(admin, "Television", price: ShopHost.InitialPoints + 1, stock: 3);
        var customer = await RegisterCustomerAsync();

        var (order, session) = await PlaceAndSettleAsync(customer, Item(tv, 1));

        Assert.Equal("Cancelled", order.Status);
        Assert.Equal("InsufficientPoints", order.FailureReason);
        Assert.Equal("Cancelled", order.Payment.Status);
        Assert.Equal(["OrderPlaced", "StockReserved", "PointsDeductionFailed", "StockReleased", "OrderCancelled"], order.Steps);
        Assert.Equal(3, (await GetProductAsync(tv.Id)).Stock);
        Assert.Equal(ShopHost.InitialPoints, await PointsOfAsync(customer));
        // Compensation order: the stock is back before the order is cancelled.
        Assert.Single(session.Executed.MessagesOf<StockReleased>());
    }

    [Fact]
    public async Task a_multi_item_order_with_one_item_short_reserves_nothing()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 5);
        var tea = await AddProductAsync(admin, "Tea", price: 100, stock: 1);
        var customer = await RegisterCustomerAsync();

        var (order, _) = await PlaceAndSettleAsync(customer, Item(mug, 2), Item(tea, 3));

        Assert.Equal("OutOfStock", order.FailureReason);
        Assert.Equal(5, (await GetProductAsync(mug.Id)).Stock);
        Assert.Equal(1, (await GetProductAsync(tea.Id)).Stock);
        Assert.Equal(ShopHost.InitialPoints, await PointsOfAsync(customer));
    }

    [Fact]
    public async Task every_message_of_a_completed_saga_delivered_again_changes_nothing()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 1_000, stock: 10);
        var customer = await RegisterCustomerAsync();
        var (order, session) = await PlaceAndSettleAsync(customer, Item(mug, 3));

        await DeliverAgainAsync(
            SentOnce<OrderPlaced>(session),
            SentOnce<StockReserved>(session),
            SentOnce<PointsDeducted>(session));
        // And all of them twice at the same moment.
        await DeliverAgainAsync(
            SentOnce<OrderPlaced>(session), SentOnce<OrderPlaced>(session),
            SentOnce<StockReserved>(session), SentOnce<StockReserved>(session),
            SentOnce<PointsDeducted>(session), SentOnce<PointsDeducted>(session));

        var after = await GetOrderAsync(customer, order.Id);
        Assert.Equal("Completed", after.Status);
        Assert.Equal(order.Steps, after.Steps);
        Assert.Equal(7, (await GetProductAsync(mug.Id)).Stock);
        Assert.Equal(ShopHost.InitialPoints - 3_000, await PointsOfAsync(customer));
    }

    [Fact]
    public async Task every_message_of_a_compensated_saga_delivered_again_changes_nothing()
    {
        var admin = await SignInAsAdminAsync();
        var tv = await AddProductAsync(admin, "Television", price: ShopHost.InitialPoints + 1, stock: 3);
        var customer = await RegisterCustomerAsync();
        var (order, session) = await PlaceAndSettleAsync(customer, Item(tv, 1));

        await DeliverAgainAsync(
            SentOnce<OrderPlaced>(session), SentOnce<OrderPlaced>(session),
            SentOnce<StockReserved>(session), SentOnce<StockReserved>(session),
            SentOnce<PointsDeductionFailed>(session), SentOnce<PointsDeductionFailed>(session),
            SentOnce<StockReleased>(session), SentOnce<StockReleased>(session));

        var after = await GetOrderAsync(customer, order.Id);
        Assert.Equal("Cancelled", after.Status);
        Assert.Equal(order.Steps, after.Steps);
        Assert.Equal(3, (await GetProductAsync(tv.Id)).Stock);
        Assert.Equal(ShopHost.InitialPoints, await PointsOfAsync(customer));
    }

    [Fact]
    public async Task an_out_of_stock_order_delivered_again_after_a_restock_stays_cancelled_and_reserves_nothing()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 1);
        var customer = await RegisterCustomerAsync();
        var (order, session) = await PlaceAndSettleAsync(customer, Item(mug, 2));
        await Api.Scenario(s =>
        {
            s.Post.Json(new { quantity = 5 }).ToUrl($"/api/products/{mug.Id}/stock");
            s.WithBearerToken(admin);
        });

        await DeliverAgainAsync(SentOnce<OrderPlaced>(session));

        Assert.Equal("Cancelled", (await GetOrderAsync(customer, order.Id)).Status);
        Assert.Equal(6, (await GetProductAsync(mug.Id)).Stock);
    }

    [Fact]
    public async Task a_hundred_concurrent_orders_for_ten_units_complete_exactly_ten()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 10, stock: 10);
        var customers = new List<Customer>();
        for (var i = 0; i < 10; i++)
        {
            customers.Add(await RegisterCustomerAsync());
        }

        var placed = new List<(Customer Customer, Guid OrderId)>();
        await SettleAsync(() => Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            var customer = customers[i % customers.Count];
            var result = await PostOrderAsync(customer, [Item(mug, 1)]);
            var order = (await result.ReadAsJsonAsync<OrderBody>())!;
            lock (placed)
            {
                placed.Add((customer, order.Id));
            }
        })));

        var orders = await Task.WhenAll(placed.Select(p => GetOrderAsync(p.Customer, p.OrderId)));
        Assert.Equal(100, orders.Length);
        Assert.Equal(10, orders.Count(order => order.Status == "Completed"));
        Assert.Equal(90, orders.Count(order => order is { Status: "Cancelled", FailureReason: "OutOfStock" }));
        Assert.Equal(0, (await GetProductAsync(mug.Id)).Stock);
        var pointsSpent = 0L;
        foreach (var customer in customers)
        {
            pointsSpent += ShopHost.InitialPoints - await PointsOfAsync(customer);
        }

        Assert.Equal(10 * 10, pointsSpent);
    }

    [Fact]
    public async Task concurrent_orders_never_take_a_balance_below_zero()
    {
        var admin = await SignInAsAdminAsync();
        var gift = await AddProductAsync(admin, "Gift card", price: 3_000, stock: 1_000);
        var customer = await RegisterCustomerAsync();

        var placed = new List<Guid>();
        await SettleAsync(() => Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            var order = (await (await PostOrderAsync(customer, [Item(gift, 1)])).ReadAsJsonAsync<OrderBody>())!;
            lock (placed)
            {
                placed.Add(order.Id);
            }
        })));

        var orders = await Task.WhenAll(placed.Select(id => GetOrderAsync(customer, id)));
        Assert.Equal(3, orders.Count(order => order.Status == "Completed")); // 10,000 points buy three
        Assert.Equal(7, orders.Count(order => order.FailureReason == "InsufficientPoints"));
        Assert.Equal(ShopHost.InitialPoints - 9_000, await PointsOfAsync(customer));
        Assert.Equal(1_000 - 3, (await GetProductAsync(gift.Id)).Stock);
    }

    [Fact]
    public async Task the_same_idempotency_key_returns_the_first_order()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var customer = await RegisterCustomerAsync();

        OrderBody? first = null;
        await SettleAsync(async () => first = await (await PostOrderAsync(customer, [Item(mug, 1)], idempotencyKey: "checkout-42")).ReadAsJsonAsync<OrderBody>());
        var replay = await (await PostOrderAsync(customer, [Item(mug, 1)], idempotencyKey: "checkout-42")).ReadAsJsonAsync<OrderBody>();
        var concurrent = new List<Guid>();
        await SettleAsync(() => Task.WhenAll(Enumerable.Range(0, 5).Select(async _ =>
        {
            var order = (await (await PostOrderAsync(customer, [Item(mug, 1)], idempotencyKey: "checkout-43")).ReadAsJsonAsync<OrderBody>())!;
            lock (concurrent)
            {
                concurrent.Add(order.Id);
            }
        })));

        Assert.Equal(first!.Id, replay!.Id);
        Assert.Equal("Completed", replay.Status);
        Assert.Single(concurrent.Distinct());
        Assert.Equal(2, await CountAsync(OrdersModule.Name, "orders.orders"));
    }

    [Fact]
    public async Task the_same_idempotency_key_with_other_items_is_refused_and_places_nothing()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var cup = await AddProductAsync(admin, "Cup", price: 50, stock: 10);
        var customer = await RegisterCustomerAsync();
        OrderBody? first = null;
        await SettleAsync(async () =>
            first = await (await PostOrderAsync(customer, [Item(mug, 1), Item(cup, 2)], idempotencyKey: "checkout-44")).ReadAsJsonAsync<OrderBody>());

        // The same items listed the other way round are the same request.
        var replay = await (await PostOrderAsync(customer, [Item(cup, 2), Item(mug, 1)], idempotencyKey: "checkout-44")).ReadAsJsonAsync<OrderBody>();
        var otherQuantity = await PostOrderAsync(customer, [Item(mug, 2), Item(cup, 2)], 422, idempotencyKey: "checkout-44");
        var otherProducts = await PostOrderAsync(customer, [Item(mug, 1)], 422, idempotencyKey: "checkout-44");

        Assert.Equal(first!.Id, replay!.Id);
        Assert.Equal(422, (await ReadProblemAsync(otherQuantity)).Status);
        Assert.Contains("Idempotency-Key", (await ReadProblemAsync(otherProducts)).Detail, StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync(OrdersModule.Name, "orders.orders"));
        Assert.Equal(9, (await GetProductAsync(mug.Id)).Stock);
    }

    [Fact]
    public async Task another_users_idempotency_key_is_their_own()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var ada = await RegisterCustomerAsync();
        var bob = await RegisterCustomerAsync();

        OrderBody? first = null, second = null;
        await SettleAsync(async () =>
        {
            first = await (await PostOrderAsync(ada, [Item(mug, 1)], idempotencyKey: "same-key")).ReadAsJsonAsync<OrderBody>();
            second = await (await PostOrderAsync(bob, [Item(mug, 1)], idempotencyKey: "same-key")).ReadAsJsonAsync<OrderBody>();
        });

        Assert.NotEqual(first!.Id, second!.Id);
        Assert.Equal(bob.Id, second.UserId);
    }

    [Fact]
    public async Task an_order_is_visible_to_its_owner_and_administrators_only()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var owner = await RegisterCustomerAsync();
        var stranger = await RegisterCustomerAsync();
        var (order, _) = await PlaceAndSettleAsync(owner, Item(mug, 1));

        var hidden = await Api.Scenario(s =>
        {
            s.Get.Url($"/api/orders/{order.Id}");
            s.WithBearerToken(stranger.Token);
            s.StatusCodeShouldBe(404);
        });
        await Api.Scenario(s =>
        {
            s.Get.Url($"/api/orders/{order.Id}");
            s.StatusCodeShouldBe(401);
        });
        await Api.Scenario(s =>
        {
            s.Get.Url($"/api/orders/{order.Id}");
            s.WithBearerToken(admin);
            s.StatusCodeShouldBe(200);
        });
        var strangersList = await Api.Scenario(s =>
        {
            s.Get.Url("/api/orders");
            s.WithBearerToken(stranger.Token);
        });

        Assert.Equal(404, (await ReadProblemAsync(hidden)).Status);
        Assert.Empty((await strangersList.ReadAsJsonAsync<OrderBody[]>())!);
    }

    [Fact]
    public async Task lists_the_callers_own_orders_newest_first()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var customer = await RegisterCustomerAsync();
        var other = await RegisterCustomerAsync();
        var (first, _) = await PlaceAndSettleAsync(customer, Item(mug, 1));
        var (second, _) = await PlaceAndSettleAsync(customer, Item(mug, 2));
        await PlaceAndSettleAsync(other, Item(mug, 1));

        var result = await Api.Scenario(s =>
        {
            s.Get.Url("/api/orders");
            s.WithBearerToken(customer.Token);
            s.StatusCodeShouldBe(200);
        });

        var orders = (await result.ReadAsJsonAsync<OrderBody[]>())!;
        Assert.Equal([second.Id, first.Id], orders.Select(order => order.Id));
    }

    [Theory]
    [InlineData("pageSize=0")]
    [InlineData("pageSize=101")]
    [InlineData("page=0")]
    [InlineData("page=x")]
    public async Task rejects_an_invalid_page_of_orders(string query)
    {
        var customer = await RegisterCustomerAsync();

        var result = await Api.Scenario(s =>
        {
            s.Get.Url($"/api/orders?{query}");
            s.WithBearerToken(customer.Token);
            s.StatusCodeShouldBe(400);
        });

        Assert.Equal(400, (await ReadProblemAsync(result)).Status);
    }

    [Fact]
    public async Task an_order_keeps_the_price_it_was_placed_at()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var customer = await RegisterCustomerAsync();
        var (before, _) = await PlaceAndSettleAsync(customer, Item(mug, 1));

        await SettleAsync(() => Api.Scenario(s =>
        {
            s.Put.Json(new { price = 250 }).ToUrl($"/api/products/{mug.Id}/price");
            s.WithBearerToken(admin);
            s.StatusCodeShouldBe(200);
        }));
        var (after, _) = await PlaceAndSettleAsync(customer, Item(mug, 1));

        Assert.Equal(100, (await GetOrderAsync(customer, before.Id)).TotalPrice);
        Assert.Equal(250, after.TotalPrice);
        Assert.Equal(250, after.Items.Single().UnitPrice);
        Assert.Equal(ShopHost.InitialPoints - 350, await PointsOfAsync(customer));
    }

    [Fact]
    public async Task a_late_price_change_does_not_overwrite_a_newer_one()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var customer = await RegisterCustomerAsync();

        await DeliverAgainAsync(
            new ProductPriceChanged(mug.Id, "Mug", 300, PriceVersion: 3),
            new ProductPriceChanged(mug.Id, "Mug", 200, PriceVersion: 2));
        var (order, _) = await PlaceAndSettleAsync(customer, Item(mug, 1));

        Assert.Equal(300, order.TotalPrice);
    }

    [Fact]
    public async Task counts_saga_outcomes_on_metrics()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 1);
        var customer = await RegisterCustomerAsync();
        var before = await MetricsAsync();

        await PlaceAndSettleAsync(customer, Item(mug, 1));
        await PlaceAndSettleAsync(customer, Item(mug, 1));
        var after = await MetricsAsync();

        // Other test classes may place orders at the same time: counters can only have grown by more.
        Assert.True(after.Value("shop_orders_placed_total") >= before.Value("shop_orders_placed_total") + 2);
        Assert.True(after.Value("shop_orders_completed_total") >= before.Value("shop_orders_completed_total") + 1);
        Assert.True(after.Value("shop_orders_cancelled_total{reason=\"OutOfStock\"}") >= before.Value("shop_orders_cancelled_total{reason=\"OutOfStock\"}") + 1);
        Assert.True(after.Value("shop_order_saga_duration_seconds_count") >= before.Value("shop_order_saga_duration_seconds_count") + 2);
    }

    [Fact]
    public async Task a_message_that_always_fails_ends_in_the_dead_letter_store_and_blocks_no_other_order()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 100, stock: 10);
        var customer = await RegisterCustomerAsync();
        var poison = new StockReserved(Guid.NewGuid(), UserId: Guid.NewGuid(), TotalPrice: 100, DateTimeOffset.UtcNow);

        var session = await PublishAndSettleAsync([poison], failOnExceptions: false);
        var (order, _) = await PlaceAndSettleAsync(customer, Item(mug, 1));

        Assert.NotEmpty(session.MovedToErrorQueue.MessagesOf<StockReserved>());
        Assert.Equal("Completed", order.Status);
        // Where an operator finds it: the dead-letter table of the message store in the Users module's database,
        // with the queue it came from (Api, which knows no such order either, dead-letters its own copy).
        var deadLetters = await TestDatabase.QueryAsync(
            Topology.ConnectionStringOf(UsersModule.Name),
            "select message_type, received_at from wolverine.wolverine_dead_letters",
            reader => (Type: reader.GetString(0), Queue: reader.GetString(1)));
        Assert.Contains(deadLetters, letter => letter.Type == "products.stock-reserved" && letter.Queue.Contains("users", StringComparison.Ordinal));
    }

    private async Task<MetricsText> MetricsAsync() => new(await Topology.GetFromProcessesOfAsync(OrdersModule.Name, "/metrics"));
}
