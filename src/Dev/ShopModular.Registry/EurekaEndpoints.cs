using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Extensions.Options;

namespace ShopModular.Registry;

/// <summary>The Eureka REST API under <c>/eureka</c> and <c>/eureka/v2</c> (protocol notes, 1.1 and 1.2).</summary>
public static class EurekaEndpoints
{
    /// <summary>Eureka's InstanceStatus values (the genuine server answers 500 to an override to any other; we say 400).</summary>
    internal static readonly HashSet<string> Statuses = new(["UP", "DOWN", "STARTING", "OUT_OF_SERVICE", "UNKNOWN"], StringComparer.OrdinalIgnoreCase);

    public static void MapEureka(this IEndpointRouteBuilder routes)
    {
        foreach (var prefix in new[] { "/eureka", "/eureka/v2" })
        {
            var eureka = routes.MapGroup(prefix);
            eureka.MapPost("/apps/{app}", RegisterAsync);
            eureka.MapPut("/apps/{app}/{id}", (string app, string id, long? lastDirtyTimestamp, EurekaRegistry registry) =>
                registry.Renew(app, id, lastDirtyTimestamp) ? Results.Ok() : Results.NotFound());
            eureka.MapDelete("/apps/{app}/{id}", (string app, string id, EurekaRegistry registry) =>
                registry.Cancel(app, id) ? Results.Ok() : Results.NotFound());
            eureka.MapPut("/apps/{app}/{id}/status", (string app, string id, string? value, long? lastDirtyTimestamp, EurekaRegistry registry) =>
                !Statuses.Contains(value ?? string.Empty) ? Results.Text($"Unknown status '{value}'", statusCode: StatusCodes.Status400BadRequest)
                : registry.OverrideStatus(app, id, value!.ToUpperInvariant(), lastDirtyTimestamp) ? Results.Ok() : Results.NotFound());
            eureka.MapDelete("/apps/{app}/{id}/status", (string app, string id, string? value, long? lastDirtyTimestamp, EurekaRegistry registry) =>
                // As the genuine server's InstanceStatus.toEnum: a fallback that is no status is UNKNOWN.
                registry.RemoveStatusOverride(app, id, Statuses.Contains(value ?? string.Empty) ? value!.ToUpperInvariant() : null, lastDirtyTimestamp)
                    ? Results.Ok() : Results.NotFound());
            eureka.MapPut("/apps/{app}/{id}/metadata", (string app, string id, HttpRequest request, EurekaRegistry registry) =>
                registry.MergeMetadata(app, id, [.. request.Query.Select(entry => KeyValuePair.Create(entry.Key, entry.Value.ToString()))]) switch
                {
                    { Problem: { } problem } => Results.Text(problem, statusCode: StatusCodes.Status400BadRequest),
                    { Found: true } => Results.Ok(),
                    _ => Results.NotFound(),
                });
            eureka.MapGet("/apps", (HttpRequest request, EurekaRegistry registry) => Document(request, registry.Applications()));
            eureka.MapGet("/apps/delta", (HttpRequest request, EurekaRegistry registry) => Document(request, registry.Delta()));
            eureka.MapGet("/apps/{app}", (string app, HttpRequest request, EurekaRegistry registry) =>
                registry.Application(app) is { } application ? Document(request, new JsonObject { ["application"] = application }) : Results.NotFound());
            eureka.MapGet("/apps/{app}/{id}", (string app, string id, HttpRequest request, EurekaRegistry registry) =>
                registry.Instance(app, id) is { } instance ? Document(request, new JsonObject { ["instance"] = instance }) : Results.NotFound());
            eureka.MapGet("/instances/{id}", (string id, HttpRequest request, EurekaRegistry registry) =>
                registry.Instance(app: null, id) is { } instance ? Document(request, new JsonObject { ["instance"] = instance }) : Results.NotFound());
            // Like the genuine server, an unknown VIP is an empty list rather than a 404.
            eureka.MapGet("/vips/{vip}", (string vip, HttpRequest request, EurekaRegistry registry) =>
                Document(request, registry.Applications(instance => string.Equals(instance.VipAddress, vip, StringComparison.OrdinalIgnoreCase))));
            eureka.MapGet("/svips/{svip}", (string svip, HttpRequest request, EurekaRegistry registry) =>
                Document(request, registry.Applications(instance => string.Equals(instance.SecureVipAddress, svip, StringComparison.OrdinalIgnoreCase))));
        }
    }

    private static async Task<IResult> RegisterAsync(string app, HttpRequest request, EurekaRegistry registry, IOptions<RegistrySettings> settings)
    {
        var contentType = request.ContentType ?? string.Empty;
        if (await ReadBodyAsync(request, settings.Value.MaxRequestBodySize) is not { } body)
        {
            return Results.Text($"A registration is at most {settings.Value.MaxRequestBodySize} bytes", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        JsonObject? instance;
        if (contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            instance = ReadJsonInstance(body);
        }
        else if (contentType.Contains("xml", StringComparison.OrdinalIgnoreCase))
        {
            instance = ReadXmlInstance(body);
        }
        else
        {
            return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
        }

        if (instance is null)
        {
            return Results.Text("Missing instance", statusCode: StatusCodes.Status400BadRequest);
        }

        // 204 and no body: eureka-js-client accepts exactly that.
        return registry.Register(app, instance) is { } problem
            ? Results.Text(problem, statusCode: StatusCodes.Status400BadRequest)
            : Results.NoContent();
    }

    /// <summary>
    /// The whole body, or null when it is larger than <paramref name="limit"/>. Kestrel enforces the same limit; this
    /// holds it wherever the registry is hosted, and for bodies that announce no length.
    /// </summary>
    private static async Task<MemoryStream?> ReadBodyAsync(HttpRequest request, long limit)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0)
            {
                if (body.Length + read > limit)
                {
                    return null;
                }

                body.Write(buffer, 0, read);
            }
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        body.Position = 0;
        return body;
    }

    /// <summary>The body <c>{"instance": {…}}</c>; null when it is not one.</summary>
    private static JsonObject? ReadJsonInstance(Stream body)
    {
        try
        {
            // Duplicate names refused while parsing: JsonObject would otherwise fail on them later, when first read.
            return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false })?["instance"] as JsonObject;
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a document whose root is not an object.
            return null;
        }
    }

    /// <summary>The body <c>&lt;instance&gt;…&lt;/instance&gt;</c>, as Java clients send it; null when it is not one.</summary>
    private static JsonObject? ReadXmlInstance(Stream body)
    {
        try
        {
            // XmlReader's defaults refuse DTDs, so no entity in the body is ever expanded.
            var document = XDocument.Load(body, LoadOptions.None);
            return document.Root?.Name.LocalName == "instance" ? EurekaXml.ToJson(document.Root) : null;
        }
        catch (XmlException)
        {
            return null;
        }
    }

    /// <summary>JSON only when the Accept header asks for it; XML otherwise, a missing header included.</summary>
    private static IResult Document(HttpRequest request, JsonObject document) =>
        request.Headers.Accept.ToString().Contains("json", StringComparison.OrdinalIgnoreCase)
            ? Results.Text(document.ToJsonString(), "application/json")
            : Results.Text(EurekaXml.From(document).ToString(System.Xml.Linq.SaveOptions.DisableFormatting), "application/xml");
}
