using System.Threading.RateLimiting;
using Prometheus;
using ShopModular.Platform.Discovery;
using ShopModular.Platform.Observability;
using ShopModular.Platform.Security;

namespace ShopModular.Gateway;

/// <summary>
/// The API gateway of the split topology: the whole public API on one port, each request forwarded to an instance
/// of its service found in the registry. (A named class rather than top-level statements, whose public
/// <c>Program</c> would clash with the shop host's in the test project.)
/// </summary>
public static class GatewayProgram
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        PrometheusDefaults.PublishOnlyWolverineMeters();
        builder.Services.Configure<GatewaySettings>(builder.Configuration.GetSection(GatewaySettings.Section));
        var settings = builder.Configuration.GetSection(GatewaySettings.Section).Get<GatewaySettings>() ?? new GatewaySettings();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = settings.MaxRequestBodySize;
            kestrel.Limits.MaxRequestHeadersTotalSize = settings.MaxRequestHeadersTotalSize;
        });
        builder.Services.AddProblemDetails();
        builder.AddShopAuthentication();
        builder.AddEurekaClient("gateway");
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton<ServiceForwarder>();
        BackendNetworks.AddBackendNetworks(builder.Services, settings, builder.Environment);
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                RateLimitPartition.GetFixedWindowLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.RateLimitPermits, Window = settings.RateLimitWindow }));
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : settings.RateLimitWindow;
                rejected.HttpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                rejected.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too Many Requests",
                    detail: $"At most {settings.RateLimitPermits} requests per {settings.RateLimitWindow}.").ExecuteAsync(rejected.HttpContext);
            };
        });

        var app = builder.Build();
        app.UseHttpMetrics();
        app.MapGet("/health/live", () => Results.Ok()).DisableRateLimiting();
        // Ready while it knows where the services are: its copy of the registry is no older than the limit.
        var staleAfter = settings.RegistryStaleAfter
            ?? TimeSpan.FromSeconds((3 * (builder.Configuration.GetValue<int?>("eureka:client:registryFetchIntervalSeconds") ?? 30)) + 10);
        app.MapGet("/health/ready", (EurekaClient registry, TimeProvider clock) =>
        {
            var age = clock.GetUtcNow() - registry.LastGoodFetch;
            var ready = age is { } fresh && fresh <= staleAfter;
            return Results.Json(
                new { status = ready ? "Healthy" : "Unhealthy", registryFetchAgeSeconds = age?.TotalSeconds, staleAfterSeconds = staleAfter.TotalSeconds },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).DisableRateLimiting();
        var forwarder = app.Services.GetRequiredService<ServiceForwarder>();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(forwarder.ReportInstances);
        app.MapMetrics("/metrics").DisableRateLimiting();
        app.UseRateLimiter();
        // Everything else is the public API, forwarded (or answered 404 when no route owns the path).
        app.MapFallback("{**path}", forwarder.ForwardAsync);
        await app.RunAsync();
    }
}
