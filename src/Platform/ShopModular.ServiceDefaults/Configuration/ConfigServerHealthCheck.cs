using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ShopModular.ServiceDefaults.Configuration;

/// <summary>
/// Ready once the config server has given this process its configuration; a later fetch that fails leaves it ready
/// (Degraded) on the values it holds. No round trip: it reads what the last fetch left.
/// </summary>
internal sealed class ConfigServerHealthCheck(ConfigServerClient client) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(client.LastLoaded switch
        {
            null => HealthCheckResult.Unhealthy(
                $"No configuration from the config server ({client.Servers}) yet for {client.Name}/{client.Profile}: {client.LastError}"),
            { } loaded when client.LastError is { } error => HealthCheckResult.Degraded(
                $"Using the configuration loaded at {loaded:O}; the last fetch failed: {error}"),
            _ => HealthCheckResult.Healthy(),
        });
}
