using System.Text.Json;

namespace ShopModular.Products;

public enum ReservationStatus
{
    /// <summary>The units are held for the order.</summary>
    Reserved,

    /// <summary>Some item lacked stock; nothing was held. Kept so that a redelivered order is not reserved later.</summary>
    Rejected,

    /// <summary>The units were put back after the buyer could not pay, or the order timed out.</summary>
    Released,

    /// <summary>
    /// The order timed out before it was reserved: nothing was held, and a reservation of it arriving later finds this
    /// row and holds nothing either.
    /// </summary>
    TimedOut,
}

/// <summary>
/// Stock held for one order: at most one per order id, which makes reserving and releasing idempotent. Its items are
/// a JSON document in the reservation's row: they are only ever read and written with it.
/// </summary>
public sealed class Reservation
{
    /// <summary>How the items are written by the batch handlers' SQL, the same as EF Core's mapping reads them.</summary>
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

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
