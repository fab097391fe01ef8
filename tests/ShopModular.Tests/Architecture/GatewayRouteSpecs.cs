using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using ShopModular.Gateway;
using ShopModular.Orders;
using ShopModular.Platform.Hosting;
using ShopModular.Products;
using ShopModular.ServiceDefaults.Discovery;
using ShopModular.Tests.Infrastructure;
using ShopModular.Users;

namespace ShopModular.Tests.Architecture;

/// <summary>
/// Every route a module maps is reachable through the gateway of the split topology: it is under one of the route
/// prefixes the module declares (<see cref="ShopModule.RoutePrefixes"/>), and a gateway whose registry lists the
/// module's process with those prefixes in its metadata sends its path to that module's service. A module's
/// routes are read from the real host's endpoints: those a process hosting the module alone serves and the
/// processes of the other modules do not (the platform's, such as <c>/health</c>, are in every process). One
/// theory over the module list.
/// </summary>
[Collection(nameof(SingleModuleHosts))]
public sealed class GatewayRouteSpecs(SingleModuleHosts hosts)
{
    private static readonly ShopModule[] Definitions = [UsersModule.Definition, ProductsModule.Definition, OrdersModule.Definition];

    public static TheoryData<string> ModuleNames() => [.. SingleModuleHosts.Modules];

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public async Task the_gateway_sends_every_route_of_a_module_to_that_module_by_the_prefixes_it_declares(string module)
    {
        var routes = OwnRoutesOf(module);
        var declared = Definitions.Single(definition => definition.Name == module).RoutePrefixes;
        await using var registry = await StubRegistry.StartAsync();
        // Each module's process as the registry lists it, its declared prefixes in its metadata.
        registry.Serve([.. Definitions.Select(definition =>
            (definition.Name.ToUpperInvariant(), (System.Text.Json.Nodes.JsonNode)StubRegistry.Instance(
                definition.Name.ToUpperInvariant(), "127.0.0.1", Repository.FreePort(), [.. definition.RoutePrefixes])))]);
        await using var gateway = await TestGateway.StartAsync(registry.ServiceUrl());
        await TestGateway.SeesAsync(gateway, [.. Definitions.Select(definition => definition.Name)]);
        var gatewayRoutes = gateway.Services.GetRequiredService<GatewayRoutes>();

        var outsideItsPrefixes = routes
            .Where(route => !declared.Any(prefix => new PathString(SamplePath(route)).StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase)))
            .Select(route => route.RawText)
            .ToList();
        var unreachable = routes
            .Select(route => (route.RawText, Path: SamplePath(route)))
            .Select(route => (route.RawText, route.Path, Service: gatewayRoutes.ServiceFor(new PathString(route.Path))))
            .Where(route => route.Service != module)
            .Select(route => $"{route.RawText} ({route.Path} goes to {route.Service ?? "no service: 404"})")
            .ToList();

        Assert.NotEmpty(routes);
        Assert.True(outsideItsPrefixes.Count == 0, $"Routes of {module} under none of its declared prefixes ({string.Join(", ", declared)}): {string.Join(", ", outsideItsPrefixes)}.");
        Assert.True(unreachable.Count == 0, $"Routes of {module} the gateway does not send to {module}: {string.Join(", ", unreachable)}.");
    }

    /// <summary>
    /// The edge's sign-in rules (<see cref="GatewayRoutes.RequiresToken"/>) are the gateway's own, not declared by
    /// the modules; this keeps them from refusing, without a token, a route that its module leaves open to anyone.
    /// </summary>
    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void the_gateway_demands_a_token_for_no_route_its_module_leaves_open(string module)
    {
        var open = OwnEndpointsOf(module)
            .Where(endpoint => endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null || endpoint.Metadata.GetMetadata<IAuthorizeData>() is null)
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [HttpMethods.Get])
                .Select(method => (Method: method, Path: SamplePath(endpoint.RoutePattern))))
            .ToList();

        var refused = open
            .Where(route => GatewayRoutes.RequiresToken(new DefaultHttpContext { Request = { Method = route.Method, Path = route.Path } }.Request))
            .Select(route => $"{route.Method} {route.Path}")
            .ToList();

        Assert.True(refused.Count == 0, $"Routes {module} leaves open that the gateway refuses without a token: {string.Join(", ", refused)}.");
    }

    [Fact]
    public void every_declared_prefix_is_one_the_gateway_takes_and_no_two_modules_declare_the_same()
    {
        var prefixes = Definitions.SelectMany(definition => definition.RoutePrefixes).ToList();

        Assert.All(prefixes, prefix => Assert.True(RoutePrefixes.IsWellFormed(prefix), $"{prefix} is not a prefix the gateway takes."));
        Assert.Equal(prefixes.Count, prefixes.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    private List<RoutePattern> OwnRoutesOf(string module) => [.. OwnEndpointsOf(module).Select(endpoint => endpoint.RoutePattern)];

    /// <summary>The module's endpoints whose route the processes of the other modules do not have.</summary>
    private List<RouteEndpoint> OwnEndpointsOf(string module)
    {
        var others = SingleModuleHosts.Modules.Where(other => other != module).SelectMany(EndpointsOf).Select(endpoint => endpoint.RoutePattern.RawText).ToHashSet();
        return [.. EndpointsOf(module).Where(endpoint => !others.Contains(endpoint.RoutePattern.RawText))];
    }

    private List<RouteEndpoint> EndpointsOf(string module) =>
        [.. hosts.For(module).Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];

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
