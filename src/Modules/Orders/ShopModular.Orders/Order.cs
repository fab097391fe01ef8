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
/// An order, its payment and the history of its saga. Only Pending orders change status, so every
/// transition is safe to attempt twice; each history step is recorded once (keyed by order and step).
/// </summary>
public sealed class Order
{
    public Guid Id { get; init; }

    public Guid UserId { get; init; }

    public OrderStatus Status { get; private set; } = OrderStatus.Pending;

    /// <summary><c>OutOfStock</c> or <c>InsufficientPoints</c> once Cancelled.</summary>
    public string? FailureReason { get; private set; }

    /// <summary>Fixed at placement from the local price copy; later price changes do not touch it.</summary>
    public long TotalPrice { get; init; }

    /// <summary>The client's Idempotency-Key header, unique per user.</summary>
    public string? IdempotencyKey { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>PostgreSQL's xmin: two handlers changing one order at once cannot overwrite each other.</summary>
    public uint Version { get; private set; }

    public List<OrderItem> Items { get; init; } = [];

    public required Payment Payment { get; init; }

    public List<OrderStep> History { get; init; } = [];

    public bool IsTerminal => Status != OrderStatus.Pending;

    /// <summary>Records a saga step once; a redelivered message finds it already there.</summary>
    public bool RecordStep(string step, DateTimeOffset at)
    {
        if (History.Any(existing => existing.Step == step))
        {
            return false;
        }

        History.Add(new OrderStep { Step = step, At = at });
        UpdatedAt = at > UpdatedAt ? at : UpdatedAt;
        return true;
    }

    public bool Complete(DateTimeOffset at)
    {
        if (IsTerminal)
        {
            return false;
        }

        Status = OrderStatus.Completed;
        Payment.Status = PaymentStatus.Paid;
        RecordStep(SagaSteps.OrderCompleted, at);
        return true;
    }

    public bool Cancel(string reason, DateTimeOffset at)
    {
        if (IsTerminal)
        {
            return false;
        }

        Status = OrderStatus.Cancelled;
        FailureReason = reason;
        Payment.Status = PaymentStatus.Cancelled;
        RecordStep(SagaSteps.OrderCancelled, at);
        return true;
    }

    public static Order Place(Guid userId, IEnumerable<OrderItem> items, string? idempotencyKey, DateTimeOffset at)
    {
        var lines = items.ToList();
        var total = lines.Sum(item => checked(item.UnitPrice * item.Quantity));
        var order = new Order
        {
            Id = Guid.CreateVersion7(at),
            UserId = userId,
            TotalPrice = total,
            IdempotencyKey = idempotencyKey,
            CreatedAt = at,
            Items = lines,
            Payment = new Payment { Amount = total },
        };
        order.RecordStep(SagaSteps.OrderPlaced, at);
        return order;
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
    public const string OrderCompleted = "OrderCompleted";
    public const string OrderCancelled = "OrderCancelled";
}
