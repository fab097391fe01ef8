using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ShopModular.AppHost;

/// <summary>Marks a resource whose process is started again when it ends by a crash or a kill (a compose restart policy).</summary>
public sealed class RestartWhenKilledAnnotation : IResourceAnnotation;

/// <summary>
/// Starts a marked resource again when its process ended with a non-zero status: killed (SIGKILL, the OOM killer)
/// or crashed. One stopped on purpose (from the dashboard, or by Ctrl-C) exits with 0 and stays stopped. A process
/// that keeps failing is started less and less often, up to every 30 s.
/// </summary>
public sealed class RestartWhenKilled(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    IHostApplicationLifetime lifetime,
    ILogger<RestartWhenKilled> logger) : BackgroundService
{
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var marked = model.Resources.Where(resource => resource.Annotations.OfType<RestartWhenKilledAnnotation>().Any())
            .Select(resource => resource.Name).ToHashSet(StringComparer.Ordinal);
        var pauses = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var handled = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var change in notifications.WatchAsync(stoppingToken))
        {
            if (!marked.Contains(change.Resource.Name) || lifetime.ApplicationStopping.IsCancellationRequested)
            {
                continue;
            }

            var snapshot = change.Snapshot;
            var ended = snapshot.State?.Text == KnownResourceStates.Exited || snapshot.State?.Text == KnownResourceStates.Finished;
            // One event per process: the snapshot of a dead process is published more than once.
            var process = $"{change.ResourceId}:{snapshot.StartTimeStamp?.Ticks}";
            if (!ended || snapshot.ExitCode is null or 0 || !handled.Add(process))
            {
                continue;
            }

            var ranFor = (snapshot.StopTimeStamp ?? DateTime.UtcNow) - (snapshot.StartTimeStamp ?? DateTime.UtcNow);
            var pause = ranFor > LongestPause ? TimeSpan.FromSeconds(1) : Min(pauses.GetValueOrDefault(change.ResourceId, TimeSpan.FromSeconds(0.5)) * 2, LongestPause);
            pauses[change.ResourceId] = pause;
            logger.LogWarning("{Resource} ended with status {ExitCode}; starting it again in {Pause} s", change.Resource.Name, snapshot.ExitCode, pause.TotalSeconds);
            _ = StartAgainAsync(change.ResourceId, pause, stoppingToken);
        }
    }

    private async Task StartAgainAsync(string resourceId, TimeSpan pause, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(pause, stoppingToken);
            var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, stoppingToken);
            if (!result.Success)
            {
                logger.LogError("Could not start {Resource} again: {Error}", resourceId, result.Message);
            }
        }
        catch (OperationCanceledException)
        {
            // The app host is stopping.
        }
    }

    private static TimeSpan Min(TimeSpan one, TimeSpan other) => one < other ? one : other;
}
