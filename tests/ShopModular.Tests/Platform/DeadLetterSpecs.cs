using Alba;
using ShopModular.Tests.Infrastructure;
using ShopModular.Tests.Orders;
using ShopModular.Users;

namespace ShopModular.Tests.Platform;

/// <summary>Dead letters in the monolith's one message store.</summary>
public sealed class MonolithDeadLetterSpecs(ShopHost monolith) : DeadLetterSpecs(monolith), IClassFixture<ShopHost>;

/// <summary>Dead letters in the message store of the module's own process, reached through the gateway.</summary>
public sealed class SplitDeadLetterSpecs(SplitShop split) : DeadLetterSpecs(split), IClassFixture<SplitShop>;

/// <summary>An administrator sees the messages a module could not handle, and replays them once the cause is fixed.</summary>
public abstract class DeadLetterSpecs(IShopTopology topology) : OrderingSpec(topology)
{
    [Fact]
    public async Task a_poisoned_payment_is_listed_then_replayed_once_its_cause_is_fixed_and_the_order_completes_once()
    {
        var admin = await SignInAsAdminAsync();
        var mug = await AddProductAsync(admin, "Mug", price: 500, stock: 10);
        var customer = await RegisterCustomerAsync();
        // Users cannot find the buyer: the payment step fails on every try and dead-letters.
        var users = Topology.ConnectionStringOf(UsersModule.Name);
        var elsewhere = Guid.NewGuid();
        await TestDatabase.ExecuteAsync(users, $"update users.users set id = '{elsewhere}' where id = '{customer.Id}'");

        var orderId = (await (await PostOrderAsync(customer, [Item(mug, 2)])).ReadAsJsonAsync<OrderBody>())!.Id;
        var letter = await Eventually.ValueAsync(
            async () => (await DeadLettersAsync(admin, UsersModule.Name)).SingleOrDefault(letter => letter.OrderId == orderId),
            SagaTimeout,
            "The payment was not dead-lettered.");

        Assert.Equal("products.stock-reserved", letter.MessageType);
        Assert.Equal("users.products.stock-reserved", letter.Queue);
        Assert.Contains("unknown user", letter.ExceptionMessage, StringComparison.Ordinal);
        Assert.Empty(await DeadLettersAsync(admin, "orders"));
        Assert.Equal("Pending", (await GetOrderAsync(customer, orderId)).Status);

        await TestDatabase.ExecuteAsync(users, $"update users.users set id = '{customer.Id}' where id = '{elsewhere}'");
        await ReplayAsync(admin, UsersModule.Name, letter.Id, expectedStatus: 202);
        OrderBody? order = null;
        await Eventually.UntilAsync(
            async () => (order = await GetOrderAsync(customer, orderId)).Status != "Pending", SagaTimeout, () => "The replayed order did not end.");

        Assert.Equal("Completed", order!.Status);
        Assert.Single(order.Steps, step => step == "OrderCompleted");
        Assert.Equal(8, (await GetProductAsync(mug.Id)).Stock);
        Assert.Equal(ShopHost.InitialPoints - 1_000, await PointsOfAsync(customer));
        await Eventually.UntilAsync(async () => (await DeadLettersAsync(admin, UsersModule.Name)).Count == 0, SagaTimeout, () => "The replayed letter stayed.");
        await ReplayAsync(admin, UsersModule.Name, letter.Id, expectedStatus: 404);
    }

    [Theory]
    [InlineData("orders")]
    [InlineData("products")]
    [InlineData("users")]
    public async Task replaying_a_dead_letter_that_does_not_exist_is_not_found(string module)
    {
        var admin = await SignInAsAdminAsync();

        await ReplayAsync(admin, module, Guid.NewGuid(), expectedStatus: 404);
    }

    [Theory]
    [InlineData("orders")]
    [InlineData("products")]
    [InlineData("users")]
    public async Task only_an_administrator_sees_or_replays_dead_letters(string module)
    {
        var customer = await RegisterCustomerAsync();

        await Api.Scenario(s =>
        {
            s.Get.Url($"/api/{module}/dead-letters");
            s.WithBearerToken(customer.Token);
            s.StatusCodeShouldBe(403);
        });
        await ReplayAsync(customer.Token, module, Guid.NewGuid(), expectedStatus: 403);
        await Api.Scenario(s =>
        {
            s.Post.Url($"/api/{module}/dead-letters/replay");
            s.WithBearerToken(customer.Token);
            s.StatusCodeShouldBe(403);
        });
    }

    private async Task<List<DeadLetterBody>> DeadLettersAsync(string adminToken, string module)
    {
        var result = await Api.Scenario(s =>
        {
            s.Get.Url($"/api/{module}/dead-letters");
            s.WithBearerToken(adminToken);
            s.StatusCodeShouldBe(200);
        });
        return (await result.ReadAsJsonAsync<List<DeadLetterBody>>())!;
    }

    private Task<IScenarioResult> ReplayAsync(string token, string module, Guid id, int expectedStatus) =>
        Api.Scenario(s =>
        {
            s.Post.Url($"/api/{module}/dead-letters/{id}/replay");
            s.WithBearerToken(token);
            s.StatusCodeShouldBe(expectedStatus);
        });

    private sealed record DeadLetterBody(
        Guid Id, string MessageType, Guid? OrderId, string Queue, string ExceptionType, string ExceptionMessage, DateTimeOffset SentAt, bool Replayable);
}
