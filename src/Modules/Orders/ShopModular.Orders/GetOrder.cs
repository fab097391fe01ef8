using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ShopModular.Platform.Http;
using ShopModular.ServiceDefaults.Security;

namespace ShopModular.Orders;

public static class GetOrder
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/{id:guid}", Handle)
            .WithSummary("One order with its payment and saga history (its owner or an administrator); with Prefer: wait=N, once it has ended or N seconds have passed");

    public static async Task<IResult> Handle(
        Guid id,
        HttpContext http,
        ClaimsPrincipal principal,
        OrdersDbContext db,
        OrderOutcomes outcomes,
        OrdersSettings settings,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var wait = PreferredWait.Of(http.Request, settings.MaxWait);
        // Watched before the first look, so that an end between the look and the wait is not missed.
        using var watch = wait is null ? null : outcomes.Watch(id);
        var order = await OrderRows.ByIdAsync(db, id, cancellationToken);
        // Someone else's order gets the same answer as a missing one: ids reveal nothing.
        if (order is null || (order.UserId != principal.GetUserId() && !principal.IsAdmin()))
        {
            return Problems.NotFound($"There is no order {id}.");
        }

        if (watch is not null)
        {
            order = await WaitForEndAsync(db, watch, order, wait!.Value, clock, cancellationToken);
            if (order.HasEnded())
            {
                PreferredWait.MarkApplied(http.Response, wait.Value);
            }
        }

        return TypedResults.Ok(order);
    }

    /// <summary>
    /// The order once it has ended, or as it is when <paramref name="wait"/> has passed. <paramref name="watch"/> was
    /// started before <paramref name="order"/> was read; after each wake-up the order is read again, unless this process
    /// ended it and handed it over.
    /// </summary>
    internal static async Task<OrderResponse> WaitForEndAsync(
        OrdersDbContext db, OrderWatch watch, OrderResponse order, TimeSpan wait, TimeProvider clock, CancellationToken cancellationToken)
    {
        var deadline = clock.GetUtcNow() + wait;
        while (!order.HasEnded() && deadline - clock.GetUtcNow() is { Ticks: > 0 } left)
        {
            order = await watch.WaitAsync(left, cancellationToken) ?? await OrderRows.ByIdAsync(db, order.Id, cancellationToken) ?? order;
        }

        return order;
    }
}
