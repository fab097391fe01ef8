using Wolverine.Attributes;

namespace ShopModular.Orders.Contracts;

/// <summary>An order and its payment were stored as Pending; stock is reserved next.</summary>
[MessageIdentity("orders.order-placed")]
public sealed record OrderPlaced(Guid OrderId, Guid UserId, long TotalPrice, IReadOnlyList<OrderLine> Items, DateTimeOffset PlacedAt);

public sealed record OrderLine(Guid ProductId, int Quantity, long UnitPrice);
