using System.Globalization;

namespace ShopModular.Benchmarks;

/// <summary>CPU seconds used so far by the API processes, the gateway, the broker and every PostgreSQL process, from /proc (Linux only).</summary>
internal sealed record CpuUsage(double HostSeconds, double PostgresSeconds, double BrokerSeconds, double GatewaySeconds)
{
    // USER_HZ is 100 on every Linux the benchmark runs on (getconf CLK_TCK).
    private const double TicksPerSecond = 100;

    public static CpuUsage? Read(int[] hostPids, int? brokerPid, int? gatewayPid)
    {
        if (hostPids.Length == 0 || !OperatingSystem.IsLinux())
        {
            return null;
        }

        var postgres = Directory.EnumerateDirectories("/proc")
            .Where(directory => int.TryParse(Path.GetFileName(directory), out _))
            .Where(directory => ReadComm(directory) == "postgres")
            .Sum(TicksOf);
        return new CpuUsage(
            hostPids.Sum(pid => TicksOf($"/proc/{pid}")) / TicksPerSecond,
            postgres / TicksPerSecond,
            brokerPid is { } broker ? TicksOf($"/proc/{broker}") / TicksPerSecond : 0,
            gatewayPid is { } gateway ? TicksOf($"/proc/{gateway}") / TicksPerSecond : 0);
    }

    private static string? ReadComm(string directory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(directory, "comm")).Trim();
        }
        catch (IOException)
        {
            return null; // the process ended meanwhile
        }
    }

    private static long TicksOf(string directory)
    {
        try
        {
            // Fields after the parenthesised command name; utime and stime are the 14th and 15th of the line.
            var stat = File.ReadAllText(Path.Combine(directory, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
