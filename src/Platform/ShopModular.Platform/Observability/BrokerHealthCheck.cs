using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wolverine.Runtime;
using Wolverine.Transports;

namespace ShopModular.Platform.Observability;

/// <summary>
/// Ready while this process's broker connections are open. Cheap: it reads the state Wolverine's RabbitMQ transport
/// already keeps (its <see cref="IBrokerHealthProbe"/>), without a round trip to the broker.
/// </summary>
internal sealed class BrokerHealthCheck(IWolverineRuntime runtime) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        foreach (var probe in runtime.Options.Transports.OfType<IBrokerHealthProbe>())
        {
            var snapshot = await probe.ProbeAsync(cancellationToken);
            // Degraded is a connection that came back a moment ago: open, so ready.
            if (snapshot.Status is BrokerHealthStatus.Unhealthy or BrokerHealthStatus.Unknown)
            {
                return HealthCheckResult.Unhealthy($"The broker ({snapshot.TransportType}) does not answer: {snapshot.Description}");
            }
        }

        return HealthCheckResult.Healthy();
    }
}
