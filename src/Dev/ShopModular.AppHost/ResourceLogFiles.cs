using Microsoft.Extensions.Hosting;

namespace ShopModular.AppHost;

/// <summary>
/// Every resource's console output, also in <c>logs/NAME.log</c> of the state folder: the dashboard shows it while
/// the app host runs, the files keep it for a look afterwards (and without the dashboard).
/// </summary>
public sealed class ResourceLogFiles(DistributedApplicationModel model, ResourceLoggerService logs, StateFolder state) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var folder = state.Combine("logs");
        Directory.CreateDirectory(folder);
        return Task.WhenAll(model.Resources.OfType<ExecutableResource>().Select(resource => CopyAsync(resource, Path.Combine(folder, $"{resource.Name}.log"), stoppingToken)));
    }

    private async Task CopyAsync(IResource resource, string path, CancellationToken stoppingToken)
    {
        await using var file = new StreamWriter(path, append: true) { AutoFlush = true };
        try
        {
            await foreach (var batch in logs.WatchAsync(resource).WithCancellation(stoppingToken))
            {
                foreach (var line in batch)
                {
                    await file.WriteLineAsync(line.Content);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The app host is stopping.
        }
    }
}
