using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using ShopModular.Products.Contracts;
using ShopModular.Users.Contracts;
using Wolverine;

namespace ShopModular.Users;

/// <summary>
/// Step 3 of the saga: the buyer pays the order's total in points, or cannot. One decision per order id:
/// a redelivered message changes nothing.
/// </summary>
public static class StockReservedHandler
{
    public static async Task<OutgoingMessages> Handle(
        StockReserved message, UsersDbContext db, TimeProvider clock, ILogger<PointsDeduction> logger, CancellationToken cancellationToken)
    {
        var outgoing = new OutgoingMessages();
        if (await db.PointsDeductions.AnyAsync(deduction => deduction.OrderId == message.OrderId, cancellationToken))
        {
            logger.LogInformation("Order {OrderId}: payment already decided, nothing to do", message.OrderId);
            return outgoing;
        }

        // One conditional update: the balance can never go below zero, however many orders pay at once.
        var paid = await db.Users
            .Where(user => user.Id == message.UserId && user.Points >= message.TotalPrice)
            .ExecuteUpdateAsync(set => set.SetProperty(user => user.Points, user => user.Points - message.TotalPrice), cancellationToken) == 1;
        if (!paid && !await db.Users.AnyAsync(user => user.Id == message.UserId, cancellationToken))
        {
            // Not a business outcome but a message that does not fit this system: retries, then the dead-letter store.
            throw new InvalidOperationException($"Order {message.OrderId} names unknown user {message.UserId}.");
        }

        var now = clock.GetUtcNow();
        // Keyed by order id: a concurrent second delivery fails to save and rolls back its deduction.
        db.PointsDeductions.Add(new PointsDeduction
        {
            OrderId = message.OrderId, UserId = message.UserId, Amount = message.TotalPrice, Succeeded = paid, At = now,
        });

        if (paid)
        {
            logger.LogInformation("Order {OrderId}: {UserId} paid {Amount} points", message.OrderId, message.UserId, message.TotalPrice);
            outgoing.Add(new PointsDeducted(message.OrderId, message.UserId, message.TotalPrice, now));
        }
        else
        {
            logger.LogInformation("Order {OrderId}: {UserId} has fewer than {Amount} points", message.OrderId, message.UserId, message.TotalPrice);
            outgoing.Add(new PointsDeductionFailed(message.OrderId, message.UserId, PointsFailureReasons.InsufficientPoints, now));
        }

        return outgoing;
    }
}
