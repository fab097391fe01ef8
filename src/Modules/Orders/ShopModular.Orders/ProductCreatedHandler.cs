using ShopModular.Products.Contracts;

namespace ShopModular.Orders;

/// <summary>Adds a new product to Orders' copy of the catalog.</summary>
public static class ProductCreatedHandler
{
    public static Task Handle(ProductCreated message, OrdersDbContext db, CancellationToken cancellationToken) =>
        CatalogCopy.ApplyAsync(db, message.ProductId, message.Name, message.Price, message.PriceVersion, cancellationToken);
}
