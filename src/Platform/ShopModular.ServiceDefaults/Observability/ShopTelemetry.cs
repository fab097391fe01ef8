using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ShopModular.ServiceDefaults.Observability;

/// <summary>
/// OpenTelemetry traces, metrics and logs over OTLP, in every process (module hosts and gateway), switched on by the
/// standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>: without it nothing is registered, so the monolith, the benchmarks and
/// the hot path pay nothing. The exporter takes the rest of the standard keys itself (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c>:
/// <c>grpc</c>, its default, or <c>http/protobuf</c>; headers, timeouts). Prometheus scraping (<c>/metrics</c>) is
/// unchanged and independent of this.
/// <para>One order's saga is one trace: the gateway forwards the trace context to the Orders process (W3C
/// <c>traceparent</c>), Wolverine carries it from a handler to the messages it publishes (the envelope's
/// <c>parent-id</c>: a RabbitMQ header, and part of the envelope the durable outbox stores), and a batched step publishes each
/// message it causes in the trace of the message that caused it (the platform's <c>BatchedStep</c>).</para>
/// <para>What every process has: ASP.NET Core, HttpClient, logs and the platform's own spans. The module hosting adds
/// Npgsql's and Wolverine's to the builder this returns.</para>
/// </summary>
public static class ShopTelemetry
{
    /// <summary>The standard key whose value (the collector's address) switches telemetry on.</summary>
    public const string EndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The platform's own spans: a batched saga step's transaction, and the messages it publishes.</summary>
    public static ActivitySource Source { get; } = new("ShopModular");

    /// <summary>Whether this process exports telemetry (<see cref="EndpointKey"/> is set).</summary>
    public static bool IsEnabled(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[EndpointKey]);

    /// <summary>
    /// Exports this process's traces, metrics and logs as <paramref name="serviceName"/> (<c>service.name</c>: the
    /// module's name in the split topology, <c>gateway</c>, or the monolith's name), when <see cref="EndpointKey"/> is set;
    /// null otherwise.
    /// </summary>
    public static IOpenTelemetryBuilder? AddShopTelemetry(this WebApplicationBuilder builder, string serviceName)
    {
        if (!IsEnabled(builder.Configuration))
        {
            return null;
        }

        return builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing
                // Polling in the background (registry heartbeats, config server, the message store's agents) would
                // start a trace every few seconds per process: an outgoing call with no parent starts none.
                .SetSampler(new ParentBasedSampler(new NoRootClientCalls()))
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbe(context.Request.Path))
                // The gateway's forwarding too: YARP's forwarder sends through SocketsHttpHandler, traced as HttpClient.
                .AddHttpClientInstrumentation()
                .AddSource(Source.Name))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation())
            .WithLogging(configureBuilder: null, configureOptions: logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
            })
            .UseOtlpExporter();
    }

    // Health probes and Prometheus scrapes come every few seconds and tell nothing about a request.
    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.Ordinal) || path.StartsWithSegments("/metrics", StringComparison.Ordinal);

    /// <summary>Samples every trace, except one that an outgoing call (a client span) would start by itself.</summary>
    private sealed class NoRootClientCalls : Sampler
    {
        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
            new(samplingParameters.Kind == ActivityKind.Client ? SamplingDecision.Drop : SamplingDecision.RecordAndSample);
    }
}
