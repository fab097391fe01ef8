extern alias apphost;

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using LocalPostgres = apphost::ShopModular.AppHost.LocalPostgres;
using LocalRabbitMq = apphost::ShopModular.AppHost.LocalRabbitMq;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server and the RabbitMQ broker the specs use: the ones <c>./shop test</c> started (it passes them
/// in <see cref="TestDatabase.ServerVariable"/> and <see cref="TestBroker.BrokerVariable"/>), or, when the specs run
/// without it (<c>dotnet test</c>, an IDE's test runner), throwaway ones that this test process starts from the OS
/// packages on free loopback ports, the first time a spec needs them.
/// <para>They are stopped when the test process has ended by a script that waits for it in a session of its own: the
/// test runner kills its test process at the end rather than letting it exit, so no exit handler would run.</para>
/// </summary>
public static class TestServers
{
    private static readonly string Work = CreateWorkFolder();
    private static readonly Lazy<string> OwnDatabase = new(StartPostgreSql);
    private static readonly Lazy<(string AmqpUri, string Management)> OwnBroker = new(StartRabbitMq);
    // Shell commands that stop what was started, in the order to run them; the last one removes the work folder.
    private static readonly List<string> StopCommands = [$"rm -rf '{Work}'"];
    private static bool _reaperStarted;

    /// <summary>A connection string to a role that may create databases.</summary>
    public static string Database => Given(TestDatabase.ServerVariable) ?? OwnDatabase.Value;

    /// <summary>The broker's AMQP URI, signed in as its administrator.</summary>
    public static string Broker => Given(TestBroker.BrokerVariable) ?? OwnBroker.Value.AmqpUri;

    /// <summary>The broker's management API.</summary>
    public static string BrokerManagement => Given(TestBroker.ManagementVariable) ?? OwnBroker.Value.Management;

    private static string? Given(string variable) => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;

    private static string StartPostgreSql()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The throwaway database comes from Debian's packages: give the specs one in SHOP_TEST_DATABASE elsewhere.");
        }

        var bin = LocalPostgres.Binaries();

        var data = Path.Combine(Work, "pg");
        Directory.CreateDirectory(data);
        // PostgreSQL refuses to run as root: as root, its own user runs it, on a folder it owns.
        var asPostgres = Environment.UserName == "root" ? new[] { "runuser", "-u", "postgres", "--" } : [];
        if (asPostgres.Length > 0)
        {
            Run("chown", "postgres:postgres", data);
        }

        var port = Repository.FreePort();
        Run([.. asPostgres, Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
        var options = $"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        Run([.. asPostgres, Path.Combine(bin, "pg_ctl"), "-D", data, "-l", Path.Combine(data, "server.log"), "-w", "-t", "60", "-o", options, "start"]);
        StopAtExit(0, $"{string.Join(' ', asPostgres)} '{Path.Combine(bin, "pg_ctl")}' -D '{data}' -m fast -w -t 10 stop");

        // The role and database ./shop test makes: specs sign in with a password, as the product does.
        string[] psql = [.. asPostgres, Path.Combine(bin, "psql"), "-h", data, "-p", port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qc"];
        Run([.. psql, "create role shop login createdb password 'shop'"]);
        Run([.. psql, "create database shop_tests owner shop"]);
        return $"Host=127.0.0.1;Port={port};Database=shop_tests;Username=shop;Password=shop";
    }

    private static (string AmqpUri, string Management) StartRabbitMq()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The throwaway broker comes from Debian's packages: give the specs one in SHOP_TEST_RABBITMQ elsewhere.");
        }

        if (!File.Exists(LocalRabbitMq.Server))
        {
            throw new InvalidOperationException("RabbitMQ is not installed (apt-get install rabbitmq-server), or run the specs with ./shop test, which installs it.");
        }

        // A node as the app host runs one (four ports: AMQP, management, Erlang distribution, an epmd of its own).
        var node = new LocalRabbitMq(Path.Combine(Work, "rabbitmq"), Repository.FreePorts(4));
        node.Prepare();
        var epmd = Background(["epmd", "-address", "127.0.0.1", "-port", node.EpmdPort.ToString(CultureInfo.InvariantCulture)], node.Environment);
        StopAtExit(0, $"stop_pid {epmd.Id}");
        // The broker must find our epmd listening, or Erlang starts a daemon of its own that nobody stops.
        var epmdPort = node.EpmdPort;
        WaitUntil(() => !Repository.IsFree(epmdPort), "epmd did not start");
        var broker = Background([LocalRabbitMq.Server], node.Environment);
        // Before epmd: the broker is registered with it until it stops. SIGTERM to the script and to its Erlang VM.
        StopAtExit(0, $"stop_pid {broker.Id} $(cat '{node.PidFile}' 2>/dev/null)");
        Run(["/usr/lib/rabbitmq/bin/rabbitmqctl", "-q", "wait", "--timeout", "90", node.PidFile], node.Environment);

        // As the app host: an administrator of our own made by RabbitMQ's guest, which is then removed.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (node.CheckAsync(CancellationToken.None).GetAwaiter().GetResult().Status != HealthStatus.Healthy)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("the broker's management API did not answer");
            }

            Thread.Sleep(100);
        }

        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        node.SecureAsync(password, new Dictionary<string, string>(), CancellationToken.None).GetAwaiter().GetResult();
        return (node.Uri(LocalRabbitMq.Administrator, password), $"http://127.0.0.1:{node.ManagementPort.ToString(CultureInfo.InvariantCulture)}/");
    }

    private static string CreateWorkFolder()
    {
        var work = Path.Combine(Path.GetTempPath(), $"shop-dotnet-test-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        // The postgres user must be able to reach its data folder inside.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                       UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        return work;
    }

    private static void Run(params string[] command) => Run(command, new Dictionary<string, string>());

    private static void Run(string[] command, IReadOnlyDictionary<string, string> environment)
    {
        using var process = Process.Start(StartInfo(command, environment, redirect: true))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} failed:\n{output.Result}\n{error.Result}");
        }
    }

    /// <summary>Starts a server in the background, its output going to a log file in the work folder (not the tests' output).</summary>
    private static Process Background(string[] command, IReadOnlyDictionary<string, string> environment) =>
        Process.Start(StartInfo(["bash", "-c", $"exec \"$@\" >>'{Path.Combine(Work, "servers.log")}' 2>&1", "bash", .. command], environment, redirect: false))!;

    private static ProcessStartInfo StartInfo(string[] command, IReadOnlyDictionary<string, string> environment, bool redirect)
    {
        var start = new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = redirect, RedirectStandardError = redirect, UseShellExecute = false };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    private static void WaitUntil(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!Try(condition))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException(failure);
            }

            Thread.Sleep(100);
        }
    }

    private static bool Try(Func<bool> condition)
    {
        try
        {
            return condition();
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>
    /// Adds a command to the stop script (at <paramref name="position"/>) and, the first time, starts the script's
    /// reaper: it waits for this test process to end, in a session of its own that outlives it, then stops them.
    /// </summary>
    private static void StopAtExit(int position, string command)
    {
        lock (StopCommands)
        {
            StopCommands.Insert(position, command);
            var script = Path.Combine(Work, "stop.sh");
            File.WriteAllText(script, string.Join('\n', [
                "# Stops the servers this test process started (TestServers).",
                "stop_pid() { kill -TERM \"$@\" 2>/dev/null; for pid in \"$@\"; do for _ in $(seq 1 80); do kill -0 \"$pid\" 2>/dev/null || break; sleep 0.1; done; kill -KILL \"$pid\" 2>/dev/null; done; true; }",
                .. StopCommands, string.Empty]));
            if (!_reaperStarted)
            {
                Background(["setsid", "bash", "-c", $"tail --pid={Environment.ProcessId} -f /dev/null; bash '{script}' >/dev/null 2>&1"], new Dictionary<string, string>());
                _reaperStarted = true;
            }
        }
    }
}
