using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ShopModular.AppHost;

/// <summary>
/// A private RabbitMQ node from the Debian packages, with its data in <paramref name="folder"/>: AMQP on
/// <paramref name="port"/>, the management UI and API on port+1, Erlang distribution on port+2 and an epmd of its own
/// on port+3 (so that it is ours to stop: Erlang would otherwise start a daemon that outlives everything), all on
/// loopback. It writes <c>rabbitmqctl</c> into its folder, which talks to this node.
/// </summary>
public sealed class LocalRabbitMq(string folder, int port)
{
    public const string Server = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    /// <summary>Declares the exchanges and queues (migrate) and manages users; no module process signs in as it.</summary>
    public const string Administrator = "shop-admin";

    public string Folder { get; } = folder;

    public int Port { get; } = port;

    public int ManagementPort => Port + 1;

    public int EpmdPort => Port + 3;

    public string PidFile => Path.Combine(Folder, "rabbitmq.pid");

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["HOME"] = Path.Combine(Folder, "home"),
        ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(Folder, "rabbitmq-env.conf"),
        ["RABBITMQ_CONFIG_FILE"] = Path.Combine(Folder, "rabbitmq.conf"),
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(Folder, "enabled_plugins"),
        ["RABBITMQ_NODENAME"] = $"shop-{Port.ToString(CultureInfo.InvariantCulture)}@localhost",
        ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_NODE_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
        ["RABBITMQ_DIST_PORT"] = (Port + 2).ToString(CultureInfo.InvariantCulture),
        ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        ["ERL_EPMD_PORT"] = EpmdPort.ToString(CultureInfo.InvariantCulture),
        ["RABBITMQ_MNESIA_BASE"] = Path.Combine(Folder, "mnesia"),
        ["RABBITMQ_LOG_BASE"] = Path.Combine(Folder, "log"),
        ["RABBITMQ_PID_FILE"] = PidFile,
        // Never an `epmd -daemon` of its own when ours is not (yet, or any more) there, as while everything stops at
        // once: nobody would stop it.
        ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1} -start_epmd false",
        // rabbitmqctl is an Erlang node too: its own distribution port would listen on every interface.
        ["RABBITMQ_CTL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1} -start_epmd false",
    };

    public string Uri(string user, string password) =>
        $"amqp://{System.Uri.EscapeDataString(user)}:{System.Uri.EscapeDataString(password)}@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/";

    /// <summary>Writes the node's configuration (again on every run: the ports may have changed).</summary>
    public void Prepare()
    {
        if (!File.Exists(Server))
        {
            throw new InvalidOperationException("RabbitMQ is not installed: ./shop run --split installs it (apt-get install rabbitmq-server).");
        }

        foreach (var part in new[] { "home", "mnesia", "log" })
        {
            Directory.CreateDirectory(Path.Combine(Folder, part));
        }

        File.WriteAllText(Path.Combine(Folder, "rabbitmq-env.conf"), string.Empty);
        File.WriteAllText(Path.Combine(Folder, "rabbitmq.conf"),
            $"listeners.tcp.1 = 127.0.0.1:{Port}\nmanagement.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {ManagementPort}\n");
        File.WriteAllText(Path.Combine(Folder, "enabled_plugins"), "[rabbitmq_management].\n");
        var exports = string.Concat(Environment.Select(variable => $"export {variable.Key}='{variable.Value}'\n"));
        File.WriteAllText(Path.Combine(Folder, "env"), exports);
        File.WriteAllText(Path.Combine(Folder, "rabbitmqctl"), $"#!/bin/sh\n. '{Path.Combine(Folder, "env")}'\nexec /usr/lib/rabbitmq/bin/rabbitmqctl \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(Folder, "rabbitmqctl"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Healthy once the management API answers (it comes up last, after AMQP).</summary>
    public async Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var client = Management("guest", "guest");
            using var answer = await client.GetAsync("api/overview", cancellationToken);
            return answer.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"management API: {(int)answer.StatusCode}");
        }
        catch (HttpRequestException failure)
        {
            return HealthCheckResult.Unhealthy(failure.Message);
        }
    }

    /// <summary>
    /// No guest; an administrator of our own, and one user per module that may publish to its own exchanges
    /// (write ^module.) and consume its own queues (read ^module.), and declare nothing (configure ^$). RabbitMQ
    /// checks the user_id each module stamps on its messages against these users.
    /// </summary>
    public async Task SecureAsync(string administratorPassword, IReadOnlyDictionary<string, string> modulePasswords, CancellationToken cancellationToken)
    {
        using var administrator = Management(Administrator, administratorPassword);
        using (var whoami = await administrator.GetAsync("api/whoami", cancellationToken))
        {
            if (!whoami.IsSuccessStatusCode)
            {
                // A new node: its only user is RabbitMQ's guest, which makes our administrator and is then removed.
                using var guest = Management("guest", "guest");
                await PutAsync(guest, $"api/users/{Administrator}", new { password = administratorPassword, tags = "administrator" }, cancellationToken);
                await PutAsync(guest, $"api/permissions/%2F/{Administrator}", new { configure = ".*", write = ".*", read = ".*" }, cancellationToken);
            }
        }

        using (await administrator.DeleteAsync("api/users/guest", cancellationToken))
        {
            // Gone already after the first run.
        }

        foreach (var (module, password) in modulePasswords)
        {
            await PutAsync(administrator, $"api/users/{module}", new { password, tags = string.Empty }, cancellationToken);
            var own = $"^{module}\\.";
            await PutAsync(administrator, $"api/permissions/%2F/{module}", new { configure = "^$", write = own, read = own }, cancellationToken);
        }
    }

    private HttpClient Management(string user, string password) => new()
    {
        BaseAddress = new System.Uri($"http://127.0.0.1:{ManagementPort.ToString(CultureInfo.InvariantCulture)}/"),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))) },
        Timeout = TimeSpan.FromSeconds(10),
    };

    private static async Task PutAsync(HttpClient client, string path, object body, CancellationToken cancellationToken)
    {
        using var answer = await client.PutAsJsonAsync(path, body, cancellationToken);
        if (!answer.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"RabbitMQ's management API refused PUT {path}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }
}
