using Wolverine.Attributes;

namespace ShopModular.Users.Contracts;

[MessageIdentity("users.user-registered")]
public sealed record UserRegistered(Guid UserId, string Email, string Name);

/// <summary>
/// The buyer paid for the order with points: the saga's last forward step. Carries when the stock was reserved, so
/// that Orders can record that step too from this one message.
/// </summary>
[MessageIdentity("users.points-deducted")]
public sealed record PointsDeducted(Guid OrderId, Guid UserId, long Amount, DateTimeOffset At, DateTimeOffset StockReservedAt);

/// <summary>The buyer could not pay; the reserved stock must be put back, then the order cancelled.</summary>
[MessageIdentity("users.points-deduction-failed")]
public sealed record PointsDeductionFailed(Guid OrderId, Guid UserId, string Reason, DateTimeOffset At, DateTimeOffset StockReservedAt);

public static class PointsFailureReasons
{
    public const string InsufficientPoints = "InsufficientPoints";
}
