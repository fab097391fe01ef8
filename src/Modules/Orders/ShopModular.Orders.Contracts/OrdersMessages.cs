using Wolverine.Attributes;

namespace ShopModular.Orders.Contracts;

/// <summary>An order and its payment were stored as Pending; stock is reserved next.</summary>
[MessageIdentity("orders.order-placed")]
public sealed record OrderPlaced(Guid OrderId, Guid UserId, long TotalPrice, IReadOnlyList<OrderLine> Items, DateTimeOffset PlacedAt);

public sealed record OrderLine(Guid ProductId, int Quantity, long UnitPrice);

/// <summary>
/// The order was still Pending at the saga's deadline and is now Cancelled (<see cref="OrderFailureReasons.TimedOut"/>):
/// the stock reserved for it comes back, and a reservation arriving later takes none. Carries the order's products, so
/// that Products locks them as a reservation of the order would. Published with <see cref="OrderPaymentCancelled"/>.
/// </summary>
[MessageIdentity("orders.order-timed-out")]
public sealed record OrderTimedOut(Guid OrderId, Guid UserId, IReadOnlyList<Guid> ProductIds, DateTimeOffset At);

/// <summary>
/// The order's payment was cancelled while it was still Pending (<see cref="Reason"/>: <see cref="OrderFailureReasons.TimedOut"/>):
/// the points taken for it come back, and a payment arriving later takes none. A message of its own, not Users
/// handling <see cref="OrderTimedOut"/> too: each contract has one handling module, whose pre-generated handler is
/// then the same in every topology.
/// </summary>
[MessageIdentity("orders.order-payment-cancelled")]
public sealed record OrderPaymentCancelled(Guid OrderId, Guid UserId, string Reason, DateTimeOffset At);

public static class OrderFailureReasons
{
    /// <summary>The saga did not end within <c>Shop:Orders:SagaTimeout</c> (a step dead-lettered, or held up).</summary>
    public const string TimedOut = "TimedOut";
}
