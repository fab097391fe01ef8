using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Http;
using ShopModular.Platform.Security;

namespace ShopModular.Orders;

public static class GetOrder
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/orders/{id:guid}", Handle)
            .WithTags("Orders")
            .WithSummary("One order with its payment and saga history (its owner or an administrator)")
            .RequireAuthorization();

    public static async Task<IResult> Handle(Guid id, ClaimsPrincipal principal, OrdersDbContext db, CancellationToken cancellationToken)
    {
        var order = await db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.Id == id, cancellationToken);

        // Someone else's order gets the same answer as a missing one: ids reveal nothing.
        return order is null || (order.UserId != principal.GetUserId() && !principal.IsAdmin())
            ? Problems.NotFound($"There is no order {id}.")
            : TypedResults.Ok(OrderResponse.From(order));
    }
}
