using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using ShopModular.Orders.Contracts;
using ShopModular.Products.Contracts;
using Wolverine;

namespace ShopModular.Products;

/// <summary>
/// Step 2 of the saga: reserves every item of the order in one transaction, all or nothing, and says
/// which through the outbox. One reservation per order id: a redelivered order changes nothing.
/// </summary>
public static class OrderPlacedHandler
{
    public static async Task<OutgoingMessages> Handle(
        OrderPlaced message, ProductsDbContext db, TimeProvider clock, ILogger<Reservation> logger, CancellationToken cancellationToken)
    {
        var outgoing = new OutgoingMessages();
        if (await db.Reservations.AnyAsync(reservation => reservation.OrderId == message.OrderId, cancellationToken))
        {
            logger.LogInformation("Order {OrderId}: stock already decided, nothing to do", message.OrderId);
            return outgoing;
        }

        var now = clock.GetUtcNow();
        var products = (await db.LockProductsAsync(message.Items.Select(item => item.ProductId), cancellationToken))
            .ToDictionary(product => product.Id);
        var enough = message.Items.All(item => products.TryGetValue(item.ProductId, out var product) && product.Stock >= item.Quantity);

        var reservation = new Reservation
        {
            OrderId = message.OrderId,
            Status = enough ? ReservationStatus.Reserved : ReservationStatus.Rejected,
            Items = message.Items.Select(item => new ReservationItem { ProductId = item.ProductId, Quantity = item.Quantity }).ToList(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        // The reservation's key is the order id: if another delivery of this message got here first,
        // saving fails and the whole transaction, stock included, rolls back.
        db.Reservations.Add(reservation);

        if (!enough)
        {
            logger.LogInformation("Order {OrderId}: out of stock, nothing reserved", message.OrderId);
            outgoing.Add(new StockReservationFailed(message.OrderId, message.UserId, StockFailureReasons.OutOfStock, now));
            return outgoing;
        }

        foreach (var item in message.Items)
        {
            products[item.ProductId].Stock -= item.Quantity;
        }

        logger.LogInformation("Order {OrderId}: reserved {Items} item(s)", message.OrderId, message.Items.Count);
        outgoing.Add(new StockReserved(message.OrderId, message.UserId, message.TotalPrice, now));
        return outgoing;
    }
}
