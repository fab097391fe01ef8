using System.Diagnostics;
using System.Globalization;

namespace ShopModular.AppHost;

/// <summary>
/// A process as a pid file names it: its pid and its start time (field 22 of /proc/PID/stat), which tells it from a
/// later process the kernel gave the same pid.
/// </summary>
public static class ProcessStamp
{
    public static string Of(int pid) => $"{pid.ToString(CultureInfo.InvariantCulture)} {StartTime(pid)}";

    /// <summary>The pid a stamp names, when that very process still runs.</summary>
    public static int? Running(string stamp)
    {
        var parts = stamp.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid) && StartTime(pid) == parts[1] ? pid : null;
    }

    /// <summary>SIGTERM to each, SIGKILL to those still running after <paramref name="patience"/>.</summary>
    public static void Stop(IReadOnlyList<int> pids, TimeSpan patience)
    {
        foreach (var pid in pids)
        {
            Signal("TERM", pid);
        }

        var deadline = DateTime.UtcNow + patience;
        while (pids.Any(Alive) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }

        foreach (var pid in pids.Where(Alive))
        {
            Signal("KILL", pid);
        }
    }

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardError = true })!;
        kill.WaitForExit();
    }

    private static string StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // The command name (field 2) may hold spaces and parentheses: the fields after it follow its last ')'.
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        }
        catch (IOException)
        {
            return "gone";
        }
    }
}
