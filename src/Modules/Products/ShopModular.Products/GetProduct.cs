using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Http;

namespace ShopModular.Products;

public static class GetProduct
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/{id:guid}", Handle)
            .WithSummary("One product")
            .AllowAnonymous();

    public static async Task<IResult> Handle(Guid id, ProductsDbContext db, CancellationToken cancellationToken)
    {
        var product = await db.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        return product is null ? ProductNotFound(id) : TypedResults.Ok(product.ToResponse());
    }

    internal static IResult ProductNotFound(Guid id) => Problems.NotFound($"There is no product {id}.");
}
