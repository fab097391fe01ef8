using System.Text.Json.Nodes;

namespace ShopModular.Gateway;

/// <summary>
/// The OpenAPI document of the whole public API, as the monolith serves it: each service's own document, fetched
/// from one of its UP instances when asked for, keeping the paths the gateway routes to that service, merged into
/// one. Fetched on every request, so it always describes what runs now; nobody asks for it often.
/// </summary>
public sealed class ApiDocument(ServiceForwarder forwarder, GatewayRoutes routes, ILogger<ApiDocument> logger)
{
    /// <summary>Where the modules serve theirs, and where the gateway serves the merged one (the API page reads it).</summary>
    public const string Path = "/openapi/v1.json";

    private const string Title = "ShopModular API";

    private readonly HttpClient _backends = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(2) })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    public async Task<IResult> MergedAsync(CancellationToken cancellationToken)
    {
        JsonObject? merged = null;
        var missing = new List<string>();
        foreach (var service in routes.Services)
        {
            if (await FetchAsync(service, cancellationToken) is not { } document)
            {
                missing.Add(service);
                continue;
            }

            merged ??= Empty(document);
            Merge(merged, document, service);
        }

        if (merged is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service Unavailable",
                detail: "No service answered with its API document.");
        }

        if (missing.Count > 0)
        {
            // Better most of the API than none while a service restarts; the page says what is not there.
            merged["info"]!["description"] = $"Not included, no instance answered: {string.Join(", ", missing)}.";
        }

        return Results.Text(merged.ToJsonString(), "application/json; charset=utf-8");
    }

    /// <summary>The service's document from the first of its instances that gives one, or null.</summary>
    private async Task<JsonObject?> FetchAsync(string service, CancellationToken cancellationToken)
    {
        foreach (var instance in forwarder.AllowedUpInstances(service))
        {
            try
            {
                using var answer = await _backends.GetAsync(new Uri(instance.BaseAddress, Path), cancellationToken);
                if (answer.IsSuccessStatusCode && JsonNode.Parse(await answer.Content.ReadAsStringAsync(cancellationToken)) is JsonObject document)
                {
                    return document;
                }

                logger.LogWarning("{Service} instance {Instance} answered {Status} for its API document", service, instance.InstanceId, (int)answer.StatusCode);
            }
            catch (Exception failure) when (failure is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("{Service} instance {Instance} gave no API document: {Reason}", service, instance.InstanceId, failure.Message);
            }
        }

        return null;
    }

    /// <summary>
    /// A document with the first one's OpenAPI version and security, and nothing else yet. No <c>servers</c>: the
    /// modules name their own address there, and the API page must send its calls to the gateway.
    /// </summary>
    private static JsonObject Empty(JsonObject first) => new()
    {
        ["openapi"] = first["openapi"]?.DeepClone(),
        ["info"] = new JsonObject { ["title"] = Title, ["version"] = first["info"]?["version"]?.DeepClone() ?? "1.0.0" },
        ["paths"] = new JsonObject(),
        ["components"] = new JsonObject(),
        ["security"] = first["security"]?.DeepClone(),
        ["tags"] = new JsonArray(),
    };

    private void Merge(JsonObject merged, JsonObject document, string service)
    {
        var paths = merged["paths"]!.AsObject();
        foreach (var (path, operations) in document["paths"]?.AsObject() ?? [])
        {
            // A route of the module's that the gateway does not send to it is not part of the public API.
            if (routes.ServiceFor(path) == service && operations is not null)
            {
                paths[path] = operations.DeepClone();
            }
        }

        var components = merged["components"]!.AsObject();
        foreach (var (kind, entries) in document["components"]?.AsObject() ?? [])
        {
            var mergedEntries = components[kind]?.AsObject() ?? (JsonObject)(components[kind] = new JsonObject());
            foreach (var (name, entry) in entries?.AsObject() ?? [])
            {
                // The same name is the same type (ProblemDetails, the bearer scheme) in every module's document.
                if (!mergedEntries.ContainsKey(name))
                {
                    mergedEntries[name] = entry?.DeepClone();
                }
                else if (!JsonNode.DeepEquals(mergedEntries[name], entry))
                {
                    logger.LogWarning("{Service} describes {Kind} {Name} differently from another service; the API document keeps the first", service, kind, name);
                }
            }
        }

        var tags = merged["tags"]!.AsArray();
        foreach (var tag in document["tags"]?.AsArray() ?? [])
        {
            if (!tags.Any(known => known?["name"]?.GetValue<string>() == tag?["name"]?.GetValue<string>()))
            {
                tags.Add(tag?.DeepClone());
            }
        }
    }
}
