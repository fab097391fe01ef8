using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Http;

namespace ShopModular.Products;

public sealed record RestockRequest(int? Quantity);

public static class Restock
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/{id:guid}/stock", Handle)
            .WithSummary("Add units to a product's stock (administrator)");

    public static async Task<IResult> Handle(Guid id, RestockRequest request, ProductsDbContext db, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors().RequireValue(request.Quantity, "quantity");
        if (request.Quantity is { } quantity)
        {
            errors.Check(quantity > 0, "quantity", "quantity must be greater than 0.")
                .Check(quantity <= ProductRules.MaxStock, "quantity", $"quantity must be at most {ProductRules.MaxStock}.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var added = request.Quantity!.Value;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // One atomic increment, guarded so that stock stays an int; concurrent reservations are never overwritten.
        var updated = await db.Products
            .Where(p => p.Id == id && p.Stock <= ProductRules.MaxStock - added)
            .ExecuteUpdateAsync(set => set.SetProperty(p => p.Stock, p => p.Stock + added), cancellationToken);
        var product = await db.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (product is null)
        {
            return GetProduct.ProductNotFound(id);
        }

        if (updated == 0)
        {
            return Problems.BadRequest($"Stock would exceed {ProductRules.MaxStock} units.");
        }

        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(product.ToResponse());
    }
}
