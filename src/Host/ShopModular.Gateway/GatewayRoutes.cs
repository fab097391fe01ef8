using ShopModular.ServiceDefaults.Discovery;

namespace ShopModular.Gateway;

/// <summary>
/// The public API by path prefix: which service (registry application) serves it, as the services declare it in
/// their registrations (<see cref="RoutePrefixes"/>), and whether the edge demands a token.
/// <para>Only instances the gateway would forward to (UP, at an allowed address) declare routes. A prefix once
/// declared stays known when its instances are gone, so that its requests get 503 (the service is down) rather
/// than 404 (no such API); one no instance has declared since the gateway started is unknown (404).</para>
/// <para>Two applications declaring one prefix: the one that had it keeps it (a newcomer cannot take another's
/// traffic by claiming its path), else the first by name; the conflict is logged.</para>
/// </summary>
public sealed class GatewayRoutes
{
    private const int MaxConflictsWarnedAbout = 100;

    private readonly BackendNetworks _backendNetworks;
    private readonly ILogger<GatewayRoutes> _logger;
    private readonly Lock _lock = new();
    private readonly HashSet<string> _conflictsWarnedAbout = [];
    private volatile Route[] _routes = [];

    public GatewayRoutes(EurekaClient registry, BackendNetworks backendNetworks, ILogger<GatewayRoutes> logger)
    {
        _backendNetworks = backendNetworks;
        _logger = logger;
        // Learnt on every fetch, not when a request comes: a service whose instances came and went between two
        // requests still declared its routes.
        registry.UpInstancesRefreshed += Learn;
        Learn(registry.UpInstancesByApplication);
    }

    /// <summary>Every service the gateway routes to, by name (the merged API document lists their paths in this order).</summary>
    public IEnumerable<string> Services => _routes.Select(route => route.Service).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal);

    /// <summary>The service (registry application) that serves the path, or null when no route matches.</summary>
    public string? ServiceFor(PathString path) =>
        _routes.FirstOrDefault(route => path.StartsWithSegments(route.Prefix, StringComparison.OrdinalIgnoreCase))?.Service;

    /// <summary>
    /// Routes that are never anonymous: the caller's own account and orders, and every change to the catalog.
    /// (The service still decides about roles and ownership.) Written here, not declared by the services: it is the
    /// edge's own check, and a second check that derived from the first would fail with it; nor may whoever can
    /// register open a path at the edge.
    /// </summary>
    public static bool RequiresToken(HttpRequest request) =>
        request.Path.StartsWithSegments("/api/orders", StringComparison.OrdinalIgnoreCase)
        || request.Path.StartsWithSegments("/api/users/me", StringComparison.OrdinalIgnoreCase)
        || (request.Path.StartsWithSegments("/api/products", StringComparison.OrdinalIgnoreCase) && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method));

    private void Learn(IReadOnlyDictionary<string, ServiceInstance[]> registered)
    {
        lock (_lock)
        {
            _routes = Learn(_routes, registered);
        }
    }

    private Route[] Learn(Route[] known, IReadOnlyDictionary<string, ServiceInstance[]> registered)
    {
        var owners = known.ToDictionary(route => route.Prefix, route => route.Service, StringComparer.OrdinalIgnoreCase);
        var claims = registered
            .OrderBy(application => application.Key, StringComparer.Ordinal)
            .SelectMany(application => application.Value
                .Where(_backendNetworks.Allow)
                .SelectMany(RoutePrefixes.Of)
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .Select(prefix => (Prefix: prefix, Service: application.Key.ToLowerInvariant())))
            .GroupBy(claim => claim.Prefix, StringComparer.OrdinalIgnoreCase);
        foreach (var claim in claims)
        {
            var services = claim.Select(entry => entry.Service).ToList();
            var owner = owners.TryGetValue(claim.Key, out var current) && services.Contains(current) ? current : services[0];
            if (services.Count > 1 && _conflictsWarnedAbout.Count < MaxConflictsWarnedAbout && _conflictsWarnedAbout.Add($"{claim.Key} {string.Join(',', services)}"))
            {
                _logger.LogWarning("{Services} all declare the route prefix {Prefix}; {Owner} keeps it", string.Join(", ", services), claim.Key, owner);
            }

            if (current != owner)
            {
                _logger.LogInformation("Routing {Prefix} to {Service}", claim.Key, owner);
            }

            owners[claim.Key] = owner;
        }

        return [.. owners.Select(route => new Route(route.Key, route.Value)).OrderByDescending(route => route.Prefix.Length)];
    }

    private sealed record Route(string Prefix, string Service);
}
