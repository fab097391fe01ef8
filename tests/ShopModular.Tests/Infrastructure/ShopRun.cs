using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// <c>./shop run</c> (the monolith) as an operator starts it, in a state folder of its own with its PostgreSQL and its
/// API on free ports. <see cref="StartAsync"/> returns once the script has printed its banner. Stopped with SIGTERM
/// (a background job ignores SIGINT) when disposed, if a spec has not stopped it already.
/// </summary>
public sealed class ShopRun : IAsyncDisposable
{
    public const string Banner = "ShopModular is running at";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly StringBuilder _output = new();
    private readonly bool _ownsState;
    private Process? _process;

    private ShopRun(string stateDirectory, int port, int postgresPort, bool ownsState, IReadOnlyDictionary<string, int> ports)
    {
        _ownsState = ownsState;
        StateDirectory = stateDirectory;
        Port = port;
        PostgresPort = postgresPort;
        OtherPorts = ports;
    }

    /// <summary>
    /// The ports of the dashboard and, for <c>./shop run --split</c>, of the broker (four from there), the registry, the
    /// config server, Prometheus and the module processes, by the variable that sets each. Free ones, so that a run
    /// never meets another spec's topology.
    /// </summary>
    public IReadOnlyDictionary<string, int> OtherPorts { get; }

    public string StateDirectory { get; }

    public int Port { get; }

    public int PostgresPort { get; }

    public string Url => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public Process Process => _process ?? throw new InvalidOperationException("Not started.");

    /// <summary>What the script has printed so far (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>A new state folder, for a first run.</summary>
    public static ShopRun InNewState()
    {
        var state = Path.Combine(Path.GetTempPath(), $"shop-run-{Guid.NewGuid():N}"[..22]);
        Directory.CreateDirectory(state);
        if (!OperatingSystem.IsWindows())
        {
            // PostgreSQL runs as its own user, which must reach its data folder in here.
            File.SetUnixFileMode(state, (UnixFileMode)Convert.ToInt32("755", 8));
        }

        return new ShopRun(state, Repository.FreePort(), Repository.FreePort(), ownsState: true, new Dictionary<string, int>
        {
            ["SHOP_DASHBOARD_PORT"] = Repository.FreePort(),
            ["SHOP_DASHBOARD_OTLP_PORT"] = Repository.FreePort(),
        });
    }

    /// <summary>A new state folder, for a first <c>./shop run --split</c>, every port of its topology a free one.</summary>
    public static ShopRun SplitInNewState()
    {
        var monolith = InNewState();
        return new ShopRun(monolith.StateDirectory, monolith.Port, monolith.PostgresPort, ownsState: true, new Dictionary<string, int>(monolith.OtherPorts)
        {
            ["SHOP_RABBITMQ_PORT"] = Repository.FreePorts(4),
            ["SHOP_REGISTRY_PORT"] = Repository.FreePort(),
            ["SHOP_ORDERS_PORT"] = Repository.FreePort(),
            ["SHOP_PRODUCTS_PORT"] = Repository.FreePort(),
            ["SHOP_USERS_PORT"] = Repository.FreePort(),
            ["SHOP_CONFIG_PORT"] = Repository.FreePort(),
            ["SHOP_PROMETHEUS_PORT"] = Repository.FreePort(),
        });
    }

    /// <summary>Another <c>./shop run</c> on the same state folder and ports (the first one deletes the folder).</summary>
    public ShopRun Again() => new(StateDirectory, Port, PostgresPort, ownsState: false, OtherPorts);

    /// <summary>Starts <c>./shop run --no-build</c> with <paramref name="arguments"/> after it, without waiting.</summary>
    public void Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(Repository.Root(), "shop"), "run", "--no-build", .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["SHOP_STATE_DIR"] = StateDirectory;
        start.Environment["SHOP_PORT"] = Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["SHOP_PG_PORT"] = PostgresPort.ToString(CultureInfo.InvariantCulture);
        foreach (var (variable, port) in OtherPorts)
        {
            start.Environment[variable] = port.ToString(CultureInfo.InvariantCulture);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, line) => Append(line.Data);
        _process.ErrorDataReceived += (_, line) => Append(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts it (with <paramref name="arguments"/>, e.g. <c>--split</c>) and returns once it has printed its banner.</summary>
    public async Task StartAsync(params string[] arguments)
    {
        Start(arguments);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!Output.Contains(Banner, StringComparison.Ordinal))
        {
            if (Process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"./shop run did not print its banner:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits for the script to end (generously: the specs assert what is left, not how long it took).</summary>
    public async Task<int> ExitCodeAsync()
    {
        // The script's own exit, not the end of its output: processes a killed script left running still hold its pipes.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!Process.HasExited)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"./shop run did not end:\n{Output}");
            }

            await Task.Delay(100);
        }

        try
        {
            using var rest = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await Process.WaitForExitAsync(rest.Token); // the rest of its output
        }
        catch (OperationCanceledException)
        {
        }

        return Process.ExitCode;
    }

    /// <summary>
    /// The processes this run keeps track of in its state folder: the script itself (run.pid), what it started
    /// (pids/*) and PostgreSQL's postmaster.
    /// </summary>
    public IReadOnlyList<int> TrackedProcesses()
    {
        var files = new List<string> { Path.Combine(StateDirectory, "run.pid"), Path.Combine(StateDirectory, "pg", "postmaster.pid") };
        var pids = Path.Combine(StateDirectory, "pids");
        if (Directory.Exists(pids))
        {
            files.AddRange(Directory.GetFiles(pids));
        }

        return [.. files.Where(File.Exists)
            .Select(file => File.ReadLines(file).FirstOrDefault()?.Split(' ')[0])
            .Where(pid => int.TryParse(pid, CultureInfo.InvariantCulture, out _))
            .Select(pid => int.Parse(pid!, CultureInfo.InvariantCulture))];
    }

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Whether anything listens on <paramref name="port"/>, on any address.</summary>
    public static async Task<bool> ListensAsync(int port) =>
        (await SocketTable.ListenersAsync()).Any(listener => listener.Port == port);

    public Task SignalAsync(string signal) => SocketTable.RunAsync("kill", $"-{signal}", Process.Id.ToString(CultureInfo.InvariantCulture));

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await SignalAsync("TERM");
            await ExitCodeAsync();
        }

        _process?.Dispose();
        if (_ownsState && Environment.GetEnvironmentVariable("SHOP_KEEP_TEST_STATE") != "1" && Directory.Exists(StateDirectory))
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

/// <summary>The listening TCP sockets of this machine, with the processes that hold them (<c>ss -ltnp</c>).</summary>
public static class SocketTable
{
    public sealed record Listener(string Address, int Port, IReadOnlyList<int> Pids)
    {
        public bool IsLoopback => Address is "127.0.0.1" or "[::1]" || Address.StartsWith("127.", StringComparison.Ordinal);
    }

    public static async Task<IReadOnlyList<Listener>> ListenersAsync()
    {
        var table = await RunAsync("ss", "-ltnpH");
        var listeners = new List<Listener>();
        foreach (var line in table.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // State Recv-Q Send-Q Local:Port Peer:Port Process
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4)
            {
                continue;
            }

            var local = fields[3];
            var colon = local.LastIndexOf(':');
            var pids = System.Text.RegularExpressions.Regex.Matches(line, @"pid=(\d+)")
                .Select(match => int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            listeners.Add(new Listener(local[..colon].Split('%')[0], int.Parse(local[(colon + 1)..], CultureInfo.InvariantCulture), pids));
        }

        return listeners;
    }

    public static async Task<string> RunAsync(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
        }

        return await output;
    }
}
