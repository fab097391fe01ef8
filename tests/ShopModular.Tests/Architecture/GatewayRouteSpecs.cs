using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using ShopModular.Gateway;

namespace ShopModular.Tests.Architecture;

/// <summary>
/// Every route a module maps is reachable through the gateway of the split topology: the gateway's route table
/// (<see cref="GatewayRoutes"/>) sends its path to that module's service, under which the process hosting the module
/// alone registers. A module's routes are read from the real host's endpoints: those a process hosting the module
/// alone serves and the processes of the other modules do not (the platform's, such as <c>/health</c>, are in every
/// process). One theory over the module list.
/// </summary>
[Collection(nameof(SingleModuleHosts))]
public sealed class GatewayRouteSpecs(SingleModuleHosts hosts)
{
    public static TheoryData<string> ModuleNames() => [.. SingleModuleHosts.Modules];

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void the_gateway_sends_every_route_of_a_module_to_that_module(string module)
    {
        var others = SingleModuleHosts.Modules.Where(other => other != module).SelectMany(RoutesOf).Select(route => route.RawText).ToHashSet();
        var routes = RoutesOf(module).Where(route => !others.Contains(route.RawText)).ToList();

        var unreachable = routes
            .Select(route => (Route: route.RawText, Path: SamplePath(route)))
            .Select(route => (route.Route, route.Path, Service: GatewayRoutes.ServiceFor(new PathString(route.Path))))
            .Where(route => route.Service != module)
            .Select(route => $"{route.Route} ({route.Path} goes to {route.Service ?? "no service: 404"})")
            .ToList();

        Assert.NotEmpty(routes);
        Assert.True(unreachable.Count == 0, $"Routes of {module} the gateway does not send to {module}: {string.Join(", ", unreachable)}.");
    }

    private List<RoutePattern> RoutesOf(string module) =>
        [.. hosts.For(module).Host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Select(endpoint => endpoint.RoutePattern)];

    /// <summary>A path the pattern matches: each parameter given a value its constraints take (a GUID where one is asked for).</summary>
    private static string SamplePath(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart parameter when parameter.ParameterPolicies.Any(policy => policy.Content == "guid") => Guid.NewGuid().ToString(),
            RoutePatternParameterPart => "1",
            _ => throw new InvalidOperationException($"Unexpected part in {pattern.RawText}"),
        }))));
}
