using Microsoft.EntityFrameworkCore;

namespace ShopModular.Orders;

internal static class CatalogCopy
{
    /// <summary>
    /// Inserts or updates the copy unless it already holds this version or a newer one, so that events
    /// delivered twice or out of order leave the newest price in place.
    /// </summary>
    public static async Task ApplyAsync(OrdersDbContext db, Guid productId, string name, long price, long priceVersion, CancellationToken cancellationToken)
    {
        var copy = await db.CatalogProducts.SingleOrDefaultAsync(product => product.ProductId == productId, cancellationToken);
        if (copy is null)
        {
            db.CatalogProducts.Add(new CatalogProduct { ProductId = productId, Name = name, Price = price, PriceVersion = priceVersion });
        }
        else if (priceVersion > copy.PriceVersion)
        {
            copy.Name = name;
            copy.Price = price;
            copy.PriceVersion = priceVersion;
        }
    }
}
