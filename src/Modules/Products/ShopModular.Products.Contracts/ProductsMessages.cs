using Wolverine.Attributes;

namespace ShopModular.Products.Contracts;

[MessageIdentity("products.product-created")]
public sealed record ProductCreated(Guid ProductId, string Name, long Price, long PriceVersion);

/// <summary>
/// Carries the new price so that other modules can keep a local copy.
/// <see cref="PriceVersion"/> grows with every change, so a copy can ignore a change that arrives late.
/// </summary>
[MessageIdentity("products.product-price-changed")]
public sealed record ProductPriceChanged(Guid ProductId, string Name, long Price, long PriceVersion);

/// <summary>Every item of the order is reserved; the buyer's points come next.</summary>
[MessageIdentity("products.stock-reserved")]
public sealed record StockReserved(Guid OrderId, Guid UserId, long TotalPrice, DateTimeOffset At);

/// <summary>At least one item lacked stock; nothing was reserved.</summary>
[MessageIdentity("products.stock-reservation-failed")]
public sealed record StockReservationFailed(Guid OrderId, Guid UserId, string Reason, DateTimeOffset At);

/// <summary>
/// The stock reserved for an order is available again (compensation after a failed payment). Carries when the stock
/// was reserved and when the payment failed, so that Orders can tell the whole story from this one message.
/// </summary>
[MessageIdentity("products.stock-released")]
public sealed record StockReleased(
    Guid OrderId, Guid UserId, string Reason, DateTimeOffset At, DateTimeOffset StockReservedAt, DateTimeOffset PointsDeductionFailedAt);

public static class StockFailureReasons
{
    public const string OutOfStock = "OutOfStock";
}
