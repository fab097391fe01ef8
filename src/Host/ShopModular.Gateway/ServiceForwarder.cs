using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Prometheus;
using ShopModular.ServiceDefaults.Discovery;
using ShopModular.ServiceDefaults.Http;
using Yarp.ReverseProxy.Forwarder;

namespace ShopModular.Gateway;

/// <summary>
/// Forwards each public API request, with YARP's forwarder, to an UP instance of the service that owns the route,
/// taken round-robin from the registry.
/// <para>A request that could not reach an instance is tried on the next one when it is idempotent, or when no
/// connection could be made at all (so the instance cannot have seen it). That instance is then skipped for
/// <see cref="GatewaySettings.UnreachableInstanceCooldown"/>: one that died costs one failed attempt, not one in
/// every N requests until its lease lapses in the registry.</para>
/// <para>Answers the client itself, with problem details, when no route matches (404), the token is missing or
/// invalid (401, before any backend is called), no instance is UP (503), the backend timed out (504) or could
/// not be reached (502), and when the client's body was too large (413).</para>
/// </summary>
public sealed partial class ServiceForwarder(
    IHttpForwarder forwarder,
    EurekaClient registry,
    GatewayRoutes routes,
    BackendNetworks backendNetworks,
    IOptions<GatewaySettings> settings,
    TimeProvider clock,
    ILogger<ServiceForwarder> logger)
{
    private const string CorrelationHeader = "X-Correlation-Id";

    /// <summary>
    /// The correlation ids passed on and sent back: anything else (control or non-ASCII bytes, which Kestrel cannot
    /// write into a response header, or text meant for whoever reads the logs) is replaced by a fresh id.
    /// </summary>
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeCorrelationId();

    private static readonly Counter BackendAttempts = Metrics.CreateCounter(
        "shop_gateway_backend_attempts_total",
        "Requests the gateway sent to a backend instance, by service and outcome (answered, unreachable, timed_out, failed).",
        "service",
        "outcome");

    private static readonly Gauge InstancesUp = Metrics.CreateGauge(
        "shop_gateway_instances_up", "UP instances of each service in the gateway's copy of the registry.", "service");

    private readonly ConcurrentDictionary<string, int> _nextInstance = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unreachableUntil = new();
    private readonly HttpMessageInvoker _backends = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        // W3C trace context (traceparent, tracestate) from this request's activity.
        ActivityHeadersPropagator = DistributedContextPropagator.CreateDefaultPropagator(),
    });

    public async Task ForwardAsync(HttpContext context)
    {
        var correlationId = context.Request.Headers[CorrelationHeader] is [{ } given] && SafeCorrelationId().IsMatch(given)
            ? given
            : Guid.NewGuid().ToString("N");
        context.Request.Headers[CorrelationHeader] = correlationId;
        context.Response.Headers[CorrelationHeader] = correlationId;

        if (routes.ServiceFor(context.Request.Path) is not { } service)
        {
            await ProblemAsync(context, StatusCodes.Status404NotFound, "Not Found", $"No route for {context.Request.Path}.");
            return;
        }

        if (GatewayRoutes.RequiresToken(context.Request) || context.Request.Headers.Authorization.Count > 0)
        {
            var authentication = await context.AuthenticateAsync();
            if (!authentication.Succeeded)
            {
                await ProblemAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", "A valid bearer token is required.");
                return;
            }
        }

        var instances = AllowedUpInstances(service);
        if (instances.Count == 0)
        {
            await ProblemAsync(context, StatusCodes.Status503ServiceUnavailable, "Service Unavailable", $"No instance of {service} is up.");
            return;
        }

        var error = await SendToAnInstanceAsync(context, service, instances);
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            await AnswerFailureAsync(context, service, error);
        }
    }

    /// <summary>Sends the request to the next reachable instance, and on to the one after while that is safe.</summary>
    private async Task<ForwarderError> SendToAnInstanceAsync(HttpContext context, string service, IReadOnlyList<ServiceInstance> instances)
    {
        var candidates = Reachable(instances);
        var first = _nextInstance.AddOrUpdate(service, 0, (_, last) => last + 1);
        var error = ForwarderError.None;
        for (var attempt = 0; attempt < candidates.Count; attempt++)
        {
            var instance = candidates[(int)((uint)(first + attempt) % candidates.Count)];
            error = await forwarder.SendAsync(
                context,
                instance.BaseAddress.ToString(),
                _backends,
                new ForwarderRequestConfig { ActivityTimeout = settings.Value.BackendTimeout },
                ForwardedHeaders.Transformer);
            BackendAttempts.WithLabels(service, OutcomeOf(error)).Inc();
            if (error != ForwarderError.Request)
            {
                _unreachableUntil.TryRemove(instance.InstanceId, out _);
                return error;
            }

            _unreachableUntil[instance.InstanceId] = clock.GetUtcNow() + settings.Value.UnreachableInstanceCooldown;
            var neverConnected = FailureCauses(context)
                .Any(cause => cause is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError });
            if (context.Response.HasStarted || !(IsIdempotent(context.Request.Method) || neverConnected))
            {
                return error;
            }

            logger.LogWarning("{Service} instance {Instance} did not answer; skipping it for {Cooldown} and trying the next",
                service, instance.InstanceId, settings.Value.UnreachableInstanceCooldown);
            context.Response.StatusCode = StatusCodes.Status200OK;
        }

        return error;
    }

    private Task AnswerFailureAsync(HttpContext context, string service, ForwarderError error)
    {
        var (status, title, detail) = error switch
        {
            ForwarderError.RequestTimedOut => (StatusCodes.Status504GatewayTimeout, "Gateway Timeout", $"{service} did not answer within {settings.Value.BackendTimeout}."),
            // The client's own body could not be read: too large (Kestrel's limit) or malformed.
            ForwarderError.RequestBodyClient when FailureCauses(context).OfType<BadHttpRequestException>().FirstOrDefault() is { } bad =>
                (bad.StatusCode, ReasonPhrases.GetReasonPhrase(bad.StatusCode), bad.Message),
            ForwarderError.RequestBodyClient => (StatusCodes.Status400BadRequest, "Bad Request", "The request body could not be read."),
            _ => (StatusCodes.Status502BadGateway, "Bad Gateway", $"{service} could not be reached."),
        };
        return ProblemAsync(context, status, title, detail);
    }

    /// <summary>The UP instances of the service's own application, at addresses the gateway may forward to.</summary>
    public IReadOnlyList<ServiceInstance> AllowedUpInstances(string service) =>
        registry.UpInstances(service) is var up && up.All(backendNetworks.Allow) ? up : [.. up.Where(backendNetworks.Allow)];

    /// <summary>The instances not skipped after a failed attempt; all of them when every one is (better a try than a refusal).</summary>
    private IReadOnlyList<ServiceInstance> Reachable(IReadOnlyList<ServiceInstance> instances)
    {
        var now = clock.GetUtcNow();
        var reachable = instances.Where(instance => !(_unreachableUntil.TryGetValue(instance.InstanceId, out var until) && until > now)).ToList();
        return reachable.Count > 0 ? reachable : instances;
    }

    /// <summary>What made the forwarder fail, and what that wraps.</summary>
    private static IEnumerable<Exception> FailureCauses(HttpContext context) => (context.GetForwarderErrorFeature()?.Exception).AndItsCauses();

    /// <summary>Sets <c>shop_gateway_instances_up</c> from the registry; call before each scrape.</summary>
    public void ReportInstances()
    {
        foreach (var service in routes.Services)
        {
            InstancesUp.WithLabels(service).Set(AllowedUpInstances(service).Count);
        }
    }

    private static string OutcomeOf(ForwarderError error) => error switch
    {
        ForwarderError.None => "answered",
        ForwarderError.Request => "unreachable",
        ForwarderError.RequestTimedOut => "timed_out",
        _ => "failed",
    };

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    private static Task ProblemAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(context);
    }
}
