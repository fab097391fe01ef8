using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ShopModular.Platform.Http;
using ShopModular.Products.Contracts;
using Wolverine.EntityFrameworkCore;

namespace ShopModular.Products;

public sealed record CreateProductRequest(string? Name, long? Price, int? Stock);

public static class CreateProduct
{
    public const int MaxNameLength = 200;

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("", Handle)
            .WithSummary("Add a product to the catalog (administrator)");

    public static async Task<IResult> Handle(
        CreateProductRequest request, IDbContextOutbox<ProductsDbContext> outbox, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors()
            .RequireText(request.Name, "name", MaxNameLength)
            .RequirePrice(request.Price)
            .RequireValue(request.Stock, "stock");
        if (request.Stock is { } stock)
        {
            errors.Check(stock >= 0, "stock", "stock must not be negative.")
                .Check(stock <= ProductRules.MaxStock, "stock", $"stock must be at most {ProductRules.MaxStock}.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var product = new Product
        {
            Id = Guid.CreateVersion7(),
            Name = request.Name!.Trim(),
            Price = request.Price!.Value,
            PriceVersion = 1,
            Stock = request.Stock!.Value,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        outbox.DbContext.Products.Add(product);
        await outbox.PublishAsync(new ProductCreated(product.Id, product.Name, product.Price, product.PriceVersion));
        await outbox.SaveChangesAndFlushMessagesAsync(cancellationToken);
        return TypedResults.Created($"/api/products/{product.Id}", product.ToResponse());
    }
}
