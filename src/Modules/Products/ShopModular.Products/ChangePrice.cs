using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Http;
using ShopModular.Products.Contracts;
using Wolverine.EntityFrameworkCore;

namespace ShopModular.Products;

public sealed record ChangePriceRequest(long? Price);

public static class ChangePrice
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPut("/{id:guid}/price", Handle)
            .WithSummary("Change a product's price (administrator); orders already placed keep their price");

    public static async Task<IResult> Handle(
        Guid id, ChangePriceRequest request, IDbContextOutbox<ProductsDbContext> outbox, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors().RequirePrice(request.Price);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var product = await outbox.DbContext.Products.SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (product is null)
        {
            return GetProduct.ProductNotFound(id);
        }

        product.Price = request.Price!.Value;
        product.PriceVersion++;
        await outbox.PublishAsync(new ProductPriceChanged(product.Id, product.Name, product.Price, product.PriceVersion));
        try
        {
            await outbox.SaveChangesAndFlushMessagesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.Conflict("The price was changed by someone else at the same moment; read the product and try again.");
        }

        return TypedResults.Ok(product.ToResponse());
    }
}
