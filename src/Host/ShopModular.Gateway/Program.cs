using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Prometheus;
using Scalar.AspNetCore;
using ShopModular.ServiceDefaults.Configuration;
using ShopModular.ServiceDefaults.Discovery;
using ShopModular.ServiceDefaults.Observability;
using ShopModular.ServiceDefaults.Security;

namespace ShopModular.Gateway;

/// <summary>
/// The API gateway of the split topology: the whole public API on one port, each request forwarded to an instance
/// of its service found in the registry. (A named class rather than top-level statements, whose public
/// <c>Program</c> would clash with the shop host's in the test project.)
/// </summary>
public static class GatewayProgram
{
    /// <summary>The name the gateway registers under, and asks the config server for.</summary>
    public const string AppName = "gateway";

    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        // First: every setting below may come from the config server.
        builder.AddShopConfigServer(AppName);
        builder.AddShopTelemetry(AppName);
        PrometheusDefaults.PublishOnlyWolverineMeters();
        builder.Services.AddLiveOptions<GatewaySettings>(builder.Configuration.GetSection(GatewaySettings.Section))
            .Validate(gateway => gateway.RateLimitPermits >= 1 && gateway.RateLimitWindow > TimeSpan.Zero,
                $"{GatewaySettings.Section}:RateLimitPermits must be at least 1 and {GatewaySettings.Section}:RateLimitWindow longer than zero.");
        var settings = builder.Configuration.GetSection(GatewaySettings.Section).Get<GatewaySettings>() ?? new GatewaySettings();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = settings.MaxRequestBodySize;
            kestrel.Limits.MaxRequestHeadersTotalSize = settings.MaxRequestHeadersTotalSize;
        });
        builder.Services.AddProblemDetails();
        builder.AddShopAuthentication();
        builder.AddEurekaClient(AppName);
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton<GatewayRoutes>();
        builder.Services.AddSingleton<ServiceForwarder>();
        builder.Services.AddSingleton<ApiDocument>();
        BackendNetworks.AddBackendNetworks(builder.Services, settings, builder.Environment);
        builder.Services.AddRateLimiter(_ => { });
        // The limit is read for each request, so that a changed Gateway:RateLimitPermits applies at once without a
        // restart: a new limit makes new partitions, whose counts start afresh (the old ones lapse when idle).
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptionsMonitor<GatewaySettings>>((limiter, gateway) =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var current = gateway.CurrentValue;
                var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return RateLimitPartition.GetFixedWindowLimiter(
                    $"{client}/{current.RateLimitPermits}/{current.RateLimitWindow.Ticks}",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = current.RateLimitPermits, Window = current.RateLimitWindow });
            });
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var current = gateway.CurrentValue;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : current.RateLimitWindow;
                rejected.HttpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                rejected.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too Many Requests",
                    detail: $"At most {current.RateLimitPermits} requests per {current.RateLimitWindow}.").ExecuteAsync(rejected.HttpContext);
            };
        });

        var app = builder.Build();
        app.UseHttpMetrics();
        app.MapGet("/health/live", () => Results.Ok()).DisableRateLimiting();
        // Ready while it knows where the services are: its copy of the registry is no older than the limit.
        var staleAfter = settings.RegistryStaleAfter
            ?? TimeSpan.FromSeconds((3 * (builder.Configuration.GetValue<int?>("eureka:client:registryFetchIntervalSeconds") ?? 30)) + 10);
        // And, when it takes its settings from the config server, once it has had them.
        var configServer = app.Services.GetService<ConfigServerClient>();
        app.MapGet("/health/ready", (EurekaClient registry, TimeProvider clock) =>
        {
            var age = clock.GetUtcNow() - registry.LastGoodFetch;
            var configured = configServer is null || configServer.LastLoaded is not null;
            var ready = age is { } fresh && fresh <= staleAfter && configured;
            return Results.Json(
                new
                {
                    status = ready ? "Healthy" : "Unhealthy",
                    registryFetchAgeSeconds = age?.TotalSeconds,
                    staleAfterSeconds = staleAfter.TotalSeconds,
                    // Why it is not loaded goes to the log only: this answer is public, the config server's address is not.
                    configServer = configServer is null ? null : configured ? "loaded" : "not loaded",
                },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).DisableRateLimiting();
        var forwarder = app.Services.GetRequiredService<ServiceForwarder>();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(forwarder.ReportInstances);
        app.MapMetrics("/metrics").DisableRateLimiting();
        app.UseRateLimiter();
        // The API page of the whole API, as the monolith has it: the modules' documents merged.
        app.MapGet(ApiDocument.Path, (ApiDocument document, CancellationToken cancellationToken) => document.MergedAsync(cancellationToken));
        app.MapScalarApiReference("/api-docs");
        app.MapGet("/", () => Results.Redirect("/api-docs"));
        // Everything else is the public API, forwarded (or answered 404 when no route owns the path).
        app.MapFallback("{**path}", forwarder.ForwardAsync);
        await app.RunAsync();
    }
}
