using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;

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
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(version => Path.Combine(version, "bin"))
                .Where(path => File.Exists(Path.Combine(path, "initdb"))).OrderByDescending(path => path, StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql), or run the specs with ./shop test, which installs it.");
        }

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
        const string server = "/usr/lib/rabbitmq/bin/rabbitmq-server";
        if (!File.Exists(server))
        {
            throw new InvalidOperationException("RabbitMQ is not installed (apt-get install rabbitmq-server), or run the specs with ./shop test, which installs it.");
        }

        var folder = Path.Combine(Work, "rabbitmq");
        foreach (var sub in new[] { "home", "mnesia", "log" })
        {
            Directory.CreateDirectory(Path.Combine(folder, sub));
        }

        // Four ports: AMQP, management, Erlang distribution, and an epmd of our own (so that it is ours to stop).
        var port = Repository.FreePorts(4);
        File.WriteAllText(Path.Combine(folder, "rabbitmq.conf"),
            $"listeners.tcp.1 = 127.0.0.1:{port}\nmanagement.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {port + 1}\n");
        File.WriteAllText(Path.Combine(folder, "enabled_plugins"), "[rabbitmq_management].");
        File.WriteAllText(Path.Combine(folder, "rabbitmq-env.conf"), string.Empty);
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = Path.Combine(folder, "home"),
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(folder, "rabbitmq-env.conf"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(folder, "rabbitmq.conf"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(folder, "enabled_plugins"),
            ["RABBITMQ_NODENAME"] = $"shop-test-{port}@localhost",
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = $"{port}",
            ["RABBITMQ_DIST_PORT"] = $"{port + 2}",
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["ERL_EPMD_PORT"] = $"{port + 3}",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(folder, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(folder, "log"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(folder, "rabbitmq.pid"),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
            ["RABBITMQ_CTL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        };

        var epmd = Background(["epmd", "-address", "127.0.0.1", "-port", $"{port + 3}"], environment);
        StopAtExit(0, $"stop_pid {epmd.Id}");
        // The broker must find our epmd listening, or Erlang starts a daemon of its own that nobody stops.
        WaitUntil(() => !Repository.IsFree(port + 3), "epmd did not start");
        var broker = Background([server], environment);
        // Before epmd: the broker is registered with it until it stops. SIGTERM to the script and to its Erlang VM.
        StopAtExit(0, $"stop_pid {broker.Id} $(cat '{Path.Combine(folder, "rabbitmq.pid")}' 2>/dev/null)");
        Run(["/usr/lib/rabbitmq/bin/rabbitmqctl", "-q", "wait", "--timeout", "90", Path.Combine(folder, "rabbitmq.pid")], environment);

        // As ./shop test: an administrator of our own made by RabbitMQ's guest, which is then removed.
        var management = $"http://127.0.0.1:{port + 1}/";
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        using var asGuest = ManagementClient(management, "guest:guest");
        WaitUntil(() => asGuest.GetAsync("api/overview").GetAwaiter().GetResult().StatusCode == HttpStatusCode.OK, "the broker's management API did not answer");
        asGuest.PutAsJsonAsync("api/users/shop-admin", new { password, tags = "administrator" }).GetAwaiter().GetResult().EnsureSuccessStatusCode();
        asGuest.PutAsJsonAsync("api/permissions/%2F/shop-admin", new { configure = ".*", write = ".*", read = ".*" }).GetAwaiter().GetResult().EnsureSuccessStatusCode();
        using var asAdmin = ManagementClient(management, $"shop-admin:{password}");
        asAdmin.DeleteAsync("api/users/guest").GetAwaiter().GetResult().EnsureSuccessStatusCode();
        return ($"amqp://shop-admin:{password}@127.0.0.1:{port}/", management);
    }

    private static HttpClient ManagementClient(string address, string userInfo) => new()
    {
        BaseAddress = new Uri(address),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo))) },
    };

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

    private static void Run(string[] command, Dictionary<string, string> environment)
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
    private static Process Background(string[] command, Dictionary<string, string> environment) =>
        Process.Start(StartInfo(["bash", "-c", $"exec \"$@\" >>'{Path.Combine(Work, "servers.log")}' 2>&1", "bash", .. command], environment, redirect: false))!;

    private static ProcessStartInfo StartInfo(string[] command, Dictionary<string, string> environment, bool redirect)
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
                Background(["setsid", "bash", "-c", $"tail --pid={Environment.ProcessId} -f /dev/null; bash '{script}' >/dev/null 2>&1"], []);
                _reaperStarted = true;
            }
        }
    }
}
