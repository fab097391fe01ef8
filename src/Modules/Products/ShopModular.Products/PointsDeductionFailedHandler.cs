using Microsoft.Extensions.Logging;
using ShopModular.Products.Contracts;
using ShopModular.Users.Contracts;
using Wolverine;

namespace ShopModular.Products;

/// <summary>
/// Compensation: the buyer could not pay, so the order's reserved stock goes back on the shelf, once.
/// </summary>
public static class PointsDeductionFailedHandler
{
    public static async Task<OutgoingMessages> Handle(
        PointsDeductionFailed message, ProductsDbContext db, TimeProvider clock, ILogger<Reservation> logger, CancellationToken cancellationToken)
    {
        var outgoing = new OutgoingMessages();
        var reservation = await db.LockReservationAsync(message.OrderId, cancellationToken);
        if (reservation is not { Status: ReservationStatus.Reserved })
        {
            logger.LogInformation("Order {OrderId}: no stock held ({Status}), nothing to release", message.OrderId, reservation?.Status);
            return outgoing;
        }

        var now = clock.GetUtcNow();
        var products = (await db.LockProductsAsync(reservation.Items.Select(item => item.ProductId), cancellationToken))
            .ToDictionary(product => product.Id);
        foreach (var item in reservation.Items)
        {
            products[item.ProductId].Stock += item.Quantity;
        }

        reservation.Status = ReservationStatus.Released;
        reservation.UpdatedAt = now;
        logger.LogInformation("Order {OrderId}: released {Items} item(s) after {Reason}", message.OrderId, reservation.Items.Count, message.Reason);
        outgoing.Add(new StockReleased(message.OrderId, message.UserId, message.Reason, now));
        return outgoing;
    }
}
