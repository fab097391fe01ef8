using System.Text.Json;
using Microsoft.Extensions.Logging;
using ShopModular.Orders.Contracts;
using ShopModular.Platform.Messaging;
using ShopModular.Products.Contracts;
using static ShopModular.Platform.Persistence.ModuleSql;

namespace ShopModular.Products;

/// <summary>
/// Step 2 of the saga, a batch of orders at a time in one transaction: reserves every item of each order, all or
/// nothing, in the order the orders arrived, and says which through the outbox. One reservation per order id, kept
/// even when rejected: a redelivered order changes nothing, even after a restock.
/// </summary>
public static class OrderPlacedHandler
{
    public static async Task<CausedMessages<OrderPlaced>> Handle(
        OrderPlaced[] batch, ProductsDbContext db, TimeProvider clock, ILogger<Reservation> logger, CancellationToken cancellationToken)
    {
        var orders = batch.DistinctBy(order => order.OrderId).ToList();
        var productIds = orders.SelectMany(order => order.Items).Select(item => item.ProductId).Distinct().Order().ToArray();
        var stock = new Dictionary<Guid, int>();
        var decided = new HashSet<Guid>();
        // The products are locked first, in id order (no deadlocks), and the reservations read after: a concurrent
        // delivery of the same order locks the same products, so by then its reservation is committed and visible.
        await using (var reader = await db.ReadAsync(
            cancellationToken,
            Statement("select id, stock from products.products where id = any($1) order by id for update", Value(productIds)),
            Statement("select order_id from products.reservations where order_id = any($1)", Value(orders.Select(order => order.OrderId).ToArray()))))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                stock[reader.GetGuid(0)] = reader.GetInt32(1);
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                decided.Add(reader.GetGuid(0));
            }
        }

        var now = clock.GetUtcNow();
        var reservations = new List<(OrderPlaced Order, bool Reserved)>();
        foreach (var order in orders.Where(order => !decided.Contains(order.OrderId)))
        {
            var enough = order.Items.All(item => stock.TryGetValue(item.ProductId, out var left) && left >= item.Quantity);
            if (enough)
            {
                foreach (var item in order.Items)
                {
                    stock[item.ProductId] -= item.Quantity;
                }
            }

            reservations.Add((order, enough));
        }

        var outgoing = new CausedMessages<OrderPlaced>();
        if (reservations.Count == 0)
        {
            logger.LogDebug("{Count} order(s) already decided, nothing to do", batch.Length);
            return outgoing;
        }

        var taken = reservations.Where(r => r.Reserved).SelectMany(r => r.Order.Items).Select(item => item.ProductId).Distinct().ToArray();
        await db.ExecuteAsync(
            cancellationToken,
            // An order whose products Products does not know locked nothing: should two deliveries of it race, the
            // second one's rejection is already there, and this one's message only repeats it.
            Statement(
                """
                insert into products.reservations (order_id, status, items, created_at, updated_at)
                select order_id, status, items, $4, $4 from unnest($1, $2, $3::jsonb[]) as r(order_id, status, items)
                on conflict (order_id) do nothing
                """,
                Value(reservations.Select(r => r.Order.OrderId).ToArray()),
                Value(reservations.Select(r => (r.Reserved ? ReservationStatus.Reserved : ReservationStatus.Rejected).ToString()).ToArray()),
                JsonValues([.. reservations.Select(r => ItemsJson(r.Order))]),
                Value(now)),
            Statement(
                "update products.products p set stock = s.stock from unnest($1, $2) as s(id, stock) where p.id = s.id",
                Value(taken),
                Value(taken.Select(id => stock[id]).ToArray())));

        foreach (var (order, reserved) in reservations)
        {
            outgoing.Add(order, reserved
                ? new StockReserved(order.OrderId, order.UserId, order.TotalPrice, now)
                : new StockReservationFailed(order.OrderId, order.UserId, StockFailureReasons.OutOfStock, now));
        }

        logger.LogDebug("Reserved {Reserved} of {Count} order(s)", reservations.Count(r => r.Reserved), reservations.Count);
        return outgoing;
    }

    private static string ItemsJson(OrderPlaced order) =>
        JsonSerializer.Serialize(order.Items.Select(item => new ReservationItem { ProductId = item.ProductId, Quantity = item.Quantity }), Reservation.JsonOptions);
}
