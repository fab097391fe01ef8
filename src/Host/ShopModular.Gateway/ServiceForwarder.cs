using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using ShopModular.Platform.Discovery;
using Yarp.ReverseProxy.Forwarder;

namespace ShopModular.Gateway;

/// <summary>
/// Forwards each public API request, with YARP's forwarder, to an UP instance of the service that owns the route,
/// taken round-robin from the registry. A request that could not reach an instance is tried on the next one when
/// it is idempotent and nothing was sent back yet. Answers the client itself, with problem details, when no route
/// matches (404), the token is missing or invalid (401, before any backend is called), no instance is UP (503),
/// the backend timed out (504) or could not be reached (502).
/// </summary>
public sealed class ServiceForwarder(
    IHttpForwarder forwarder,
    EurekaClient registry,
    IOptions<GatewaySettings> settings,
    ILogger<ServiceForwarder> logger)
{
    private const string CorrelationHeader = "X-Correlation-Id";

    private readonly ConcurrentDictionary<string, int> _nextInstance = new();
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
        var correlationId = context.Request.Headers[CorrelationHeader].FirstOrDefault() is { Length: > 0 and <= 128 } given
            ? given
            : Guid.NewGuid().ToString("N");
        context.Request.Headers[CorrelationHeader] = correlationId;
        context.Response.Headers[CorrelationHeader] = correlationId;

        if (GatewayRoutes.ServiceFor(context.Request.Path) is not { } service)
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

        var instances = registry.UpInstances(service);
        if (instances.Count == 0)
        {
            await ProblemAsync(context, StatusCodes.Status503ServiceUnavailable, "Service Unavailable", $"No instance of {service} is up.");
            return;
        }

        var attempts = IsIdempotent(context.Request.Method) ? instances.Count : 1;
        var first = _nextInstance.AddOrUpdate(service, 0, (_, last) => last + 1);
        var error = ForwarderError.None;
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var instance = instances[(int)((uint)(first + attempt) % instances.Count)];
            error = await forwarder.SendAsync(
                context,
                instance.BaseAddress.ToString(),
                _backends,
                new ForwarderRequestConfig { ActivityTimeout = settings.Value.BackendTimeout },
                HttpTransformer.Default);
            if (error == ForwarderError.None || context.Response.HasStarted || error != ForwarderError.Request)
            {
                break;
            }

            logger.LogWarning("{Service} instance {Instance} did not answer; trying the next", service, instance.InstanceId);
            context.Response.StatusCode = StatusCodes.Status200OK;
        }

        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            var timedOut = error == ForwarderError.RequestTimedOut;
            await ProblemAsync(
                context,
                timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway,
                timedOut ? "Gateway Timeout" : "Bad Gateway",
                timedOut ? $"{service} did not answer within {settings.Value.BackendTimeout}." : $"{service} could not be reached.");
        }
    }

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    private static Task ProblemAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(context);
    }
}
