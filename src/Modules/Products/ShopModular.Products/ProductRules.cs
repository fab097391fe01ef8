using ShopModular.Platform.Http;

namespace ShopModular.Products;

/// <summary>Limits shared by the catalog's routes.</summary>
internal static class ProductRules
{
    public const long MaxPrice = 1_000_000_000_000;
    public const int MaxStock = 1_000_000_000;

    public static RequestErrors RequirePrice(this RequestErrors errors, long? price)
    {
        errors.RequireValue(price, "price");
        return price is { } value
            ? errors.Check(value >= 0, "price", "price must not be negative.")
                .Check(value <= MaxPrice, "price", $"price must be at most {MaxPrice}.")
            : errors;
    }
}
