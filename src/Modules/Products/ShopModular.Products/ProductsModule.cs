using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using ShopModular.Platform.Hosting;
using ShopModular.Platform.Messaging;
using ShopModular.Platform.Persistence;

namespace ShopModular.Products;

/// <summary>Catalog and stock. Schema <c>products</c>, routes under /api/products.</summary>
public static class ProductsModule
{
    public const string Name = "products";

    public static ShopModule Definition { get; } = new(Name, typeof(ProductsModule).Assembly, AddProductsModule, MapProductsEndpoints);

    public static void AddProductsModule(WebApplicationBuilder builder)
    {
        builder.Services.AddModuleDbContext<ProductsDbContext>(builder.Configuration, ProductsDbContext.Schema);
    }

    public static void MapProductsEndpoints(IEndpointRouteBuilder routes)
    {
        ListProducts.Map(routes);
        GetProduct.Map(routes);
        CreateProduct.Map(routes);
        ChangePrice.Map(routes);
        Restock.Map(routes);
        routes.MapDeadLetters(Name);
    }
}
