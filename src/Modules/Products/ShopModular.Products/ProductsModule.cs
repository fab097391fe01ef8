using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ShopModular.Platform.Hosting;
using ShopModular.Platform.Messaging;
using ShopModular.Platform.Persistence;
using ShopModular.ServiceDefaults.Security;

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
        // Every catalog route: one prefix, one tag, and an administrator unless a route says anyone may read it.
        var catalog = routes.MapGroup("/api/products").WithTags("Catalog").RequireAuthorization(ShopRoles.AdminPolicy);
        ListProducts.Map(catalog);
        GetProduct.Map(catalog);
        CreateProduct.Map(catalog);
        ChangePrice.Map(catalog);
        Restock.Map(catalog);
        routes.MapDeadLetters(Name);
    }
}
