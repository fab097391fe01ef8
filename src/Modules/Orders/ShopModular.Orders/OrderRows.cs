using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using static ShopModular.Platform.Persistence.ModuleSql;

namespace ShopModular.Orders;

/// <summary>
/// An order's row in SQL, for the API's hot paths: placing an order and reading one are most of its traffic, and
/// each is one statement here, with no change tracking (EF Core keeps the model, the migrations and the lists).
/// </summary>
internal static class OrderRows
{
    private const string Columns =
        "id, user_id, status, failure_reason, total_price, items, payment_status, payment_amount, history, created_at, updated_at";

    /// <summary>The columns <see cref="Read"/> reads, in its order, of the orders table named <paramref name="alias"/> in a statement.</summary>
    public static string ColumnsOf(string alias) => string.Join(", ", Columns.Split(", ").Select(column => $"{alias}.{column}"));

    /// <summary>The unit prices of the products Orders' catalog copy knows, of those asked for.</summary>
    public static async Task<Dictionary<Guid, long>> PricesAsync(OrdersDbContext db, Guid[] productIds, CancellationToken cancellationToken)
    {
        var prices = new Dictionary<Guid, long>(productIds.Length);
        await using var reader = await db.ReadAsync(
            cancellationToken, Statement("select product_id, price from orders.catalog_products where product_id = any($1)", Value(productIds)));
        while (await reader.ReadAsync(cancellationToken))
        {
            prices[reader.GetGuid(0)] = reader.GetInt64(1);
        }

        return prices;
    }

    /// <summary>Stores a new order; false, storing nothing, when its user's idempotency key is already taken.</summary>
    public static async Task<bool> InsertAsync(OrdersDbContext db, Order order, CancellationToken cancellationToken)
    {
        await using var reader = await db.ReadAsync(
            cancellationToken,
            Statement(
                $"""
                insert into orders.orders ({Columns}, idempotency_key, request_hash)
                values ($1, $2, $3, null, $4, $5::jsonb, $6, $7, $8::jsonb, $9, $9, $10, $11)
                on conflict (user_id, idempotency_key) where idempotency_key is not null do nothing
                returning 1
                """,
                Value(order.Id),
                Value(order.UserId),
                Value(order.Status.ToString()),
                Value(order.TotalPrice),
                Value(JsonSerializer.Serialize(order.Items, OrderStep.JsonOptions)),
                Value(order.Payment.Status.ToString()),
                Value(order.Payment.Amount),
                Value(JsonSerializer.Serialize(order.History, OrderStep.JsonOptions)),
                Value(order.CreatedAt),
                new NpgsqlParameter<string?> { TypedValue = order.IdempotencyKey },
                new NpgsqlParameter<string?> { TypedValue = order.RequestHash }));
        return await reader.ReadAsync(cancellationToken);
    }

    public static Task<OrderResponse?> ByIdAsync(OrdersDbContext db, Guid id, CancellationToken cancellationToken) =>
        OneAsync(db, Statement($"select {Columns} from orders.orders where id = $1", Value(id)), cancellationToken);

    /// <summary>The user's order placed with <paramref name="key"/>, with the hash of the request that placed it.</summary>
    public static Task<KeyedOrder?> ByIdempotencyKeyAsync(OrdersDbContext db, Guid userId, string key, CancellationToken cancellationToken) =>
        OneAsync(
            db,
            Statement($"select {Columns}, request_hash from orders.orders where user_id = $1 and idempotency_key = $2", Value(userId), Value(key)),
            reader => new KeyedOrder(Read(reader), reader.IsDBNull(11) ? null : reader.GetString(11)),
            cancellationToken);

    private static Task<OrderResponse?> OneAsync(OrdersDbContext db, NpgsqlBatchCommand query, CancellationToken cancellationToken) =>
        OneAsync(db, query, Read, cancellationToken);

    private static async Task<T?> OneAsync<T>(OrdersDbContext db, NpgsqlBatchCommand query, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            await using var reader = await db.ReadAsync(cancellationToken, query);
            return await reader.ReadAsync(cancellationToken) ? read(reader) : null;
        }
        finally
        {
            // Outside a transaction the connection goes back to the pool at once: a request that then waits for the
            // order to end (Prefer: wait) holds none.
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>An order from a row of <see cref="ColumnsOf"/>.</summary>
    public static OrderResponse Read(NpgsqlDataReader reader) =>
        new(
            reader.GetGuid(0),
            reader.GetGuid(1),
            Enum.Parse<OrderStatus>(reader.GetString(2)),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.GetInt64(4),
            JsonSerializer.Deserialize<List<OrderItemResponse>>(reader.GetString(5), OrderStep.JsonOptions)!,
            new PaymentResponse(Enum.Parse<PaymentStatus>(reader.GetString(6)), reader.GetInt64(7)),
            OrderResponse.InSagaOrder(JsonSerializer.Deserialize<List<OrderStepResponse>>(reader.GetString(8), OrderStep.JsonOptions)!),
            reader.GetFieldValue<DateTimeOffset>(9),
            reader.GetFieldValue<DateTimeOffset>(10));
}

/// <summary>An order found by its Idempotency-Key; <see cref="RequestHash"/> is null for orders placed before it was kept.</summary>
internal sealed record KeyedOrder(OrderResponse Order, string? RequestHash)
{
    public bool WasPlacedBy(string requestHash) => RequestHash is null || RequestHash == requestHash;
}
