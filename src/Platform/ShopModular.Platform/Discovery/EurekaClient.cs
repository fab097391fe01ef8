using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ShopModular.Platform.Discovery;

/// <summary>An instance of a service, as the registry lists it.</summary>
public sealed record ServiceInstance(string InstanceId, string Status, Uri BaseAddress);

/// <summary>
/// A Eureka client (protocol notes, sections 1 and 2): registers this process, renews its lease and registers
/// again when the registry no longer knows it, deregisters, and keeps a copy of the registry, fetched in full and
/// then by deltas checked against the registry's hash. Each call tries the configured registries in turn.
/// </summary>
public sealed class EurekaClient(
    IHttpClientFactory httpClients,
    IOptions<EurekaClientSettings> settings,
    ILogger<EurekaClient> logger)
{
    public const string HttpClientName = "eureka";

    private readonly object _lock = new();
    private Dictionary<string, Dictionary<string, JsonObject>> _applications = new(StringComparer.OrdinalIgnoreCase);
    private volatile IReadOnlyDictionary<string, ServiceInstance[]> _upInstances = new Dictionary<string, ServiceInstance[]>();
    private bool _fetchedInFull;
    private int _preferredServer;

    /// <summary>Whether the registry has been fetched at least once (until then, every service looks absent).</summary>
    public bool HasFetchedRegistry => _fetchedInFull;

    /// <summary>
    /// The UP instances of a service, matched by application name or VIP address, from the last fetch. The gateway
    /// asks on every request, so this reads a table made once per fetch.
    /// </summary>
    public IReadOnlyList<ServiceInstance> UpInstances(string service) =>
        _upInstances.TryGetValue(service, out var instances) ? instances : [];

    public async Task<bool> RegisterAsync(JsonObject instance, CancellationToken cancellationToken)
    {
        var app = Text(instance, "app")!;
        using var response = await SendAsync(
            server => new HttpRequestMessage(HttpMethod.Post, new Uri(server, $"apps/{app}"))
            {
                Content = JsonContent.Create(new JsonObject { ["instance"] = instance.DeepClone() }),
            },
            cancellationToken);
        return response?.StatusCode == HttpStatusCode.NoContent;
    }

    /// <summary>A heartbeat: null when no registry answered, false when the registry asks us to register again (404).</summary>
    public async Task<bool?> RenewAsync(string app, string instanceId, long lastDirtyTimestamp, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            server => new HttpRequestMessage(HttpMethod.Put, new Uri(server,
                $"apps/{app}/{Uri.EscapeDataString(instanceId)}?status=UP&lastDirtyTimestamp={lastDirtyTimestamp.ToString(CultureInfo.InvariantCulture)}")),
            cancellationToken);
        return response is null ? null : response.IsSuccessStatusCode;
    }

    public async Task CancelAsync(string app, string instanceId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            server => new HttpRequestMessage(HttpMethod.Delete, new Uri(server, $"apps/{app}/{Uri.EscapeDataString(instanceId)}")),
            cancellationToken);
    }

    /// <summary>Refreshes the copy of the registry: a delta when possible, in full at first and whenever the delta's hash disagrees.</summary>
    public async Task FetchRegistryAsync(CancellationToken cancellationToken)
    {
        if (_fetchedInFull && !settings.Value.ShouldDisableDelta && await FetchDeltaAsync(cancellationToken))
        {
            return;
        }

        if (await GetApplicationsAsync("apps", cancellationToken) is { } full)
        {
            lock (_lock)
            {
                _applications = new Dictionary<string, Dictionary<string, JsonObject>>(StringComparer.OrdinalIgnoreCase);
                Apply(full, replace: true);
                _fetchedInFull = true;
            }
        }
    }

    private async Task<bool> FetchDeltaAsync(CancellationToken cancellationToken)
    {
        if (await GetApplicationsAsync("apps/delta", cancellationToken) is not { } delta)
        {
            return false;
        }

        lock (_lock)
        {
            Apply(delta, replace: false);
            var expected = delta["apps__hashcode"]?.ToString() ?? string.Empty;
            if (HashCode() == expected)
            {
                return true;
            }

            logger.LogInformation("Registry delta left a different hash ({Local} against {Remote}): fetching it in full", HashCode(), expected);
            return false;
        }
    }

    private async Task<JsonObject?> GetApplicationsAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            server =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, path));
                request.Headers.Accept.ParseAdd("application/json");
                return request;
            },
            cancellationToken);
        if (response is not { StatusCode: HttpStatusCode.OK })
        {
            return null;
        }

        return (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))?["applications"] as JsonObject;
    }

    /// <summary>Adds (and for a delta, removes) the instances of an applications document; must hold the lock.</summary>
    private void Apply(JsonObject applications, bool replace)
    {
        foreach (var application in Many(applications["application"]))
        {
            foreach (var instance in Many(application["instance"]))
            {
                var app = Text(instance, "app") ?? Text(application, "name") ?? string.Empty;
                var id = Text(instance, "instanceId") ?? Text(instance, "hostName") ?? string.Empty;
                if (!replace && Text(instance, "actionType") == "DELETED")
                {
                    if (_applications.TryGetValue(app, out var known))
                    {
                        known.Remove(id);
                    }

                    continue;
                }

                if (!_applications.TryGetValue(app, out var instances))
                {
                    _applications[app] = instances = [];
                }

                instances[id] = (JsonObject)instance.DeepClone();
            }
        }

        _upInstances = UpInstancesByService();
    }

    /// <summary>The UP instances of our copy, under their application name and their VIP address.</summary>
    private Dictionary<string, ServiceInstance[]> UpInstancesByService() =>
        _applications.Values.SelectMany(instances => instances.Values)
            .Where(instance => Text(instance, "status") == "UP")
            .SelectMany(instance => ToServiceInstance(instance) is { } up
                ? new[] { Text(instance, "app"), Text(instance, "vipAddress") }.OfType<string>()
                    .Distinct(StringComparer.OrdinalIgnoreCase)
                    .Select(service => (Service: service, Instance: up))
                : [])
            .GroupBy(entry => entry.Service, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(group => group.Key, group => group.Select(entry => entry.Instance).ToArray(), StringComparer.OrdinalIgnoreCase);

    /// <summary>The registry's hash over our copy: for each status in name order, <c>STATUS_count_</c>.</summary>
    private string HashCode() =>
        string.Concat(_applications.Values.SelectMany(instances => instances.Values)
            .GroupBy(instance => Text(instance, "status") ?? "UNKNOWN")
            .OrderBy(group => group.Key, StringComparer.Ordinal)
            .Select(group => $"{group.Key}_{group.Count()}_"));

    /// <summary>Sends to the registries in turn, starting with the last one that answered; null when none did.</summary>
    private async Task<HttpResponseMessage?> SendAsync(Func<Uri, HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        var servers = settings.Value.ServerUrls;
        var http = httpClients.CreateClient(HttpClientName);
        for (var attempt = 0; attempt < servers.Count; attempt++)
        {
            var index = (_preferredServer + attempt) % servers.Count;
            try
            {
                using var message = request(servers[index]);
                var response = await http.SendAsync(message, cancellationToken);
                if ((int)response.StatusCode >= 500)
                {
                    response.Dispose();
                    continue;
                }

                _preferredServer = index;
                return response;
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                logger.LogDebug(exception, "Registry {Server} did not answer", servers[index]);
            }
        }

        logger.LogWarning("No registry answered ({Servers})", string.Join(", ", servers));
        return null;
    }

    private static ServiceInstance? ToServiceInstance(JsonObject instance)
    {
        var host = Text(instance, "hostName");
        var port = instance["port"] is JsonObject portNode ? Text(portNode, "$") : null;
        return host is null || port is null
            ? null
            : new ServiceInstance(Text(instance, "instanceId") ?? host, "UP", new Uri($"http://{host}:{port}/"));
    }

    /// <summary>Older servers write a single object where there can be several.</summary>
    private static IEnumerable<JsonObject> Many(JsonNode? node) =>
        node switch
        {
            JsonArray array => array.OfType<JsonObject>(),
            JsonObject single => [single],
            _ => [],
        };

    private static string? Text(JsonObject? node, string name) => node?[name] is JsonValue value ? value.ToString() : null;
}
