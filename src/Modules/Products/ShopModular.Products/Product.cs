namespace ShopModular.Products;

public sealed class Product
{
    public Guid Id { get; init; }

    public required string Name { get; set; }

    /// <summary>Whole points.</summary>
    public long Price { get; set; }

    /// <summary>
    /// Grows with every price change; published with the price so that copies in other modules
    /// ignore a change that reaches them after a newer one. Also the concurrency token of price changes.
    /// </summary>
    public long PriceVersion { get; set; }

    /// <summary>Units available to new orders; reserved units are not included. Never below zero.</summary>
    public int Stock { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public ProductResponse ToResponse() => new(Id, Name, Price, Stock);
}

public sealed record ProductResponse(Guid Id, string Name, long Price, int Stock);
