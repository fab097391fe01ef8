using Microsoft.Extensions.Logging;
using ShopModular.Orders.Contracts;
using static ShopModular.Platform.Persistence.ModuleSql;

namespace ShopModular.Products;

/// <summary>
/// Compensation for an order that timed out: its reserved stock goes back on the shelf, once, and an order not
/// reserved yet never will be. One message at a time: timeouts are rare, and not on the saga's hot path.
/// </summary>
public static class OrderTimedOutHandler
{
    public static async Task Handle(
        OrderTimedOut timedOut, ProductsDbContext db, TimeProvider clock, ILogger<Reservation> logger, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        // Three statements, each seeing what committed before it. The order's products are locked first, in id order,
        // as its reservation locks them (OrderPlacedHandler): a reservation of the order running now commits first and
        // its row is seen below, or it waits and then finds the tombstone. With no reservation yet, the tombstone
        // (TimedOut) is the order's one reservation row; with one, the row stays as it is and only a Reserved one is
        // released, like PointsDeductionFailedHandler does: released once, whichever of the two comes first.
        await db.ExecuteAsync(
            cancellationToken,
            Statement("select id from products.products where id = any($1) order by id for update", Value(timedOut.ProductIds.Order().ToArray())),
            Statement(
                """
                insert into products.reservations (order_id, status, items, created_at, updated_at)
                values ($1, 'TimedOut', '[]', $2, $2)
                on conflict (order_id) do nothing
                """,
                Value(timedOut.OrderId),
                Value(now)));
        await using var reader = await db.ReadAsync(
            cancellationToken,
            Statement(
                """
                with released as (
                    update products.reservations set status = 'Released', updated_at = $2
                     where order_id = $1 and status = 'Reserved'
                    returning items),
                units as (
                    select (item ->> 'productId')::uuid as product_id, sum((item ->> 'quantity')::int) as quantity
                      from released, jsonb_array_elements(released.items) as item
                     group by 1),
                restocked as (
                    update products.products p set stock = p.stock + units.quantity
                      from units
                     where p.id = units.product_id
                    returning 1)
                select count(*) from released
                """,
                Value(timedOut.OrderId),
                Value(now)));
        var released = await reader.ReadAsync(cancellationToken) && reader.GetInt64(0) > 0;
        logger.LogInformation("Order {OrderId} timed out; its stock {Outcome}", timedOut.OrderId, released ? "was released" : "was not reserved");
    }
}
