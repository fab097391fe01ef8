using ShopModular.Orders;
using ShopModular.Orders.Contracts;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Orders;

/// <summary>A bad order is a 400 problem that stores nothing and publishes nothing.</summary>
public sealed class PlaceOrderValidationSpecs(ShopHost monolith) : OrderingSpec(monolith), IClassFixture<ShopHost>
{
    public static TheoryData<string, string> InvalidOrders()
    {
        var known = KnownProductId.ToString();
        return new TheoryData<string, string>
        {
            { """{"items":[]}""", "items" },
            { """{}""", "items" },
            { """{"items":null}""", "items" },
            { $$"""{"items":[{"productId":"{{known}}","quantity":0}]}""", "items[0].quantity" },
            { $$"""{"items":[{"productId":"{{known}}","quantity":-1}]}""", "items[0].quantity" },
            { $$"""{"items":[{"productId":"{{known}}","quantity":1000000}]}""", "items[0].quantity" },
            { $$"""{"items":[{"productId":"{{known}}"}]}""", "items[0].quantity" },
            { """{"items":[{"quantity":1}]}""", "items[0].productId" },
            { $$"""{"items":[{"productId":"{{known}}","quantity":1},{"productId":"{{known}}","quantity":2}]}""", "items" },
            { $$"""{"items":[{"productId":"{{Guid.NewGuid()}}","quantity":1}]}""", "items[0].productId" },
            { $$"""{"items":[{"productId":"{{known}}","quantity":1},{"productId":"{{Guid.NewGuid()}}","quantity":1}]}""", "items[1].productId" },
            { """{"items":[{"productId":"not-a-guid","quantity":1}]}""", "" },
            { """{"items":[{"productId":42,"quantity":1}]}""", "" },
            { """{"items":"mug"}""", "" },
            { """{"items":[{"productId":""", "" },
        };
    }

    /// <summary>Fixed so that the theory data can name it; each test adds the product under this id.</summary>
    private static readonly Guid KnownProductId = Guid.Parse("0195f3c1-0000-7000-8000-000000000001");

    [Theory]
    [MemberData(nameof(InvalidOrders))]
    public async Task rejects_an_invalid_order_storing_and_publishing_nothing(string body, string field)
    {
        var customer = await ArrangeKnownProductAndCustomerAsync();

        var session = await SettleAsync(async () =>
        {
            var result = await SendRawJsonAsync(Api, HttpMethod.Post, "/api/orders", body, 400, customer.Token);
            var problem = await ReadProblemAsync(result);
            if (field.Length > 0)
            {
                Assert.Contains(field, problem.Errors!.Keys);
            }
        });

        Assert.Empty(session.Sent.MessagesOf<OrderPlaced>());
        Assert.Equal(0, await CountAsync(OrdersModule.Name, "orders.orders"));
    }

    [Fact]
    public async Task rejects_an_idempotency_key_over_200_characters()
    {
        var customer = await ArrangeKnownProductAndCustomerAsync();

        var result = await PostOrderAsync(customer, [new { productId = KnownProductId, quantity = 1 }], 400, idempotencyKey: new string('k', 201));

        Assert.Contains("Idempotency-Key", (await ReadProblemAsync(result)).Errors!.Keys);
        Assert.Equal(0, await CountAsync(OrdersModule.Name, "orders.orders"));
    }

    [Theory]
    [InlineData("checkout\u0001")]
    [InlineData("check\u007fout")]
    [InlineData("checkout\u0085")]
    public async Task rejects_an_idempotency_key_with_control_characters(string key)
    {
        var customer = await ArrangeKnownProductAndCustomerAsync();

        var result = await PostOrderAsync(customer, [new { productId = KnownProductId, quantity = 1 }], 400, idempotencyKey: key);

        Assert.Contains("Idempotency-Key", (await ReadProblemAsync(result)).Errors!.Keys);
        Assert.Equal(0, await CountAsync(OrdersModule.Name, "orders.orders"));
    }

    [Fact]
    public async Task refuses_an_anonymous_order()
    {
        await ArrangeKnownProductAndCustomerAsync();

        await Api.Scenario(s =>
        {
            s.Post.Json(new { items = new[] { new { productId = KnownProductId, quantity = 1 } } }).ToUrl("/api/orders");
            s.StatusCodeShouldBe(401);
        });

        Assert.Equal(0, await CountAsync(OrdersModule.Name, "orders.orders"));
    }

    private async Task<Customer> ArrangeKnownProductAndCustomerAsync()
    {
        // Orders learns of products only through Products' events: put this one in its catalog copy directly.
        await DeliverAgainAsync(new ShopModular.Products.Contracts.ProductCreated(KnownProductId, "Mug", 100, 1));
        return await RegisterCustomerAsync();
    }
}
