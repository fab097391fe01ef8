using System.Globalization;
using Microsoft.Extensions.Hosting;

namespace ShopModular.AppHost;

/// <summary>
/// The pid of each resource's current process in <c>pids/NAME</c> of the state folder, and the orchestrator's own in
/// <c>pids/dcp</c>: what an operator (or a spec) looks at to see what this run has running, and signals by pid.
/// </summary>
public sealed class ResourcePidFiles(ResourceNotificationService notifications, StateFolder state) : BackgroundService
{
    private const string PidProperty = "executable.pid";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var folder = state.Combine("pids");
        Directory.CreateDirectory(folder);
        // A resource's snapshot changes often (health, logs); its file only when its process does.
        var written = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken))
            {
                var name = change.Resource.Name;
                var file = Path.Combine(folder, name);
                var pid = change.Snapshot.Properties.FirstOrDefault(property => property.Name == PidProperty)?.Value;
                var running = change.Snapshot.State?.Text == KnownResourceStates.Running;
                if (running && pid is not null && Convert.ToInt32(pid, CultureInfo.InvariantCulture) is var process && written.GetValueOrDefault(name) != process)
                {
                    await File.WriteAllTextAsync(file, ProcessStamp.Of(process) + "\n", CancellationToken.None);
                    if (written.Count == 0)
                    {
                        RecordOrchestrator(folder);
                    }

                    written[name] = process;
                }
                else if (!running && written.Remove(name))
                {
                    File.Delete(file);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The app host is stopping.
        }
    }

    /// <summary>
    /// DCP, which runs every resource, started detached: it watches this process and ends when it ends. Found once, as
    /// the first resource runs.
    /// </summary>
    private static void RecordOrchestrator(string folder)
    {
        var file = Path.Combine(folder, "dcp");

        var monitor = $"--monitor\0{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}\0";
        foreach (var process in Directory.EnumerateDirectories("/proc").Where(path => int.TryParse(Path.GetFileName(path), out _)))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(process, "cmdline")).Contains(monitor, StringComparison.Ordinal))
                {
                    File.WriteAllText(file, ProcessStamp.Of(int.Parse(Path.GetFileName(process), CultureInfo.InvariantCulture)) + "\n");
                    return;
                }
            }
            catch (IOException)
            {
                // Ended meanwhile.
            }
        }
    }
}
