using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ShopModular.ServiceDefaults.Configuration;

/// <summary>
/// Fetches the configuration again every <c>spring:cloud:config:pollingInterval</c> while the host runs (and, in a
/// process that started without it, until it has it), one warning per failed cycle.
/// </summary>
internal sealed class ConfigServerPolling(ConfigServerClient client, TimeProvider clock, ILogger<ConfigServerClient> logger) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        client.AttachLogger(logger);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (client.RetryInterval is { } interval)
            {
                await Task.Delay(interval, clock, stoppingToken);
                try
                {
                    await client.RefreshAsync(stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // A loop that ended would freeze the configuration for the rest of the process's life.
                    logger.LogError(exception, "Polling the config server failed; trying again in {Interval}", interval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
