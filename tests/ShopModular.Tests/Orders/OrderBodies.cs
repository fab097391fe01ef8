namespace ShopModular.Tests.Orders;

public sealed record OrderBody(
    Guid Id,
    Guid UserId,
    string Status,
    string? FailureReason,
    long TotalPrice,
    OrderItemBody[] Items,
    PaymentBody Payment,
    OrderStepBody[] History,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public string[] Steps => History.Select(step => step.Step).ToArray();
}

public sealed record OrderItemBody(Guid ProductId, int Quantity, long UnitPrice);

public sealed record PaymentBody(string Status, long Amount);

public sealed record OrderStepBody(string Step, DateTimeOffset At);
