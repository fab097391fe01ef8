using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace ShopModular.Platform.Http;

public static class ModuleRoutes
{
    /// <summary>
    /// A route group under <paramref name="prefix"/> whose root route (mapped as <c>""</c>) has the prefix itself as
    /// its pattern. ASP.NET Core joins a group's prefix and a route with a slash, so the root route's pattern reads
    /// <c>/api/products/</c>: it matches the same requests, but the pattern's text is the <c>endpoint</c> label of
    /// the HTTP metrics (which the dashboards query as <c>/api/products</c>) and the path in the OpenAPI document.
    /// </summary>
    public static RouteGroupBuilder MapModuleGroup(this IEndpointRouteBuilder routes, string prefix)
    {
        var group = routes.MapGroup(prefix);
        // A group convention sees each route's pattern already joined to the prefix, before the endpoint is built.
        ((IEndpointConventionBuilder)group).Add(WithoutTrailingSlash);
        return group;
    }

    private static void WithoutTrailingSlash(EndpointBuilder endpoint)
    {
        if (endpoint is RouteEndpointBuilder { RoutePattern: { RawText: { Length: > 1 } text } pattern } route && text.EndsWith('/'))
        {
            // The same segments, constraints and defaults: only the text changes.
            route.RoutePattern = RoutePatternFactory.Pattern(text.TrimEnd('/'), new RouteValueDictionary(pattern.Defaults), parameterPolicies: null, pattern.PathSegments);
        }
    }
}
