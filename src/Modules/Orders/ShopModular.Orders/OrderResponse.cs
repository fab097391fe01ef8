namespace ShopModular.Orders;

public sealed record OrderResponse(
    Guid Id,
    Guid UserId,
    OrderStatus Status,
    string? FailureReason,
    long TotalPrice,
    IReadOnlyList<OrderItemResponse> Items,
    PaymentResponse Payment,
    IReadOnlyList<OrderStepResponse> History,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static OrderResponse From(Order order) => new(
        order.Id,
        order.UserId,
        order.Status,
        order.FailureReason,
        order.TotalPrice,
        order.Items.Select(item => new OrderItemResponse(item.ProductId, item.Quantity, item.UnitPrice)).ToList(),
        new PaymentResponse(order.Payment.Status, order.Payment.Amount),
        InSagaOrder(order.History.Select(step => new OrderStepResponse(step.Step, step.At))),
        order.CreatedAt,
        order.UpdatedAt);

    public bool HasEnded() => Status != OrderStatus.Pending;

    internal static List<OrderStepResponse> InSagaOrder(IEnumerable<OrderStepResponse> history) =>
        [.. history.OrderBy(step => step.At).ThenBy(step => StepOrder(step.Step))];

    // Steps recorded in the same instant are shown in saga order.
    private static int StepOrder(string step) => step switch
    {
        SagaSteps.OrderPlaced => 0,
        SagaSteps.StockReserved or SagaSteps.StockReservationFailed => 1,
        SagaSteps.PointsDeducted or SagaSteps.PointsDeductionFailed => 2,
        SagaSteps.StockReleased => 3,
        _ => 4,
    };
}

public sealed record OrderItemResponse(Guid ProductId, int Quantity, long UnitPrice);

public sealed record PaymentResponse(PaymentStatus Status, long Amount);

public sealed record OrderStepResponse(string Step, DateTimeOffset At);
