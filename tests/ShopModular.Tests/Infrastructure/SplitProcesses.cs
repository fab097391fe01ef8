extern alias apphost;

using System.Diagnostics;
using System.Text.Json;
using ShopModular.Orders;
using ShopModular.Products;
using ShopModular.Users;
using LocalPostgres = apphost::ShopModular.AppHost.LocalPostgres;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The split topology as real processes, started by the development app host as <c>./shop run --split</c> starts it
/// (<c>ShopModular.AppHost --topology split</c>), with its own PostgreSQL, RabbitMQ and state folder on free ports,
/// without the dashboard. Used by the end-to-end and process-fault specs.
/// </summary>
public class SplitProcesses : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly Dictionary<string, int> _ports = [];
    private readonly int _postgresPort = Repository.FreePort();
    // The broker takes four consecutive ports: AMQP, management, distribution and epmd.
    private readonly int _brokerPort = Repository.FreePorts(4);
    private Process? _appHost;

    public string StateDirectory { get; } = Path.Combine(Path.GetTempPath(), $"shop-split-{Guid.NewGuid():N}"[..24]);

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>Processes per module (<c>SHOP_INSTANCES</c>); the first of each on the port <see cref="PortOf"/> gives.</summary>
    protected virtual int Instances => 1;

    /// <summary>More environment for the app host, which every process it starts inherits.</summary>
    protected virtual void AddEnvironment(IDictionary<string, string?> environment)
    {
    }

    /// <summary>Where the development registry listens, which every module process registers with.</summary>
    public int RegistryPort { get; } = Repository.FreePort();

    /// <summary>Where the development config server listens, which every process of the topology reads its settings from.</summary>
    public int ConfigServerPort { get; } = Repository.FreePort();

    /// <summary>
    /// The config server's address with its credentials (<c>spring:cloud:config:uri</c>), as the script gives it to each
    /// process it starts.
    /// </summary>
    public string ConfigServerUri =>
        $"http://shop:{Uri.EscapeDataString(Secret("config-shop"))}@127.0.0.1:{ConfigServerPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>
    /// A folder of this topology's config server after deploy/config/ (<c>SHOP_CONFIG_OVERRIDES</c>), whose files win
    /// over deploy/config/'s: the specs' own settings, and a place to change one live.
    /// </summary>
    public string ConfigOverrides => Path.Combine(StateDirectory, "config-overrides");

    /// <summary>The gateway: the whole public API on one port, as clients use the split topology.</summary>
    public int GatewayPort { get; } = Repository.FreePort();

    public HttpClient Gateway() =>
        new() { BaseAddress = new Uri($"http://127.0.0.1:{GatewayPort}"), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A client of the registry's REST API that asks for JSON, with the credentials the script made for it.</summary>
    public HttpClient Registry()
    {
        var registry = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{RegistryPort}") };
        registry.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        var (user, password) = RegistryCredentials();
        registry.DefaultRequestHeaders.Authorization = RegistryProcess.BasicHeader(user, password);
        return registry;
    }

    /// <summary>The registry's user and password, which <c>./shop run --split</c> keeps in its state folder.</summary>
    public (string User, string Password) RegistryCredentials() => ("shop", Secret("registry-shop"));

    /// <summary>The client of one module's process.</summary>
    public HttpClient Client(string module) =>
        new() { BaseAddress = new Uri($"http://127.0.0.1:{_ports[module]}"), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// The pid of the resource's current process, from its pid file (<c>pids/NAME</c>: the pid and the process's start
    /// time). While the app host starts a dead one again there is none: this waits for it.
    /// </summary>
    public int ProcessIdOf(string resource)
    {
        var file = Path.Combine(StateDirectory, "pids", resource);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                return int.Parse(File.ReadAllText(file).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception notYet) when ((notYet is IOException or FormatException) && DateTime.UtcNow < deadline)
            {
                // Between two processes, or written right now.
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>The port of the module's first process.</summary>
    public int PortOf(string module) => _ports[module];

    /// <summary>
    /// One more process of <paramref name="module"/>, on its own port, with the settings the script gives the first
    /// (same database, broker and registry). The caller stops it.
    /// </summary>
    public async Task<(Process Process, int Port)> StartAnotherInstanceAsync(string module)
    {
        var port = Repository.FreePort();
        var host = Path.Combine(Repository.Root(), "src", "Host", "ShopModular.Host", "bin", "Release", "net10.0");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(host, "ShopModular.Host.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_CONTENTROOT"] = host;
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        // As the script starts one: identity, port and secrets; the rest from the config server.
        start.Environment["Shop__Modules"] = module;
        start.Environment["spring__cloud__config__uri"] = ConfigServerUri;
        start.Environment["spring__cloud__config__failFast"] = "true";
        start.Environment[$"ConnectionStrings__{module}"] = ConnectionStringOf(module);
        start.Environment["ConnectionStrings__RabbitMq"] = BrokerUriOf(module);
        var (user, password) = RegistryCredentials();
        start.Environment["eureka__client__serviceUrl__defaultZone"] = $"http://{user}:{password}@127.0.0.1:{RegistryPort.ToString(invariant)}/eureka/";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // The script's token keys for this state folder: the private one for Users only.
        start.Environment["Shop__Jwt__PublicKey"] = File.ReadAllText(TokenKeyPath("public.pem"));
        start.Environment["Shop__Jwt__PrivateKey"] = module == UsersModule.Name ? File.ReadAllText(TokenKeyPath("private.pem")) : string.Empty;
        var process = Process.Start(start)!;
        _ = PumpAsync(process.StandardOutput, Path.Combine(StateDirectory, $"{module}-{port}.log"));
        _ = PumpAsync(process.StandardError, Path.Combine(StateDirectory, $"{module}-{port}.log"));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!await Eventually.AnswersAsync(client, "/health/ready"))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"Another {module} process did not start; see {StateDirectory}.");
            }

            await Task.Delay(250);
        }

        return (process, port);
    }

    /// <summary>A development password the app host made up for this topology (<c>$STATE/secrets/NAME</c>).</summary>
    public string Secret(string name) => File.ReadAllText(Path.Combine(StateDirectory, "secrets", name)).Trim();

    /// <summary>The connection string a module's processes use: its own role, on its own database.</summary>
    public string ConnectionStringOf(string module) =>
        $"Host=127.0.0.1;Port={_postgresPort.ToString(System.Globalization.CultureInfo.InvariantCulture)};Database=shop_{module};" +
        $"Username={module}_app;Password={Secret($"postgres-{module}_app")}";

    /// <summary>The broker as <paramref name="user"/> signs in to it (a module's user, or the administrator shop-admin).</summary>
    public string BrokerUriOf(string user) => BrokerUri(user, Secret($"rabbitmq-{user}"));

    /// <summary>The broker as anyone signs in to it.</summary>
    public string BrokerUri(string user, string password) =>
        $"amqp://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@127.0.0.1:{_brokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}/";

    /// <summary>The broker's management API.</summary>
    public Uri BrokerManagement => new($"http://127.0.0.1:{(_brokerPort + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)}/");

    /// <summary>A file of the token key pair the app host made for this state folder.</summary>
    public string TokenKeyPath(string file) => Path.Combine(StateDirectory, "split-keys", file);

    /// <summary>Runs rabbitmqctl against this topology's broker, for example <c>stop_app</c>.</summary>
    public Task RabbitMqCtlAsync(params string[] arguments) => RunAsync(Path.Combine(StateDirectory, "rabbitmq", "rabbitmqctl"), arguments);

    /// <summary>
    /// Stops the whole broker node (<c>rabbitmqctl stop</c>, as an operator restarting it does), not only its
    /// application: it closes its connections as it goes down. The app host starts it again (<see cref="BrokerBackAsync"/>).
    /// </summary>
    public Task StopBrokerAsync() =>
        RabbitMqCtlAsync("stop", Path.Combine(StateDirectory, "rabbitmq", "rabbitmq.pid"));

    /// <summary>Waits until the broker the app host started again lets its administrator in.</summary>
    public async Task BrokerBackAsync()
    {
        using var management = new HttpClient { BaseAddress = BrokerManagement, Timeout = TimeSpan.FromSeconds(5) };
        management.DefaultRequestHeaders.Authorization = RegistryProcess.BasicHeader("shop-admin", Secret("rabbitmq-shop-admin"));
        await Eventually.UntilAsync(() => Eventually.AnswersAsync(management, "api/whoami"), StartTimeout, () => "The app host did not start the broker again.");
    }

    /// <summary>
    /// Stops PostgreSQL with a fast shutdown, which cuts every connection, as a restart by an operator does. The app
    /// host starts it again (<see cref="DatabaseBackAsync"/>).
    /// </summary>
    public Task StopDatabaseAsync() =>
        RunAsync("runuser", "-u", "postgres", "--", Path.Combine(PostgresBin(), "pg_ctl"), "-D", DatabaseDirectory, "-m", "fast", "-w", "-t", "30", "stop");

    /// <summary>Waits until the PostgreSQL the app host started again lets a module in.</summary>
    public Task DatabaseBackAsync() => Eventually.UntilAsync(
        async () =>
        {
            try
            {
                await using var connection = new Npgsql.NpgsqlConnection(ConnectionStringOf(OrdersModule.Name) + ";Pooling=false");
                await connection.OpenAsync();
                return true;
            }
            catch (Npgsql.NpgsqlException)
            {
                return false;
            }
        },
        StartTimeout,
        () => "The app host did not start PostgreSQL again.");

    private string DatabaseDirectory => Path.Combine(StateDirectory, "pg");

    /// <summary>Kills the config server (SIGKILL). The app host starts it again (<see cref="ConfigServerBackAsync"/>).</summary>
    public void KillConfigServer() => Process.GetProcessById(ProcessIdOf("config-server")).Kill();

    /// <summary>Waits until the config server the app host started again answers.</summary>
    public async Task ConfigServerBackAsync()
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ConfigServerPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}") };
        await Eventually.UntilAsync(() => Eventually.AnswersAsync(client, "/actuator/health"), StartTimeout, () => "The app host did not start the config server again.");
    }

    /// <summary>The folder of the PostgreSQL server programs, as the app host finds it.</summary>
    private static string PostgresBin() =>
        OperatingSystem.IsLinux() ? LocalPostgres.Binaries() : throw new PlatformNotSupportedException("The split topology runs on Linux only.");

    public virtual async Task InitializeAsync()
    {
        Directory.CreateDirectory(StateDirectory);
        if (!OperatingSystem.IsWindows())
        {
            // PostgreSQL runs as its own user, which must reach its data folder in here.
            File.SetUnixFileMode(StateDirectory, (UnixFileMode)Convert.ToInt32("755", 8));
        }
        foreach (var module in new[] { OrdersModule.Name, ProductsModule.Name, UsersModule.Name })
        {
            _ports[module] = Repository.FreePort();
        }

        // The specs poll through the gateway from one address; its rate limit has specs of its own (GatewaySpecs).
        Directory.CreateDirectory(ConfigOverrides);
        await File.WriteAllTextAsync(Path.Combine(ConfigOverrides, "gateway.yml"), "gateway:\n  rateLimitPermits: 1000000\n");

        var appHost = Path.Combine(Repository.Root(), "src", "Dev", "ShopModular.AppHost", "bin", "Release", "net10.0", "ShopModular.AppHost.dll");
        var start = new ProcessStartInfo("dotnet", [appHost, "--topology", "split"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        start.Environment["SHOP_STATE_DIR"] = StateDirectory;
        start.Environment["SHOP_DASHBOARD"] = "off";
        start.Environment["SHOP_INSTANCES"] = Instances.ToString(invariant);
        start.Environment["SHOP_PG_PORT"] = _postgresPort.ToString(invariant);
        start.Environment["SHOP_RABBITMQ_PORT"] = _brokerPort.ToString(invariant);
        start.Environment["SHOP_REGISTRY_PORT"] = RegistryPort.ToString(invariant);
        start.Environment["SHOP_CONFIG_PORT"] = ConfigServerPort.ToString(invariant);
        start.Environment["SHOP_CONFIG_OVERRIDES"] = ConfigOverrides;
        start.Environment["SHOP_PROMETHEUS_PORT"] = Repository.FreePort().ToString(invariant);
        start.Environment["SHOP_PORT"] = GatewayPort.ToString(invariant);
        foreach (var (module, port) in _ports)
        {
            start.Environment[$"SHOP_{module.ToUpperInvariant()}_PORT"] = port.ToString(invariant);
        }

        start.Environment["Shop__Admin__Password"] = ShopHost.AdminPassword;
        start.Environment["Shop__Admin__Email"] = ShopHost.AdminEmail;
        AddEnvironment(start.Environment);
        _appHost = Process.Start(start)!;
        var output = Path.Combine(StateDirectory, "app-host.log");
        _ = PumpAsync(_appHost.StandardOutput, output);
        _ = PumpAsync(_appHost.StandardError, output);

        var deadline = DateTime.UtcNow + StartTimeout;
        foreach (var client in _ports.Keys.Select(Client).Append(Gateway()))
        {
            using var _ = client;
            while (!await Eventually.AnswersAsync(client, "/health/ready"))
            {
                if (_appHost.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"The app host did not bring {client.BaseAddress} up; see {output} and the logs/ next to it");
                }

                await Task.Delay(250);
            }
        }
    }

    public virtual async Task DisposeAsync()
    {
        if (_appHost is { HasExited: false })
        {
            // SIGTERM, as Ctrl-C: the app host stops every process it started, and returns once they have ended.
            await RunAsync("kill", "-TERM", _appHost.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var stopped = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await _appHost.WaitForExitAsync(stopped.Token);
        }

        // SHOP_KEEP_TEST_STATE=1 keeps the processes' logs and data for a look after a failure.
        if (Environment.GetEnvironmentVariable("SHOP_KEEP_TEST_STATE") != "1")
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
        }
    }

    private static async Task PumpAsync(StreamReader from, string path)
    {
        while (await from.ReadLineAsync() is { } line)
        {
            await File.AppendAllTextAsync(path, line + Environment.NewLine);
        }
    }
}
