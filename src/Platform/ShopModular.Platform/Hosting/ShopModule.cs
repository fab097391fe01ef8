using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace ShopModular.Platform.Hosting;

/// <summary>
/// One module's entry point: how it adds its services (DbContext, handlers, options) and maps its routes.
/// The host lists the modules explicitly; the hosting switch decides which of them run in this process.
/// </summary>
/// <param name="Name">The module's one plural word: schema, route prefix, message prefix and service name.</param>
/// <param name="Assembly">Where the module's message handlers are; the platform adds them when the module is hosted.</param>
/// <param name="RoutePrefixes">
/// The path prefixes every route of the module is under: a process hosting it publishes them in its registration,
/// and the gateway sends their requests to that process's service.
/// </param>
public sealed record ShopModule(
    string Name,
    Assembly Assembly,
    Action<WebApplicationBuilder> AddServices,
    Action<IEndpointRouteBuilder> MapEndpoints,
    IReadOnlyList<string> RoutePrefixes);
