using System.Net;
using System.Net.Sockets;

namespace ShopModular.Tests.Infrastructure;

/// <summary>Where the checkout is, and free loopback ports, for specs that start real processes.</summary>
public static class Repository
{
    public static string Root()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ShopModular.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("ShopModular.sln not found above " + AppContext.BaseDirectory);
    }

    private static readonly HashSet<int> HandedOut = [];

    public static int FreePort() => FreePorts(1);

    /// <summary>
    /// The first of <paramref name="count"/> consecutive loopback ports nothing listens on, below the kernel's
    /// ephemeral range (outgoing connections take their local ports from that range at any moment, so a port
    /// found free there can be gone when a process binds it), and never handed out twice in this test run.
    /// </summary>
    public static int FreePorts(int count)
    {
        var ephemeralStart = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        lock (HandedOut)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var first = Random.Shared.Next(20_000, ephemeralStart - count);
                var ports = Enumerable.Range(first, count).ToList();
                if (ports.All(port => !HandedOut.Contains(port) && IsFree(port)))
                {
                    HandedOut.UnionWith(ports);
                    return first;
                }
            }
        }

        throw new InvalidOperationException($"No {count} free consecutive loopback ports between 20000 and {ephemeralStart}.");
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
