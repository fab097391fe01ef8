using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Http;
using ShopModular.ServiceDefaults.Security;

namespace ShopModular.Orders;

public static class ListOrders
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("", Handle)
            .WithSummary("The caller's own orders, newest first (page from 1, pageSize up to 100, default 50)");

    public static async Task<IResult> Handle(
        ClaimsPrincipal principal, OrdersDbContext db, CancellationToken cancellationToken, int page = 1, int pageSize = DefaultPageSize)
    {
        var errors = new RequestErrors().CheckPage(page, pageSize, MaxPageSize);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var userId = principal.GetUserId();
        var orders = await db.Orders.AsNoTracking()
            .Where(order => order.UserId == userId)
            .OrderByDescending(order => order.CreatedAt).ThenByDescending(order => order.Id)
            .Skip((page - 1) * pageSize).Take(pageSize)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(orders.Select(OrderResponse.From).ToList());
    }
}
