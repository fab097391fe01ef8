using ShopModular.Products.Contracts;

namespace ShopModular.Orders;

/// <summary>Keeps Orders' copy of a price current; orders already placed keep the price they were placed at.</summary>
public static class ProductPriceChangedHandler
{
    public static Task Handle(ProductPriceChanged message, OrdersDbContext db, CancellationToken cancellationToken) =>
        CatalogCopy.ApplyAsync(db, message.ProductId, message.Name, message.Price, message.PriceVersion, cancellationToken);
}
