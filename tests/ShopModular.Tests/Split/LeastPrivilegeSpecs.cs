using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using RabbitMQ.Client;
using ShopModular.Orders;
using ShopModular.Orders.Contracts;
using ShopModular.Products;
using ShopModular.Products.Contracts;
using ShopModular.Tests.Infrastructure;
using ShopModular.Users;
using ShopModular.Users.Contracts;
using Wolverine.Util;

namespace ShopModular.Tests.Split;

/// <summary>
/// What each process of <c>./shop run --split</c> may do with the broker and the databases, tried as an attacker on
/// the same machine would: with RabbitMQ's guest, with a stranger's broker account, and with another module's
/// credentials (a module process taken over, or its configuration read).
/// </summary>
public sealed class LeastPrivilegeSpecs(SplitProcesses processes) : IClassFixture<SplitProcesses>
{
    private const string Administrator = "shop-admin";
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task no_one_signs_in_to_the_broker_as_guest_and_each_module_process_signs_in_as_its_own_user()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(processes.BrokerUri("guest", "guest")));
        Assert.Contains("ACCESS_REFUSED", refused.ToString(), StringComparison.Ordinal);

        using var management = Management();
        string[] users = [];
        await Eventually.UntilAsync(
            async () =>
            {
                var connections = JsonNode.Parse(await management.GetStringAsync("api/connections"))!.AsArray();
                users = [.. connections.Select(connection => connection!["user"]!.GetValue<string>()).Distinct().Order()];
                return users.Length >= 3;
            },
            SettleTimeout,
            () => $"Signed in so far: {string.Join(", ", users)}");
        Assert.Equal([OrdersModule.Name, ProductsModule.Name, UsersModule.Name], users);
    }

    [Fact]
    public async Task a_payment_forged_by_another_module_or_a_stranger_or_for_another_amount_completes_nothing_and_the_real_one_pays_once()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var mug = await shop.AddProductAsync("Mug", price: 1_500, stock: 10);
        var buyer = await shop.RegisterAsync();
        Guid order;
        var paidInFull = new PointsDeducted(Guid.Empty, buyer.Id, 3_000, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

        await using (await PaymentHold.OfAsync(processes.ConnectionStringOf(UsersModule.Name), buyer.Id))
        {
            order = await shop.PlaceOrderAsync(buyer, mug, quantity: 2);
            var forgery = paidInFull with { OrderId = order };

            // To Users' own exchange, as another module or a stranger: the broker refuses.
            var asProducts = await Assert.ThrowsAnyAsync<Exception>(() => PublishAsync(ProductsModule.Name, "users.points-deducted", forgery));
            Assert.Contains("ACCESS_REFUSED", asProducts.ToString(), StringComparison.Ordinal);
            var asStranger = await Assert.ThrowsAnyAsync<Exception>(async () =>
                await PublishAsync(await StrangerUriAsync(), "users.points-deducted", forgery, userId: null));
            // Signed in, with no right to the shop's virtual host.
            Assert.Matches("ACCESS_REFUSED|NOT_ALLOWED", asStranger.ToString());

            // Claiming to be Users: the broker checks user_id against the user that signed in.
            var claimingUsers = await Assert.ThrowsAnyAsync<Exception>(() =>
                PublishAsync(processes.BrokerUriOf(ProductsModule.Name), "products.stock-reservation-failed", forgery, userId: UsersModule.Name));
            Assert.Contains("PRECONDITION_FAILED", claimingUsers.ToString(), StringComparison.Ordinal);

            // Through an exchange Products may write to, which Orders listens on: delivered, and dropped by Orders.
            var smuggled = await PublishAsync(ProductsModule.Name, "products.stock-reservation-failed", forgery);
            // By Users itself, but not the order's total: delivered, and changes nothing.
            var wrongAmount = await PublishAsync(UsersModule.Name, "users.points-deducted", forgery with { Amount = 1 });

            await OrdersHandledAsync(smuggled, wrongAmount);
            Assert.Equal("Pending", (await shop.OrderWhenAsync(buyer, order, _ => true)).Status);
        }

        var settled = await shop.SettledAsync(buyer, order);
        Assert.Equal("Completed", settled.Status);
        Assert.Equal(ShopHost.InitialPoints - 3_000, await shop.PointsAsync(buyer));
    }

    [Fact]
    public async Task a_price_change_forged_by_another_module_leaves_the_price_as_products_published_it()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var mug = await shop.AddProductAsync("Mug", price: 1_500, stock: 10);
        var buyer = await shop.RegisterAsync();
        await shop.PlaceAndAwaitEndAsync(buyer, (mug, 1));
        var free = new ProductPriceChanged(mug, "Mug", Price: 0, PriceVersion: long.MaxValue);

        // Users may write to its own exchanges, which Orders listens on; the message says it is Products'.
        var forged = await PublishAsync(UsersModule.Name, "users.points-deducted", free);
        await OrdersHandledAsync(forged);
        Assert.Equal(1_500, (await shop.PlaceAndAwaitEndAsync(buyer, (mug, 1))).Items.Single().UnitPrice);

        // The same message from Products is taken: the forgery above was refused for its sender alone.
        var genuine = await PublishAsync(ProductsModule.Name, "products.product-price-changed", free with { Price = 7 });
        await OrdersHandledAsync(genuine);
        Assert.Equal(7, (await shop.PlaceAndAwaitEndAsync(buyer, (mug, 1))).Items.Single().UnitPrice);
    }

    [Fact]
    public async Task a_stock_reservation_or_an_order_forged_by_another_module_or_a_stranger_takes_neither_points_nor_stock()
    {
        var shop = await ShopClient.SignInAsync(processes);
        var mug = await shop.AddProductAsync("Mug", price: 1_500, stock: 10);
        var victim = await shop.RegisterAsync();
        var takeThePoints = new StockReserved(Guid.NewGuid(), victim.Id, ShopHost.InitialPoints, DateTimeOffset.UtcNow);
        var holdTheStock = new OrderPlaced(Guid.NewGuid(), victim.Id, 15_000, [new OrderLine(mug, 10, 1_500)], DateTimeOffset.UtcNow);

        // To the exchanges of their owner, Products and Orders, as another module or a stranger: the broker refuses.
        var asOrders = await Assert.ThrowsAnyAsync<Exception>(() => PublishAsync(OrdersModule.Name, "products.stock-reserved", takeThePoints));
        Assert.Contains("ACCESS_REFUSED", asOrders.ToString(), StringComparison.Ordinal);
        var asUsers = await Assert.ThrowsAnyAsync<Exception>(() => PublishAsync(UsersModule.Name, "orders.order-placed", holdTheStock));
        Assert.Contains("ACCESS_REFUSED", asUsers.ToString(), StringComparison.Ordinal);
        var asStranger = await Assert.ThrowsAnyAsync<Exception>(async () =>
            await PublishAsync(await StrangerUriAsync(), "orders.order-placed", holdTheStock, userId: null));
        Assert.Matches("ACCESS_REFUSED|NOT_ALLOWED", asStranger.ToString());

        // Through an exchange of Users that Products listens on: delivered, and dropped by Products.
        var smuggled = await PublishAsync(UsersModule.Name, "users.points-deduction-failed", holdTheStock);
        await HandledAsync(ProductsModule.Name, smuggled);

        Assert.Equal(10, (await shop.ProductAsync(mug)).Stock);
        Assert.Equal(ShopHost.InitialPoints, await shop.PointsAsync(victim));
    }

    [Fact]
    public async Task a_module_role_reaches_only_its_own_database_and_cannot_change_its_schema()
    {
        var ordersInUsers = new NpgsqlConnectionStringBuilder(processes.ConnectionStringOf(OrdersModule.Name)) { Database = "shop_users" };
        var refused = await Assert.ThrowsAsync<PostgresException>(() => TestDatabase.ExecuteAsync(ordersInUsers.ConnectionString, "select password_hash from users.users"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);

        var orders = processes.ConnectionStringOf(OrdersModule.Name);
        var readsItsOwn = await TestDatabase.QueryAsync(orders, "select count(*) from orders.orders", reader => reader.GetInt64(0));
        Assert.Single(readsItsOwn);
        var ddl = await Assert.ThrowsAsync<PostgresException>(() => TestDatabase.ExecuteAsync(orders, "create table orders.stolen (id int)"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, ddl.SqlState);
        var drop = await Assert.ThrowsAsync<PostgresException>(() => TestDatabase.ExecuteAsync(orders, "drop table orders.orders"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, drop.SqlState);
    }

    private Task OrdersHandledAsync(params Guid[] messages) => HandledAsync(OrdersModule.Name, messages);

    /// <summary>Waits until the module's inbox says it has handled each of these messages (kept as Handled for a while).</summary>
    private async Task HandledAsync(string module, params Guid[] messages)
    {
        var database = processes.ConnectionStringOf(module);
        long handled = 0;
        await Eventually.UntilAsync(
            async () =>
            {
                handled = (await TestDatabase.QueryAsync(
                    database,
                    $"select count(*) from wolverine.wolverine_incoming_envelopes where status = 'Handled' and id in ({string.Join(',', messages.Select(id => $"'{id}'"))})",
                    reader => reader.GetInt64(0))).Single();
                return handled == messages.Length;
            },
            SettleTimeout,
            () => $"{module} has handled {handled} of the {messages.Length} message(s).");
    }

    private Task<Guid> PublishAsync(string module, string exchange, object message) =>
        PublishAsync(processes.BrokerUriOf(module), exchange, message, userId: module);

    /// <summary>
    /// Publishes <paramref name="message"/> as Wolverine does (its type's identity in <c>type</c>, JSON, persistent),
    /// and waits for the broker's confirmation; throws when the broker refuses it. Returns the message's id.
    /// </summary>
    private static async Task<Guid> PublishAsync(string brokerUri, string exchange, object message, string? userId)
    {
        await using var connection = await ConnectAsync(brokerUri);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var id = Guid.NewGuid();
        var properties = new BasicProperties
        {
            MessageId = id.ToString(),
            Type = message.GetType().ToMessageTypeName(),
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            UserId = userId,
        };
        await channel.BasicPublishAsync(exchange, routingKey: exchange, mandatory: false, properties, JsonSerializer.SerializeToUtf8Bytes(message, message.GetType()));
        return id;
    }

    private static Task<IConnection> ConnectAsync(string brokerUri) =>
        new ConnectionFactory { Uri = new Uri(brokerUri), AutomaticRecoveryEnabled = false }.CreateConnectionAsync();

    /// <summary>A broker account of someone who is no part of the shop: it may sign in, and has no rights.</summary>
    private async Task<string> StrangerUriAsync()
    {
        var password = Guid.NewGuid().ToString("N");
        using var management = Management();
        using var created = await management.PutAsJsonAsync("api/users/stranger", new { password, tags = "" });
        Assert.True(created.IsSuccessStatusCode, $"Creating the stranger: {created.StatusCode}");
        return processes.BrokerUri("stranger", password);
    }

    private HttpClient Management()
    {
        var client = new HttpClient { BaseAddress = processes.BrokerManagement };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Administrator}:{processes.Secret($"rabbitmq-{Administrator}")}")));
        return client;
    }
}
