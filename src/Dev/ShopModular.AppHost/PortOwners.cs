using System.Globalization;

namespace ShopModular.AppHost;

/// <summary>
/// Which process listens on a TCP port, read from /proc as <c>ss -ltnp</c> does: a port already taken is reported
/// with its owner before anything starts, never met as a server that fails to bind or, worse, as someone else's
/// server answering our readiness check.
/// </summary>
public static class PortOwners
{
    private const string Listening = "0A";

    /// <summary>Throws, naming the port, its setting and the process that holds it, when any of them is taken.</summary>
    public static void RequireFree(IEnumerable<(int Port, string Setting)> ports)
    {
        var listening = ListeningSockets();
        var taken = ports.Where(port => listening.ContainsKey(port.Port)).ToList();
        if (taken.Count == 0)
        {
            return;
        }

        var owners = SocketOwners(taken.Select(port => listening[port.Port]).ToHashSet());
        throw new InvalidOperationException(string.Join('\n', taken.Select(port =>
            $"port {port.Port} ({port.Setting}) is in use by {owners.GetValueOrDefault(listening[port.Port], "a process this user cannot see")}: " +
            $"stop it, or set {port.Setting} to another port.")));
    }

    /// <summary>Port → socket inode of every listening TCP socket.</summary>
    private static Dictionary<int, string> ListeningSockets()
    {
        var sockets = new Dictionary<int, string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == Listening)
                {
                    sockets.TryAdd(int.Parse(fields[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture), fields[9]);
                }
            }
        }

        return sockets;
    }

    /// <summary>Socket inode → "pid N (command line)" for the inodes asked about.</summary>
    private static Dictionary<string, string> SocketOwners(HashSet<string> inodes)
    {
        var owners = new Dictionary<string, string>();
        foreach (var process in Directory.EnumerateDirectories("/proc").Where(folder => int.TryParse(Path.GetFileName(folder), out _)))
        {
            try
            {
                foreach (var descriptor in Directory.EnumerateFiles(Path.Combine(process, "fd")))
                {
                    var target = new FileInfo(descriptor).LinkTarget;
                    if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && inodes.Contains(target[8..^1]))
                    {
                        var commandLine = File.ReadAllText(Path.Combine(process, "cmdline")).Replace('\0', ' ').Trim();
                        owners[target[8..^1]] = $"pid {Path.GetFileName(process)} ({commandLine})";
                    }
                }
            }
            catch (Exception gone) when (gone is IOException or UnauthorizedAccessException)
            {
                // Ended meanwhile, or not ours to read.
            }
        }

        return owners;
    }
}
