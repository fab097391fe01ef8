using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace ShopModular.AppHost;

/// <summary>
/// Both development topologies, written once: which processes run, in what order, on which ports, with which
/// credentials and settings. Every .NET process gets its identity, port, secrets and where to find the registry
/// and the config server; everything else comes from the config server (deploy/config/), as in production.
/// </summary>
public static class ShopTopology
{
    public static readonly string[] Modules = ["orders", "products", "users"];

    private const string Development = "Development";

    /// <summary>Adds the topology <paramref name="settings"/> names; returns the public API's resource.</summary>
    public static IResourceBuilder<ExecutableResource> AddShop(this IDistributedApplicationBuilder builder, DevelopmentSettings settings, StateFolder state)
    {
        builder.Services.AddHostedService<RestartWhenKilled>();
        PortOwners.RequireFree(settings.PortsToListenOn());
        return settings.Topology == Topology.Split ? builder.AddSplit(settings, state) : builder.AddMonolith(settings, state);
    }

    private static IResourceBuilder<ExecutableResource> AddMonolith(this IDistributedApplicationBuilder builder, DevelopmentSettings settings, StateFolder state)
    {
        var databases = builder.AddDatabases(settings, state, [settings.DatabaseName], moduleRoles: false);
        var host = builder.AddDotnet("shop", settings, "ShopModular.Host", settings.PublicPort, "/health/ready")
            .WithEnvironment("ConnectionStrings__Shop", databases.ConnectionOf(settings.DatabaseName));
        return databases.Server is { } server ? host.WaitFor(server) : host;
    }

    private static IResourceBuilder<ExecutableResource> AddSplit(this IDistributedApplicationBuilder builder, DevelopmentSettings settings, StateFolder state)
    {
        var databases = builder.AddDatabases(settings, state, [.. Modules.Select(settings.DatabaseOf)], moduleRoles: true);
        var brokerNode = new LocalRabbitMq(state.Combine("rabbitmq"), settings.BrokerPort);
        var broker = builder.AddBroker(state, brokerNode);

        var registryUser = ("shop", state.Secret("registry-shop"));
        var registryUrl = $"http://{registryUser.Item1}:{registryUser.Item2}@127.0.0.1:{Text(settings.RegistryPort)}/eureka/";
        var registry = builder.AddDotnet("registry", settings, "ShopModular.Registry", settings.RegistryPort, "/health")
            .WithEnvironment("Registry__UserName", registryUser.Item1)
            .WithEnvironment("Registry__Password", registryUser.Item2);

        var configPassword = state.Secret("config-shop");
        var configServer = builder.AddDotnet("config-server", settings, "ShopModular.ConfigServer", settings.ConfigServerPort, "/actuator/health")
            .WithEnvironment("spring__security__user__name", "shop")
            .WithEnvironment("spring__security__user__password", configPassword)
            .WithEnvironment("spring__cloud__config__server__native__searchLocations",
                string.Join(',', [Path.Combine(settings.Root, "deploy", "config"), .. settings.ConfigOverrides]))
            .WithEnvironment("eureka__client__enabled", "true")
            .WithDiscovery(registryUrl)
            // It does not read deploy/config/ (it serves it): the development timings the others find there, renew every 5 s,
            // gone from the registry 15 s after the last renewal.
            .WithEnvironment("eureka__instance__hostName", "127.0.0.1")
            .WithEnvironment("eureka__instance__ipAddress", "127.0.0.1")
            .WithEnvironment("eureka__instance__leaseRenewalIntervalInSeconds", "5")
            .WithEnvironment("eureka__instance__leaseExpirationDurationInSeconds", "15")
            .WaitFor(registry);

        var (privateKey, publicKey) = state.TokenKeys();
        var modules = new List<IResourceBuilder<ExecutableResource>>();
        foreach (var module in Modules)
        {
            var connection = databases.ConnectionOf(settings.DatabaseOf(module), module);
            // What a module's processes may not do themselves, as the database's owner and the broker's
            // administrator: its migrations, Wolverine's message store, and every module's exchanges and queues.
            var migrate = builder.AddDotnet($"{module}-migrate", settings, "ShopModular.Host", port: null, healthPath: null, restart: false)
                .WithArgs("migrate")
                .WithEnvironment("Shop__Modules", module)
                .WithEnvironment($"ConnectionStrings__{module}", databases.ConnectionOf(settings.DatabaseOf(module)))
                .WithEnvironment("ConnectionStrings__RabbitMq", brokerNode.Uri(LocalRabbitMq.Administrator, state.Secret($"rabbitmq-{LocalRabbitMq.Administrator}")))
                .WithEnvironment("Logging__LogLevel__Default", "Warning")
                .WaitFor(broker);
            if (databases.Server is { } server)
            {
                migrate.WaitFor(server);
            }

            for (var instance = 1; instance <= settings.Instances; instance++)
            {
                var port = instance == 1 ? settings.ModulePorts[module] : FreePort();
                modules.Add(builder.AddDotnet(instance == 1 ? module : $"{module}-{Text(instance)}", settings, "ShopModular.Host", port, "/health/ready")
                    .WithEnvironment("Shop__Modules", module)
                    .WithEnvironment($"ConnectionStrings__{module}", connection)
                    .WithEnvironment("ConnectionStrings__RabbitMq", brokerNode.Uri(module, state.Secret($"rabbitmq-{module}")))
                    .WithTokenKeys(publicKey, module == "users" ? privateKey : string.Empty)
                    .WithConfigServer(settings, configPassword)
                    .WithDiscovery(registryUrl)
                    .WaitForCompletion(migrate)
                    .WaitFor(configServer));
            }
        }

        var gateway = builder.AddDotnet("gateway", settings, "ShopModular.Gateway", settings.PublicPort, "/health/ready")
            .WithTokenKeys(publicKey, string.Empty)
            .WithConfigServer(settings, configPassword)
            .WithDiscovery(registryUrl);
        foreach (var module in modules)
        {
            gateway.WaitFor(module);
        }

        builder.AddPrometheus(settings, state, registryUser).WaitFor(registry);
        return gateway;
    }

    /// <summary>A .NET process of ours from its build, in Development, on loopback, with telemetry to the dashboard.</summary>
    private static IResourceBuilder<ExecutableResource> AddDotnet(
        this IDistributedApplicationBuilder builder, string name, DevelopmentSettings settings, string project, int? port, string? healthPath, bool restart = true)
    {
        var output = Output(settings.Root, project);
        var process = builder.AddExecutable(name, "dotnet", output, $"{project}.dll")
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Development)
            .WithEnvironment("ASPNETCORE_CONTENTROOT", output);
        if (port is { } listening)
        {
            process.WithEnvironment("ASPNETCORE_URLS", $"http://127.0.0.1:{Text(listening)}")
                .WithHttpEndpoint(port: listening, targetPort: listening, isProxied: false);
        }

        if (healthPath is not null)
        {
            process.WithHttpHealthCheck(healthPath);
        }

        if (restart)
        {
            process.WithAnnotation(new RestartWhenKilledAnnotation());
        }

        return builder.ExecutionContext.IsRunMode && !settings.WithoutDashboard ? process.WithOtlpExporter() : process;
    }

    private static IResourceBuilder<ExecutableResource> WithTokenKeys(this IResourceBuilder<ExecutableResource> process, string publicKey, string privateKey) =>
        // An empty private key hides the development pair of appsettings.Development.json: only Users signs tokens.
        process.WithEnvironment("Shop__Jwt__PublicKey", publicKey).WithEnvironment("Shop__Jwt__PrivateKey", privateKey);

    private static IResourceBuilder<ExecutableResource> WithConfigServer(this IResourceBuilder<ExecutableResource> process, DevelopmentSettings settings, string password) =>
        // failFast with retries: a process that cannot get its configuration does not start half-configured (it is
        // started again); polling every 5 s brings a change of deploy/config/ to the settings read live.
        process.WithEnvironment("spring__cloud__config__uri", $"http://shop:{password}@127.0.0.1:{Text(settings.ConfigServerPort)}")
            .WithEnvironment("spring__cloud__config__failFast", "true")
            .WithEnvironment("spring__cloud__config__retry__enabled", "true")
            .WithEnvironment("spring__cloud__config__pollingInterval", "00:00:05");

    /// <summary>The registry's address with its credentials: the one discovery setting that is a secret.</summary>
    private static IResourceBuilder<ExecutableResource> WithDiscovery(this IResourceBuilder<ExecutableResource> process, string registryUrl) =>
        process.WithEnvironment("eureka__client__serviceUrl__defaultZone", registryUrl);

    private static Databases AddDatabases(this IDistributedApplicationBuilder builder, DevelopmentSettings settings, StateFolder state, string[] names, bool moduleRoles)
    {
        if (settings.DatabaseServer is { } server)
        {
            var databases = new Databases(null, name => new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString);
            foreach (var name in names)
            {
                ShopDatabases.CreateOnServer(server, name);
            }

            return databases;
        }

        var postgres = new LocalPostgres(state.Combine("pg"), settings.PostgresPort);
        postgres.Initialise();
        var (command, arguments) = postgres.Command();
        builder.Services.AddHealthChecks().AddAsyncCheck("postgres-ready", postgres.CheckAsync);
        var resource = builder.AddExecutable("postgres", command, postgres.DataDirectory, arguments)
            .WithHealthCheck("postgres-ready")
            .WithAnnotation(new RestartWhenKilledAnnotation());
        var passwords = moduleRoles ? Modules.ToDictionary(module => module, module => state.Secret($"postgres-{module}_app")) : [];
        // Before anything that waits for PostgreSQL starts: its databases and roles, made (or checked) on every start.
        builder.Eventing.Subscribe<ResourceReadyEvent>(resource.Resource, (_, cancellationToken) =>
            ShopDatabases.PrepareAsync(postgres, names, passwords, cancellationToken));
        var port = Text(settings.PostgresPort);
        return new Databases(resource, (name, module) => module is null
            ? $"Host=127.0.0.1;Port={port};Database={name};Username=shop;Password=shop"
            : $"Host=127.0.0.1;Port={port};Database={name};Username={module}_app;Password={passwords[module]}");
    }

    private static IResourceBuilder<ExecutableResource> AddBroker(this IDistributedApplicationBuilder builder, StateFolder state, LocalRabbitMq node)
    {
        node.Prepare();
        builder.Services.AddHealthChecks()
            .AddAsyncCheck("epmd-listening", _ => Task.FromResult(Listens(node.EpmdPort) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy()))
            .AddAsyncCheck("rabbitmq-ready", node.CheckAsync);
        // The broker must find its epmd listening: otherwise Erlang starts an `epmd -daemon` of its own that nobody stops.
        var epmd = builder.AddExecutable("epmd", "epmd", node.Folder, "-address", "127.0.0.1", "-port", Text(node.EpmdPort))
            .WithHealthCheck("epmd-listening")
            .WithAnnotation(new RestartWhenKilledAnnotation());
        var (command, arguments) = Processes.Supervised(LocalRabbitMq.Server, stopSignal: "TERM");
        var broker = builder.AddExecutable("rabbitmq", command, node.Folder, arguments)
            .WithHealthCheck("rabbitmq-ready")
            .WaitFor(epmd)
            .WithAnnotation(new RestartWhenKilledAnnotation());
        foreach (var (name, value) in node.Environment)
        {
            broker.WithEnvironment(name, value);
            epmd.WithEnvironment(name, value);
        }

        var modulePasswords = Modules.ToDictionary(module => module, module => state.Secret($"rabbitmq-{module}"));
        var administratorPassword = state.Secret($"rabbitmq-{LocalRabbitMq.Administrator}");
        builder.Eventing.Subscribe<ResourceReadyEvent>(broker.Resource, (_, cancellationToken) =>
            node.SecureAsync(administratorPassword, modulePasswords, cancellationToken));
        return broker;
    }

    private static IResourceBuilder<ExecutableResource> AddPrometheus(
        this IDistributedApplicationBuilder builder, DevelopmentSettings settings, StateFolder state, (string User, string Password) registry)
    {
        // deploy/prometheus/prometheus.yml as compose runs it, pointed at this registry and scraping every 5 s.
        var folder = state.Combine("prometheus");
        Directory.CreateDirectory(folder);
        var deployed = File.ReadAllText(Path.Combine(settings.Root, "deploy", "prometheus", "prometheus.yml"));
        var configuration = deployed
            .Replace("scrape_interval: 15s", "scrape_interval: 5s", StringComparison.Ordinal)
            .Replace("refresh_interval: 30s", "refresh_interval: 5s", StringComparison.Ordinal)
            .Replace("- alerts.yml", $"- {Path.Combine(settings.Root, "deploy", "prometheus", "alerts.yml")}", StringComparison.Ordinal)
            .Replace("      - server: http://eureka:8761/eureka",
                $"      - server: http://127.0.0.1:{Text(settings.RegistryPort)}/eureka\n        basic_auth:\n          username: {registry.User}\n          password_file: {Path.Combine(folder, "registry-password")}",
                StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "registry-password"), registry.Password);
        File.WriteAllText(Path.Combine(folder, "prometheus.yml"), configuration);
        return builder.AddExecutable("prometheus", "prometheus", folder,
                $"--config.file={Path.Combine(folder, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                $"--web.listen-address=127.0.0.1:{Text(settings.PrometheusPort)}")
            .WithHttpEndpoint(port: settings.PrometheusPort, targetPort: settings.PrometheusPort, isProxied: false)
            .WithHttpHealthCheck("/-/ready")
            .WithAnnotation(new RestartWhenKilledAnnotation());
    }

    /// <summary>
    /// Where <paramref name="project"/> was built in the app host's own configuration (Release from <c>./shop run</c>,
    /// Debug from <c>dotnet run --project src/Dev/ShopModular.AppHost</c>, which builds it too).
    /// </summary>
    public static string Output(string root, string project) =>
        new[] { "Host", "Dev" }.Select(folder => Path.Combine(root, "src", folder, project, "bin", BuildConfiguration, "net10.0"))
            .FirstOrDefault(output => File.Exists(Path.Combine(output, $"{project}.dll")))
        ?? throw new InvalidOperationException($"{project} is not built: ./shop run builds it (dotnet build ShopModular.sln -c {BuildConfiguration}).");

    private static string BuildConfiguration =>
        typeof(ShopTopology).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    private static bool Listens(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Text(int number) => number.ToString(CultureInfo.InvariantCulture);

    /// <summary>Where the topology's databases are: a resource of ours, or a server of the user's (<c>Server</c> null).</summary>
    private sealed record Databases(IResourceBuilder<ExecutableResource>? Server, Func<string, string?, string> Connection)
    {
        public Databases(IResourceBuilder<ExecutableResource>? server, Func<string, string> connection)
            : this(server, (name, _) => connection(name))
        {
        }

        /// <summary>As the databases' owner (migrations), or as <paramref name="module"/>'s own role.</summary>
        public string ConnectionOf(string name, string? module = null) => Connection(name, module);
    }
}
