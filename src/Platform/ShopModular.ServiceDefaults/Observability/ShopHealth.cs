using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;

namespace ShopModular.ServiceDefaults.Observability;

/// <summary>The health pages every process serves: <c>/health/live</c> (the process answers) and <c>/health/ready</c> (what it needs answers too).</summary>
public static class ShopHealth
{
    /// <summary>The tag of the checks <c>/health/ready</c> runs: the database, the broker, the config server.</summary>
    public const string ReadyTag = "ready";

    public static IEndpointRouteBuilder MapShopHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        return endpoints;
    }
}
