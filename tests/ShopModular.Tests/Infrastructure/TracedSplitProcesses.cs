namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The split topology (<see cref="SplitProcesses"/>) with OpenTelemetry switched on in every process, as a user switches it
/// on: the standard OTLP keys in the environment of the app host (its dashboard off), pointing at an <see cref="OtlpReceiver"/>.
/// </summary>
public sealed class TracedSplitProcesses : SplitProcesses
{
    public OtlpReceiver Receiver { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Receiver = await OtlpReceiver.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }

    protected override void AddEnvironment(IDictionary<string, string?> environment)
    {
        environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = Receiver.Endpoint;
        environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        // Export within a fraction of a second rather than the SDK's 5 s (spans, logs) and 60 s (metrics).
        environment["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        environment["OTEL_BLRP_SCHEDULE_DELAY"] = "200";
        environment["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
    }
}
