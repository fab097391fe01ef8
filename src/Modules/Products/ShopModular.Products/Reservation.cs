namespace ShopModular.Products;

public enum ReservationStatus
{
    /// <summary>The units are held for the order.</summary>
    Reserved,

    /// <summary>Some item lacked stock; nothing was held. Kept so that a redelivered order is not reserved later.</summary>
    Rejected,

    /// <summary>The units were put back after the buyer could not pay.</summary>
    Released,
}

/// <summary>Stock held for one order: at most one per order id, which makes reserving and releasing idempotent.</summary>
public sealed class Reservation
{
    public Guid OrderId { get; init; }

    public ReservationStatus Status { get; set; }

    public List<ReservationItem> Items { get; init; } = [];

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class ReservationItem
{
    public Guid ProductId { get; init; }

    public int Quantity { get; init; }
}
