using Wolverine.Attributes;

namespace ShopModular.Users.Contracts;

[MessageIdentity("users.user-registered")]
public sealed record UserRegistered(Guid UserId, string Email, string Name);

/// <summary>The buyer paid for the order with points: the saga's last forward step.</summary>
[MessageIdentity("users.points-deducted")]
public sealed record PointsDeducted(Guid OrderId, Guid UserId, long Amount, DateTimeOffset At);

/// <summary>The buyer could not pay; the reserved stock must be put back, then the order cancelled.</summary>
[MessageIdentity("users.points-deduction-failed")]
public sealed record PointsDeductionFailed(Guid OrderId, Guid UserId, string Reason, DateTimeOffset At);

public static class PointsFailureReasons
{
    public const string InsufficientPoints = "InsufficientPoints";
}
