using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Http;

namespace ShopModular.Products;

public static class ListProducts
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("", Handle)
            .WithSummary("The catalog, a page at a time (page from 1, pageSize up to 100), oldest first")
            .AllowAnonymous();

    public static async Task<IResult> Handle(ProductsDbContext db, CancellationToken cancellationToken, int page = 1, int pageSize = DefaultPageSize)
    {
        var errors = new RequestErrors().CheckPage(page, pageSize, MaxPageSize);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var products = await db.Products.AsNoTracking()
            .OrderBy(p => p.CreatedAt).ThenBy(p => p.Id)
            .Skip((page - 1) * pageSize).Take(pageSize)
            .Select(p => new ProductResponse(p.Id, p.Name, p.Price, p.Stock))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(products);
    }
}
