namespace ShopModular.Gateway;

/// <summary>The public API by path prefix: which service serves it, and whether the edge demands a token.</summary>
public static class GatewayRoutes
{
    private static readonly (string Prefix, string Service)[] Prefixes =
    [
        ("/api/orders", "orders"),
        ("/api/products", "products"),
        ("/api/users", "users"),
        ("/api/auth", "users"),
    ];

    /// <summary>Every service the gateway routes to.</summary>
    public static IEnumerable<string> Services => Prefixes.Select(route => route.Service).Distinct();

    /// <summary>The service (registry application) that serves the path, or null when no route matches.</summary>
    public static string? ServiceFor(PathString path) =>
        Prefixes.FirstOrDefault(route => path.StartsWithSegments(route.Prefix, StringComparison.OrdinalIgnoreCase)).Service;

    /// <summary>
    /// Routes that are never anonymous: the caller's own account and orders, and every change to the catalog.
    /// (The service still decides about roles and ownership.)
    /// </summary>
    public static bool RequiresToken(HttpRequest request) =>
        request.Path.StartsWithSegments("/api/orders", StringComparison.OrdinalIgnoreCase)
        || request.Path.StartsWithSegments("/api/users/me", StringComparison.OrdinalIgnoreCase)
        || (request.Path.StartsWithSegments("/api/products", StringComparison.OrdinalIgnoreCase) && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method));
}
