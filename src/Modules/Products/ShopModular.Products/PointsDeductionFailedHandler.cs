using Microsoft.Extensions.Logging;
using ShopModular.Platform.Messaging;
using ShopModular.Products.Contracts;
using ShopModular.Users.Contracts;
using static ShopModular.Platform.Persistence.ModuleSql;

namespace ShopModular.Products;

/// <summary>
/// Compensation, a batch at a time: the buyers could not pay, so their orders' reserved stock goes back on the shelf,
/// once. Only a reservation still Reserved is released; a redelivered failure finds it Released and changes nothing.
/// </summary>
public static class PointsDeductionFailedHandler
{
    public static async Task<CausedMessages<PointsDeductionFailed>> Handle(
        PointsDeductionFailed[] batch, ProductsDbContext db, TimeProvider clock, ILogger<Reservation> logger, CancellationToken cancellationToken)
    {
        var failures = batch.DistinctBy(failure => failure.OrderId).ToDictionary(failure => failure.OrderId);
        var now = clock.GetUtcNow();
        var released = new List<Guid>();
        // One statement: release the reservations, then give their units back, the products locked in id order as
        // the reservations lock them (no deadlocks).
        await using (var reader = await db.ReadAsync(
            cancellationToken,
            Statement(
                """
                with released as (
                    update products.reservations set status = 'Released', updated_at = $2
                     where order_id = any($1) and status = 'Reserved'
                    returning order_id, items),
                units as (
                    select (item ->> 'productId')::uuid as product_id, sum((item ->> 'quantity')::int) as quantity
                      from released, jsonb_array_elements(released.items) as item
                     group by 1),
                locked as (
                    select id from products.products where id in (select product_id from units) order by id for update),
                restocked as (
                    update products.products p set stock = p.stock + units.quantity
                      from units join locked on locked.id = units.product_id
                     where p.id = units.product_id)
                select order_id from released
                """,
                Value(failures.Keys.ToArray()),
                Value(now))))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                released.Add(reader.GetGuid(0));
            }
        }

        var outgoing = new CausedMessages<PointsDeductionFailed>();
        foreach (var failure in released.Select(orderId => failures[orderId]))
        {
            outgoing.Add(failure, new StockReleased(failure.OrderId, failure.UserId, failure.Reason, now, failure.StockReservedAt, failure.At));
        }

        logger.LogDebug("Released the stock of {Released} of {Count} order(s)", released.Count, failures.Count);
        return outgoing;
    }
}
