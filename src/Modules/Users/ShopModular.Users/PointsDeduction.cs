namespace ShopModular.Users;

/// <summary>The payment decision for one order: at most one per order id, which makes paying idempotent.</summary>
public sealed class PointsDeduction
{
    public Guid OrderId { get; init; }

    public Guid UserId { get; init; }

    public long Amount { get; init; }

    public bool Succeeded { get; init; }

    public DateTimeOffset At { get; init; }
}
