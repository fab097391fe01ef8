namespace ShopModular.Users;

/// <summary>
/// The payment decision for one order: at most one per order id, which makes paying idempotent, and refunding once
/// the order timed out (<see cref="TimedOutAt"/>).
/// </summary>
public sealed class PointsDeduction
{
    public Guid OrderId { get; init; }

    public Guid UserId { get; init; }

    public long Amount { get; init; }

    public bool Succeeded { get; init; }

    public DateTimeOffset At { get; init; }

    /// <summary>
    /// When Users heard that the order timed out: a deduction that had succeeded was refunded then, once. An order that
    /// timed out before its payment gets this row then (amount 0, not succeeded), so a payment arriving later takes nothing.
    /// </summary>
    public DateTimeOffset? TimedOutAt { get; init; }
}
