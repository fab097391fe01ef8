using System.Globalization;

namespace ShopModular.AppHost;

/// <summary>What a developer sees once the topology serves: where everything is, and how to sign in.</summary>
public static class Banner
{
    public const string Running = "ShopModular is running at";

    public static string Text(DevelopmentSettings settings, StateFolder state, string? dashboardLogin)
    {
        var api = $"http://127.0.0.1:{Port(settings.PublicPort)}";
        var adminEmail = Environment.GetEnvironmentVariable("Shop__Admin__Email") ?? "admin@shopmodular.local";
        var adminPassword = Environment.GetEnvironmentVariable("Shop__Admin__Password") ?? "admin-dev-password";
        var database = settings.DatabaseServer is null ? $"127.0.0.1:{Port(settings.PostgresPort)}" : "SHOP_DATABASE_SERVER";
        var lines = new List<string> { string.Empty };
        if (settings.Topology == Topology.Monolith)
        {
            lines.Add($"  {Running} {api}  (API page: {api}/api-docs)");
            lines.Add($"  PostgreSQL: {database}, database {settings.DatabaseName} (./shop psql)");
        }
        else
        {
            lines.Add($"  {Running} {api}  (split: the whole API through the gateway; API page: {api}/api-docs)");
            lines.Add(string.Empty);
            lines.Add($"  Behind it, {settings.Instances} process(es) per module, each registered in the registry:");
            lines.AddRange(settings.ModulePorts.Select(module => $"    {module.Key,-11} http://127.0.0.1:{Port(module.Value)}"));
            lines.Add($"  Each module has its own database ({string.Join(", ", ShopTopology.Modules.Select(settings.DatabaseOf))}) on PostgreSQL {database}.");
            lines.Add($"  RabbitMQ: amqp://127.0.0.1:{Port(settings.BrokerPort)}, management UI http://127.0.0.1:{Port(settings.BrokerPort + 1)}");
            lines.Add($"    (administrator {LocalRabbitMq.Administrator}, password {state.Secret($"rabbitmq-{LocalRabbitMq.Administrator}")}; each module signs in as its own user).");
            lines.Add($"  Registry (Eureka protocol): http://127.0.0.1:{Port(settings.RegistryPort)}/ (user shop, password {state.Secret("registry-shop")} for changes).");
            lines.Add($"  Config server (Spring Cloud Config): http://127.0.0.1:{Port(settings.ConfigServerPort)}/<app>/Development (user shop, password");
            lines.Add($"    {state.Secret("config-shop")}), serving {Path.Combine(settings.Root, "deploy", "config")}: changes reach every process within 5 s.");
            lines.Add($"  Prometheus: http://127.0.0.1:{Port(settings.PrometheusPort)} (every process, found in the registry).");
        }

        if (dashboardLogin is not null)
        {
            lines.Add($"  Dashboard (every process, its console and structured logs, metrics, and each order's trace): {dashboardLogin}");
        }

        lines.Add($"  Logs: {state.Combine("logs")}/<process>.log; development credentials: {state.Combine("secrets")}");
        lines.Add(string.Empty);
        lines.Add("  Sign in as the administrator:");
        lines.Add($"    curl -s {api}/api/auth/token -H 'Content-Type: application/json' \\");
        lines.Add($"      -d '{{\"email\":\"{adminEmail}\",\"password\":\"{adminPassword}\"}}'");
        lines.Add(string.Empty);
        lines.Add($"  Ctrl-C (or SIGTERM to pid {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}) stops everything this command started.");
        return string.Join('\n', lines);
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
