using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace ShopModular.Registry;

/// <summary>
/// The registry's state, behaving as the Eureka server does (see eureka-and-config-protocols.md, 1.4): leases
/// renewed by heartbeats and evicted when they lapse, a delta of recent changes, and the hash of the full registry
/// that lets clients check they applied a delta right. Kept in memory: a restarted registry is filled again by the
/// clients' next heartbeats (their 404 makes them register again).
/// </summary>
public sealed class EurekaRegistry(IOptions<RegistrySettings> options, TimeProvider clock)
{
    private readonly object _lock = new();
    private readonly Dictionary<(string App, string Id), RegisteredInstance> _instances = [];
    private readonly List<(JsonObject Instance, string App, long At)> _recentChanges = [];
    private long _deltaVersion;

    private RegistrySettings Settings => options.Value;

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Registers or replaces an instance; returns the genuine server's 400 message when the body is not a valid instance.</summary>
    public string? Register(string pathApp, JsonObject instance)
    {
        var app = pathApp.ToUpperInvariant();
        var hostName = Text(instance, "hostName");
        var id = Text(instance, "instanceId") ?? hostName;
        var problem =
            id is null ? "Missing instanceId"
            : hostName is null ? "Missing hostname"
            : Text(instance, "ipAddr") is null ? "Missing ip address"
            : Text(instance, "app") is not { } bodyApp ? "Missing appName"
            : !bodyApp.Equals(app, StringComparison.OrdinalIgnoreCase) ? $"Mismatched appName, expecting {app} but was {bodyApp.ToUpperInvariant()}"
            : instance["dataCenterInfo"] is not JsonObject dataCenter ? "Missing dataCenterInfo"
            : Text(dataCenter, "name") is null ? "Missing dataCenterInfo Name"
            // Beyond the genuine server: what its readers (our gateway, Prometheus) need to use the instance safely.
            : RegistrationRules.HostNameProblem(hostName)
            ?? RegistrationRules.IpAddressProblem(Text(instance, "ipAddr")!)
            ?? RegistrationRules.PortProblem(instance, "port", lowest: 1)
            ?? RegistrationRules.PortProblem(instance, "securePort", lowest: 0)
            ?? RegistrationRules.LeaseProblem(instance, Settings.MaxLeaseDurationInSeconds)
            ?? RegistrationRules.MetadataProblem(instance["metadata"]);
        if (problem is not null)
        {
            return problem;
        }

        var info = Normalise(instance, app, id!);
        if (RegistrationRules.XmlProblem(info) is { } xmlProblem)
        {
            return xmlProblem;
        }

        var lease = instance["leaseInfo"] as JsonObject;
        var now = Now;
        lock (_lock)
        {
            var dirty = Number(instance, "lastDirtyTimestamp") ?? now;
            if (_instances.TryGetValue((app, id!), out var existing) && existing.LastDirtyTimestamp > dirty)
            {
                // The genuine server keeps the newer registration it already has, and only renews its lease.
                existing.LastRenewalTimestamp = now;
                return null;
            }

            // An operator's override outlives the client's registrations: re-registering cannot bring it back into service.
            var overridden = existing is { HasOverride: true } ? existing.OverriddenStatus : null;
            var registered = new RegisteredInstance
            {
                App = app,
                InstanceId = id!,
                Info = info,
                // A status that is none of Eureka's is UNKNOWN, as the genuine server's InstanceStatus.toEnum makes it.
                Status = overridden ?? (Text(instance, "status") is not { } status ? "UP"
                    : EurekaEndpoints.Statuses.Contains(status) ? status.ToUpperInvariant() : "UNKNOWN"),
                OverriddenStatus = overridden ?? "UNKNOWN",
                LastDirtyTimestamp = dirty,
                // Within 1..MaxLeaseDurationInSeconds (RegistrationRules.LeaseProblem), so a whole int.
                LeaseDurationSeconds = (int)(RegistrationRules.WholeNumber(lease?["durationInSecs"]) ?? 90),
                RenewalIntervalSeconds = (int)(RegistrationRules.WholeNumber(lease?["renewalIntervalInSecs"]) ?? 30),
                RegistrationTimestamp = existing?.RegistrationTimestamp ?? now,
                LastRenewalTimestamp = now,
                LastUpdatedTimestamp = now,
            };
            _instances[(app, id!)] = registered;
            RecordChange(registered, "ADDED", now);
        }

        return null;
    }

    /// <summary>
    /// A heartbeat; false (404) when the lease is unknown, when its status resolves to UNKNOWN (an override was
    /// removed: the client is to register again), or when the client holds a newer registration than ours.
    /// </summary>
    public bool Renew(string app, string id, long? clientLastDirtyTimestamp)
    {
        lock (_lock)
        {
            if (!_instances.TryGetValue((app.ToUpperInvariant(), id), out var instance)
                || instance.Status == "UNKNOWN"
                || clientLastDirtyTimestamp > instance.LastDirtyTimestamp)
            {
                return false;
            }

            instance.LastRenewalTimestamp = Now;
            return true;
        }
    }

    /// <summary>Sets an operator's status (for example OUT_OF_SERVICE) that wins over the client's; false when unknown.</summary>
    public bool OverrideStatus(string app, string id, string status, long? lastDirtyTimestamp) =>
        Modify(app, id, lastDirtyTimestamp, instance =>
        {
            instance.OverriddenStatus = status;
            instance.Status = status;
        });

    /// <summary>Removes the override; the status becomes <paramref name="fallback"/> (UNKNOWN by default, which makes the client register again).</summary>
    public bool RemoveStatusOverride(string app, string id, string? fallback, long? lastDirtyTimestamp) =>
        Modify(app, id, lastDirtyTimestamp, instance =>
        {
            instance.OverriddenStatus = "UNKNOWN";
            instance.Status = fallback ?? "UNKNOWN";
        });

    /// <summary>Merges entries into the instance's metadata; not found when unknown, a problem (400) for a key XML cannot carry.</summary>
    public (bool Found, string? Problem) MergeMetadata(string app, string id, IReadOnlyList<KeyValuePair<string, string>> entries)
    {
        var problem = entries
            .Select(entry => RegistrationRules.MetadataEntryProblem(entry.Key, entry.Value)
                ?? RegistrationRules.XmlProblem(new JsonObject { ["metadata"] = new JsonObject { [entry.Key] = entry.Value } }))
            .FirstOrDefault(problem => problem is not null);
        if (problem is not null)
        {
            return (Found: true, problem);
        }

        return (Modify(app, id, lastDirtyTimestamp: null, instance =>
        {
            var metadata = instance.Info["metadata"] as JsonObject ?? [];
            metadata.Remove("@class");
            foreach (var (key, value) in entries)
            {
                metadata[key] = value;
            }

            instance.Info["metadata"] = metadata;
        }), Problem: null);
    }

    public bool Cancel(string app, string id)
    {
        lock (_lock)
        {
            if (!_instances.Remove((app.ToUpperInvariant(), id), out var instance))
            {
                return false;
            }

            RecordChange(instance, "DELETED", Now);
            return true;
        }
    }

    /// <summary>
    /// Changes an instance as the genuine server does: without making its copy newer than the client's (only a
    /// <paramref name="lastDirtyTimestamp"/> given with the change can), so that the client's next registration
    /// is still taken rather than ignored as older.
    /// </summary>
    private bool Modify(string app, string id, long? lastDirtyTimestamp, Action<RegisteredInstance> change)
    {
        lock (_lock)
        {
            if (!_instances.TryGetValue((app.ToUpperInvariant(), id), out var instance))
            {
                return false;
            }

            change(instance);
            instance.LastDirtyTimestamp = Math.Max(instance.LastDirtyTimestamp, lastDirtyTimestamp ?? 0);
            RecordChange(instance, "MODIFIED", Now);
            return true;
        }
    }

    /// <summary>Removes every instance whose lease has lapsed; returns how many.</summary>
    public int EvictExpired()
    {
        var now = Now;
        lock (_lock)
        {
            var expired = _instances.Values.Where(instance => instance.HasExpired(now, Settings.ExpireAfterTwiceTheLease)).ToList();
            foreach (var instance in expired)
            {
                _instances.Remove((instance.App, instance.InstanceId));
                RecordChange(instance, "DELETED", now);
            }

            TrimChanges(now);
            return expired.Count;
        }
    }

    /// <summary>Every instance (optionally only those matching), grouped by application, with the registry's hash.</summary>
    public JsonObject Applications(Func<RegisteredInstance, bool>? filter = null)
    {
        lock (_lock)
        {
            var instances = _instances.Values.Where(filter ?? (_ => true)).Select(instance => (instance.App, Wire: instance.ToWire("ADDED")));
            return ApplicationsDocument("1", instances);
        }
    }

    /// <summary>The changes of the last <see cref="RegistrySettings.DeltaRetention"/>; its hash is still that of the full registry.</summary>
    public JsonObject Delta()
    {
        lock (_lock)
        {
            TrimChanges(Now);
            _deltaVersion++;
            return ApplicationsDocument(
                _deltaVersion.ToString(CultureInfo.InvariantCulture),
                _recentChanges.Select(change => (change.App, Wire: (JsonObject)change.Instance.DeepClone())));
        }
    }

    public JsonObject? Application(string app)
    {
        lock (_lock)
        {
            var instances = _instances.Values.Where(instance => instance.App == app.ToUpperInvariant()).ToList();
            return instances.Count == 0 ? null : ApplicationNode(app.ToUpperInvariant(), instances.Select(instance => instance.ToWire("ADDED")));
        }
    }

    public JsonObject? Instance(string? app, string id)
    {
        lock (_lock)
        {
            return _instances.Values
                .FirstOrDefault(instance => instance.InstanceId == id && (app is null || instance.App == app.ToUpperInvariant()))
                ?.ToWire("ADDED");
        }
    }

    /// <summary>The <c>apps__hashcode</c>: for each status in name order, <c>STATUS_count_</c>; empty for an empty registry.</summary>
    private string HashCode() =>
        string.Concat(_instances.Values.GroupBy(instance => instance.Status).OrderBy(group => group.Key, StringComparer.Ordinal)
            .Select(group => $"{group.Key}_{group.Count()}_"));

    private JsonObject ApplicationsDocument(string version, IEnumerable<(string App, JsonObject Wire)> instances) =>
        new()
        {
            ["applications"] = new JsonObject
            {
                ["versions__delta"] = version,
                ["apps__hashcode"] = HashCode(),
                ["application"] = new JsonArray([.. instances.GroupBy(instance => instance.App).OrderBy(group => group.Key, StringComparer.Ordinal)
                    .Select(group => (JsonNode)ApplicationNode(group.Key, group.Select(instance => instance.Wire)))]),
            },
        };

    private static JsonObject ApplicationNode(string app, IEnumerable<JsonObject> instances) =>
        new() { ["name"] = app, ["instance"] = new JsonArray([.. instances]) };

    private void RecordChange(RegisteredInstance instance, string actionType, long now)
    {
        instance.LastUpdatedTimestamp = now;
        _recentChanges.Add((instance.ToWire(actionType), instance.App, now));
    }

    private void TrimChanges(long now) =>
        _recentChanges.RemoveAll(change => change.At < now - (long)Settings.DeltaRetention.TotalMilliseconds);

    /// <summary>
    /// The instance as the genuine server stores it: app upper-cased, the id filled in, ports as
    /// <c>{"$": number, "@enabled": "true"}</c> whatever types the client used.
    /// </summary>
    private static JsonObject Normalise(JsonObject instance, string app, string id)
    {
        var info = (JsonObject)instance.DeepClone();
        info["app"] = app;
        info["instanceId"] = id;
        info.Remove("leaseInfo");
        foreach (var name in new[] { "port", "securePort" })
        {
            if (info[name] is JsonObject port)
            {
                info[name] = new JsonObject
                {
                    ["$"] = Number(port, "$") ?? 0,
                    ["@enabled"] = (Text(port, "@enabled") ?? "false").ToLowerInvariant(),
                };
            }
        }

        // Jackson reads these into String fields whatever JSON type the client used: so do we, so that a numeric
        // vipAddress is the text "123" for every reader (and for /vips).
        foreach (var name in new[] { "vipAddress", "secureVipAddress" })
        {
            if (info[name] is JsonValue value && value.GetValueKind() is not JsonValueKind.String)
            {
                info[name] = value.ToString();
            }
        }

        // The registry keeps the status override itself (see OverrideStatus).
        info.Remove("overriddenstatus");
        info.Remove("overriddenStatus");
        info["countryId"] ??= 1;
        if (info["metadata"] is not JsonObject metadata || metadata.Count(entry => !entry.Key.StartsWith('@')) == 0)
        {
            info["metadata"] = new JsonObject { ["@class"] = "java.util.Collections$EmptyMap" };
        }

        return info;
    }

    private static string? Text(JsonObject? node, string name) =>
        node?[name] is JsonValue value && value.ToString() is { Length: > 0 } text && !string.IsNullOrWhiteSpace(text) ? text : null;

    private static long? Number(JsonObject? node, string name) =>
        Text(node, name) is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;
}
