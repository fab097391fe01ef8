using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ShopModular.Platform.Hosting;
using ShopModular.Platform.Http;
using ShopModular.Platform.Messaging;
using ShopModular.Platform.Persistence;
using ShopModular.ServiceDefaults.Security;

namespace ShopModular.Products;

/// <summary>Catalog and stock. Schema <c>products</c>, routes under /api/products.</summary>
public static class ProductsModule
{
    public const string Name = "products";

    /// <summary>Where every route of the module is.</summary>
    public const string RoutePrefix = "/api/products";

    public static ShopModule Definition { get; } = new(Name, typeof(ProductsModule).Assembly, AddProductsModule, MapProductsEndpoints, [RoutePrefix]);

    public static void AddProductsModule(WebApplicationBuilder builder)
    {
        builder.Services.AddModuleDbContext<ProductsDbContext>(builder.Configuration, ProductsDbContext.Schema);
    }

    public static void MapProductsEndpoints(IEndpointRouteBuilder routes)
    {
        // An administrator, unless a route says anyone may read it.
        var catalog = routes.MapModuleGroup(RoutePrefix).WithTags("Catalog").RequireAuthorization(ShopRoles.AdminPolicy);
        ListProducts.Map(catalog);
        GetProduct.Map(catalog);
        CreateProduct.Map(catalog);
        ChangePrice.Map(catalog);
        Restock.Map(catalog);
        routes.MapDeadLetters(Name);
    }
}
