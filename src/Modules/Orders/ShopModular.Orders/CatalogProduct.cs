namespace ShopModular.Orders;

/// <summary>
/// Orders' own copy of what it needs from the catalog, fed by Products' events, so that placing an
/// order never calls or queries the Products module.
/// </summary>
public sealed class CatalogProduct
{
    public Guid ProductId { get; init; }

    public required string Name { get; set; }

    public long Price { get; set; }

    /// <summary>The catalog's version of the price; an older change arriving late is ignored.</summary>
    public long PriceVersion { get; set; }
}
