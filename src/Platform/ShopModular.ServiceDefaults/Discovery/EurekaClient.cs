using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ShopModular.ServiceDefaults.Discovery;

/// <summary>An instance of a service, as the registry lists it.</summary>
public sealed record ServiceInstance(string InstanceId, string Status, Uri BaseAddress)
{
    /// <summary>The instance's metadata map: its text values (a config server's <c>configPath</c>, <c>user</c>, <c>password</c>).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Equal when every field is, the metadata entry by entry (a record would compare the maps by reference).</summary>
    public bool Equals(ServiceInstance? other) =>
        other is not null && InstanceId == other.InstanceId && Status == other.Status && BaseAddress == other.BaseAddress
        && Metadata.Count == other.Metadata.Count
        && Metadata.All(entry => other.Metadata.TryGetValue(entry.Key, out var value) && value == entry.Value);

    public override int GetHashCode() => HashCode.Combine(InstanceId, Status, BaseAddress);
}

/// <summary>
/// A Eureka client (protocol notes, sections 1 and 2): registers this process, renews its lease and registers
/// again when the registry no longer knows it, deregisters, and keeps a copy of the registry, fetched in full and
/// then by deltas checked against the registry's hash. Each call tries the configured registries in turn, with the
/// Basic credentials of the registry's URL.
/// <para>What the registry lists is input from every process that could register: an entry that does not make a
/// usable address (a host with a space, a port that is not one) is left out of <see cref="UpInstances"/> with a
/// warning, and the rest of the copy is used as usual.</para>
/// </summary>
public sealed class EurekaClient(
    IHttpClientFactory httpClients,
    IOptions<EurekaClientSettings> settings,
    TimeProvider clock,
    ILogger<EurekaClient> logger)
{
    public const string HttpClientName = "eureka";

    private const int MaxEntriesWarnedAbout = 1000;

    private readonly object _lock = new();
    private readonly HashSet<string> _entriesWarnedAbout = [];
    private Dictionary<string, Dictionary<string, JsonObject>> _applications = new(StringComparer.OrdinalIgnoreCase);
    private volatile IReadOnlyDictionary<string, ServiceInstance[]> _upInstances = new Dictionary<string, ServiceInstance[]>();
    private bool _fetchedInFull;
    private long _lastGoodFetchTicks = -1;
    private int _preferredServer;

    /// <summary>Whether the registry has been fetched at least once (until then, every service looks absent).</summary>
    public bool HasFetchedRegistry => _fetchedInFull;

    /// <summary>When the copy was last brought up to date with the registry (a full fetch or a delta that agreed); null before the first.</summary>
    public DateTimeOffset? LastGoodFetch =>
        Interlocked.Read(ref _lastGoodFetchTicks) is >= 0 and var ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>
    /// The UP instances of an application, by the name it registered under (its path in the registry), from the last
    /// fetch. Never by VIP address: an instance chooses its VIP address itself, so any application could claim
    /// another's. The gateway asks on every request, so this reads a table made once per fetch.
    /// </summary>
    public IReadOnlyList<ServiceInstance> UpInstances(string app) =>
        _upInstances.TryGetValue(app, out var instances) ? instances : [];

    /// <summary>The UP instances of every application, from the last fetch (a new table after each, never changed in place).</summary>
    public IReadOnlyDictionary<string, ServiceInstance[]> UpInstancesByApplication => _upInstances;

    /// <summary>
    /// Raised after each fetch that brought the copy up to date, with <see cref="UpInstancesByApplication"/>; one
    /// fetch at a time, so a handler sees every state the copy goes through.
    /// </summary>
    public event Action<IReadOnlyDictionary<string, ServiceInstance[]>>? UpInstancesRefreshed;

    public async Task<bool> RegisterAsync(JsonObject instance, CancellationToken cancellationToken)
    {
        var app = Text(instance, "app")!;
        using var response = await SendAsync(
            server => new HttpRequestMessage(HttpMethod.Post, new Uri(server, $"apps/{app}"))
            {
                Content = JsonContent.Create(new JsonObject { ["instance"] = instance.DeepClone() }),
            },
            cancellationToken);
        if (response is { StatusCode: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden })
        {
            logger.LogError("The registry refused our credentials ({Status}): check the userinfo of eureka:client:serviceUrl:defaultZone", (int)response.StatusCode);
        }

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
            MarkGoodFetch();
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

            MarkGoodFetch();
        }
    }

    private void MarkGoodFetch() => Interlocked.Exchange(ref _lastGoodFetchTicks, clock.GetUtcNow().UtcTicks);

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
            if (response is { StatusCode: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden })
            {
                logger.LogError("The registry refused to list its instances ({Status}): check the userinfo of eureka:client:serviceUrl:defaultZone", (int)response.StatusCode);
            }

            return null;
        }

        try
        {
            // Duplicate names refused while parsing: JsonObject would otherwise fail on them later, half-way through
            // applying the document to our copy.
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return (await JsonNode.ParseAsync(body, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }, cancellationToken: cancellationToken))
                ?["applications"] as JsonObject;
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a document whose root is not an object.
            logger.LogWarning("The registry's {Path} was not a Eureka document ({Error}); keeping the copy we have", path, exception.Message);
            return null;
        }
    }

    /// <summary>Adds (and for a delta, removes) the instances of an applications document; must hold the lock.</summary>
    private void Apply(JsonObject applications, bool replace)
    {
        foreach (var application in Many(applications["application"]))
        {
            foreach (var instance in Many(application["instance"]))
            {
                // Filed under the application it is listed in: the registry checks that name against the path it was
                // registered at, while an instance's own fields are whatever its registrant wrote.
                var app = Text(application, "name") ?? Text(instance, "app") ?? string.Empty;
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

        _upInstances = UpInstancesByApp();
        UpInstancesRefreshed?.Invoke(_upInstances);
    }

    /// <summary>The UP instances of our copy that make a usable address, under their application's name.</summary>
    private Dictionary<string, ServiceInstance[]> UpInstancesByApp() =>
        _applications
            .Select(application => (App: application.Key, Instances: application.Value.Values
                .Where(instance => Text(instance, "status") == "UP")
                .Select(instance => ToServiceInstance(application.Key, instance))
                .OfType<ServiceInstance>()
                .ToArray()))
            .Where(application => application.Instances.Length > 0)
            .ToDictionary(application => application.App, application => application.Instances, StringComparer.OrdinalIgnoreCase);

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
            var server = servers[index];
            try
            {
                using var message = request(server.Url);
                if (server.BasicCredentials is { } credentials)
                {
                    message.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials);
                }

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
                logger.LogDebug(exception, "Registry {Server} did not answer", server);
            }
        }

        logger.LogWarning("No registry answered ({Servers})", string.Join(", ", servers));
        return null;
    }

    /// <summary>The instance's address, or null (with a warning, once per entry) when its host or port make none.</summary>
    private ServiceInstance? ToServiceInstance(string app, JsonObject instance)
    {
        var host = Text(instance, "hostName");
        var id = Text(instance, "instanceId") ?? host ?? "(no id)";
        var port = instance["port"] is JsonObject portNode && int.TryParse(Text(portNode, "$"), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : 0;
        if (host is not null && Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6
            && port is > 0 and <= IPEndPoint.MaxPort)
        {
            try
            {
                return new ServiceInstance(id, "UP", new UriBuilder(Uri.UriSchemeHttp, host, port, "/").Uri) { Metadata = MetadataOf(instance) };
            }
            catch (UriFormatException)
            {
                // Warned about below.
            }
        }

        if (_entriesWarnedAbout.Count < MaxEntriesWarnedAbout && _entriesWarnedAbout.Add($"{app}/{id}/{host}/{port}"))
        {
            logger.LogWarning("Skipping registry entry {Id} of {App}: host {Host} and port {Port} make no address", Printable(id), Printable(app), Printable(host), port);
        }

        return null;
    }

    /// <summary>The text values of an instance's metadata; Eureka's own <c>@class</c> marker left out.</summary>
    private static Dictionary<string, string> MetadataOf(JsonObject instance) =>
        (instance["metadata"] as JsonObject ?? [])
            .Where(entry => entry.Key != "@class" && entry.Value is JsonValue)
            .ToDictionary(entry => entry.Key, entry => entry.Value!.ToString(), StringComparer.Ordinal);

    /// <summary>Text from the registry, fit for a log line (no control characters, not too long).</summary>
    private static string Printable(string? value) =>
        value is null ? "(none)" : new string([.. value.Take(100).Select(character => char.IsControl(character) ? '?' : character)]);

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
