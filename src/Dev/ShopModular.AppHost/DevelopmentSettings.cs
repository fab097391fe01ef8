using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace ShopModular.AppHost;

public enum Topology
{
    /// <summary>PostgreSQL and one host with every module.</summary>
    Monolith,

    /// <summary>Each module its own process behind the gateway, over RabbitMQ, with the registry, the config server and Prometheus.</summary>
    Split,
}

/// <summary>
/// Everything about a development topology that may differ between two runs of it, in one place: which topology,
/// where its state lives, and its ports. Read from the app host's command line (<c>--topology split</c>) and the
/// <c>SHOP_*</c> variables <c>./shop run</c> has always taken, so that specs can run several topologies side by side.
/// </summary>
public sealed record DevelopmentSettings
{
    public const int MaxInstances = 9;

    public required Topology Topology { get; init; }

    /// <summary>Data, secrets, logs of this topology (<c>SHOP_STATE_DIR</c>, <c>.shop/</c> of the checkout by default).</summary>
    public required string StateDirectory { get; init; }

    /// <summary>The checkout: built outputs and deploy/config/ are found from here.</summary>
    public required string Root { get; init; }

    /// <summary>The public API: the host, or the gateway in the split topology.</summary>
    public int PublicPort { get; init; } = 5080;

    public int PostgresPort { get; init; } = 25432;

    /// <summary>The first of the broker's four ports: AMQP, management, Erlang distribution, epmd.</summary>
    public int BrokerPort { get; init; } = 25672;

    public int RegistryPort { get; init; } = 8761;

    public int ConfigServerPort { get; init; } = 8888;

    public int PrometheusPort { get; init; } = 9090;

    public int DashboardPort { get; init; } = 18888;

    public int DashboardOtlpPort { get; init; } = 18889;

    public IReadOnlyDictionary<string, int> ModulePorts { get; init; } = new Dictionary<string, int>
    {
        ["orders"] = 5081,
        ["products"] = 5082,
        ["users"] = 5083,
    };

    /// <summary>Processes per module (<c>SHOP_INSTANCES</c>), the others than the first on free ports.</summary>
    public int Instances { get; init; } = 1;

    /// <summary>More folders for the config server after deploy/config/, whose files win (<c>SHOP_CONFIG_OVERRIDES</c>).</summary>
    public IReadOnlyList<string> ConfigOverrides { get; init; } = [];

    /// <summary>
    /// No dashboard and no telemetry export (<c>SHOP_DASHBOARD=off</c>): what a benchmark measures is the product, not
    /// the tracing of every request.
    /// </summary>
    public bool WithoutDashboard { get; init; }

    /// <summary>A PostgreSQL server of the user's instead of the private one (<c>SHOP_DATABASE_SERVER</c>, a connection string).</summary>
    public string? DatabaseServer { get; init; }

    /// <summary>
    /// The monolith's database, and the prefix of the split topology's (<c>NAME_orders</c> …): the database
    /// <see cref="DatabaseServer"/> names (as a benchmark gives each run a fresh one), <c>shop</c> otherwise.
    /// </summary>
    public string DatabaseName =>
        DatabaseServer is not null && new Npgsql.NpgsqlConnectionStringBuilder(DatabaseServer).Database is { Length: > 0 } name ? name : "shop";

    public string DatabaseOf(string module) => $"{DatabaseName}_{module}";

    /// <summary>The ports this topology will listen on, each with the setting that moves it.</summary>
    public IEnumerable<(int Port, string Setting)> PortsToListenOn()
    {
        yield return (PublicPort, "SHOP_PORT");
        if (!WithoutDashboard)
        {
            yield return (DashboardPort, "SHOP_DASHBOARD_PORT");
            yield return (DashboardOtlpPort, "SHOP_DASHBOARD_OTLP_PORT");
        }

        if (DatabaseServer is null)
        {
            yield return (PostgresPort, "SHOP_PG_PORT");
        }

        if (Topology == Topology.Monolith)
        {
            yield break;
        }

        for (var offset = 0; offset < 4; offset++)
        {
            yield return (BrokerPort + offset, "SHOP_RABBITMQ_PORT (the broker takes four ports from there)");
        }

        yield return (RegistryPort, "SHOP_REGISTRY_PORT");
        yield return (ConfigServerPort, "SHOP_CONFIG_PORT");
        yield return (PrometheusPort, "SHOP_PROMETHEUS_PORT");
        foreach (var (module, port) in ModulePorts)
        {
            yield return (port, $"SHOP_{module.ToUpperInvariant()}_PORT");
        }
    }

    /// <summary>
    /// Reads the settings; a value it cannot use is an <see cref="ArgumentException"/> whose message names the
    /// setting and what it accepts.
    /// </summary>
    public static DevelopmentSettings Read(IConfiguration configuration, string root)
    {
        var topologyName = configuration["topology"] ?? "monolith";
        if (!Enum.TryParse<Topology>(topologyName, ignoreCase: true, out var topology) || !Enum.IsDefined(topology))
        {
            throw new ArgumentException($"--topology {topologyName}: not a topology this app host knows; it runs 'monolith' or 'split'.");
        }

        var defaults = new DevelopmentSettings { Topology = topology, StateDirectory = string.Empty, Root = root };
        return defaults with
        {
            StateDirectory = Path.GetFullPath(configuration["SHOP_STATE_DIR"] is { Length: > 0 } state ? state : Path.Combine(root, ".shop")),
            PublicPort = Port(configuration, "SHOP_PORT", defaults.PublicPort),
            PostgresPort = Port(configuration, "SHOP_PG_PORT", defaults.PostgresPort),
            BrokerPort = Port(configuration, "SHOP_RABBITMQ_PORT", defaults.BrokerPort, count: 4),
            RegistryPort = Port(configuration, "SHOP_REGISTRY_PORT", defaults.RegistryPort),
            ConfigServerPort = Port(configuration, "SHOP_CONFIG_PORT", defaults.ConfigServerPort),
            PrometheusPort = Port(configuration, "SHOP_PROMETHEUS_PORT", defaults.PrometheusPort),
            DashboardPort = Port(configuration, "SHOP_DASHBOARD_PORT", defaults.DashboardPort),
            DashboardOtlpPort = Port(configuration, "SHOP_DASHBOARD_OTLP_PORT", defaults.DashboardOtlpPort),
            ModulePorts = defaults.ModulePorts.ToDictionary(
                module => module.Key,
                module => Port(configuration, $"SHOP_{module.Key.ToUpperInvariant()}_PORT", module.Value)),
            Instances = Number(configuration, "SHOP_INSTANCES", defaults.Instances, 1, MaxInstances),
            ConfigOverrides = (configuration["SHOP_CONFIG_OVERRIDES"] ?? string.Empty)
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            WithoutDashboard = configuration["SHOP_DASHBOARD"] switch
            {
                null or "" or "on" => false,
                "off" => true,
                var other => throw new ArgumentException($"SHOP_DASHBOARD={other}: expected on or off."),
            },
            DatabaseServer = configuration["SHOP_DATABASE_SERVER"] is { Length: > 0 } server ? ConnectionString(server) : null,
        };
    }

    private static string ConnectionString(string text)
    {
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(text);
            return text;
        }
        catch (ArgumentException invalid)
        {
            throw new ArgumentException($"SHOP_DATABASE_SERVER: not a PostgreSQL connection string ({invalid.Message}).", invalid);
        }
    }

    private static int Port(IConfiguration configuration, string key, int fallback, int count = 1) =>
        Number(configuration, key, fallback, 1, 65536 - count);

    private static int Number(IConfiguration configuration, string key, int fallback, int least, int most)
    {
        var text = configuration[key];
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < least || value > most)
        {
            throw new ArgumentException($"{key}={text}: expected a whole number from {least} to {most}.");
        }

        return value;
    }
}
