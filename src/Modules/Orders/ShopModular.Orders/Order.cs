using System.Text.Json;

namespace ShopModular.Orders;

public enum OrderStatus
{
    Pending,
    Completed,
    Cancelled,
}

public enum PaymentStatus
{
    Pending,
    Paid,
    Cancelled,
}

/// <summary>
/// An order, its payment and the history of its saga: one row, whose items and history are JSON documents in it, as
/// they are only ever read and written with the order. Only a Pending order changes status, and only once, so every
/// transition is safe to attempt twice.
/// </summary>
public sealed class Order
{
    public Guid Id { get; init; }

    public Guid UserId { get; init; }

    public OrderStatus Status { get; private set; } = OrderStatus.Pending;

    /// <summary><c>OutOfStock</c>, <c>InsufficientPoints</c> or <c>TimedOut</c> once Cancelled.</summary>
    public string? FailureReason { get; private set; }

    /// <summary>Fixed at placement from the local price copy; later price changes do not touch it.</summary>
    public long TotalPrice { get; init; }

    /// <summary>The client's Idempotency-Key header, unique per user.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// The hash of the request that placed the order (<see cref="PlaceOrder.RequestHash"/>), kept with its
    /// Idempotency-Key so that the key sent again with another request is refused instead of answered with this order.
    /// </summary>
    public string? RequestHash { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; private set; }

    public List<OrderItem> Items { get; init; } = [];

    public required Payment Payment { get; init; }

    public List<OrderStep> History { get; init; } = [];

    public bool IsTerminal => Status != OrderStatus.Pending;

    public static Order Place(Guid userId, IEnumerable<OrderItem> items, string? idempotencyKey, string? requestHash, DateTimeOffset at)
    {
        var lines = items.ToList();
        var total = lines.Sum(item => checked(item.UnitPrice * item.Quantity));
        return new Order
        {
            Id = Guid.CreateVersion7(at),
            UserId = userId,
            TotalPrice = total,
            IdempotencyKey = idempotencyKey,
            RequestHash = requestHash,
            CreatedAt = at,
            UpdatedAt = at,
            Items = lines,
            Payment = new Payment { Amount = total },
            History = [new OrderStep { Step = SagaSteps.OrderPlaced, At = at }],
        };
    }
}

public sealed class OrderItem
{
    public Guid ProductId { get; init; }

    public int Quantity { get; init; }

    public long UnitPrice { get; init; }
}

public sealed class Payment
{
    public PaymentStatus Status { get; set; } = PaymentStatus.Pending;

    public long Amount { get; init; }
}

public sealed class OrderStep
{
    /// <summary>How the batch handlers' SQL writes steps, the same as EF Core's mapping of the history reads them.</summary>
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public required string Step { get; init; }

    public DateTimeOffset At { get; init; }
}

/// <summary>The names of the steps in an order's history, as clients see them.</summary>
public static class SagaSteps
{
    public const string OrderPlaced = "OrderPlaced";
    public const string StockReserved = "StockReserved";
    public const string StockReservationFailed = "StockReservationFailed";
    public const string PointsDeducted = "PointsDeducted";
    public const string PointsDeductionFailed = "PointsDeductionFailed";
    public const string StockReleased = "StockReleased";
    public const string SagaTimedOut = "SagaTimedOut";
    public const string OrderCompleted = "OrderCompleted";
    public const string OrderCancelled = "OrderCancelled";
}
