using Microsoft.Extensions.Options;

namespace ShopModular.Registry;

/// <summary>Evicts lapsed leases on the configured interval, as the genuine server's eviction timer does.</summary>
public sealed class LeaseEviction(EurekaRegistry registry, IOptions<RegistrySettings> options, ILogger<LeaseEviction> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.EvictionInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (registry.EvictExpired() is > 0 and var evicted)
            {
                logger.LogInformation("Evicted {Count} instance(s) whose lease lapsed", evicted);
            }
        }
    }
}
