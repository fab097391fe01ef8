using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// A collector as small as the specs need: OTLP over HTTP with protobuf (<c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>;
/// the .NET exporter has no JSON), on a loopback port. It keeps every span it is sent, and which services sent metrics
/// and logs. It reads the few fields it needs of opentelemetry-proto's messages with a reader of the protobuf wire
/// format, as no package of the proto types is served here.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentDictionary<(string Signal, string Service), bool> _senders = new();

    private OtlpReceiver(WebApplication app, int port)
    {
        _app = app;
        Endpoint = $"http://127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>The address to give as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public string Endpoint { get; }

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    /// <summary>Whether <paramref name="service"/> has sent telemetry of <paramref name="signal"/> (traces, metrics, logs).</summary>
    public bool HasReceived(string signal, string service) => _senders.ContainsKey((signal, service));

    public static async Task<OtlpReceiver> StartAsync()
    {
        var port = Repository.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, port);
        app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            var body = await BodyAsync(request);
            receiver.Receive(signal, body);
            // An empty Export*ServiceResponse: everything was accepted.
            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync();
        return receiver;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static async Task<byte[]> BodyAsync(HttpRequest request)
    {
        using var body = new MemoryStream();
        if (request.Headers.ContentEncoding == "gzip")
        {
            await using var gzip = new GZipStream(request.Body, CompressionMode.Decompress);
            await gzip.CopyToAsync(body);
        }
        else
        {
            await request.Body.CopyToAsync(body);
        }

        return body.ToArray();
    }

    /// <summary>
    /// Export{Trace,Metrics,Logs}ServiceRequest: field 1, Resource{Spans,Metrics,Logs}, each with its Resource in field 1;
    /// ResourceSpans has its ScopeSpans in field 2, each with its scope in field 1 and its spans in field 2.
    /// </summary>
    private void Receive(string signal, byte[] request)
    {
        foreach (var resource in Protobuf.Messages(request, 1))
        {
            var service = Protobuf.Messages(resource, 1).SelectMany(attributes => Protobuf.Messages(attributes, 1))
                .Select(Attribute)
                .FirstOrDefault(attribute => attribute.Key == "service.name").Value ?? "";
            _senders[(signal, service)] = true;
            if (signal != "traces")
            {
                continue;
            }

            foreach (var scopeSpans in Protobuf.Messages(resource, 2))
            {
                var scope = Protobuf.Messages(scopeSpans, 1).Select(name => Protobuf.String(name, 1)).FirstOrDefault() ?? "";
                foreach (var span in Protobuf.Messages(scopeSpans, 2))
                {
                    _spans.Enqueue(new ReceivedSpan(
                        service,
                        scope,
                        Protobuf.Hex(span, 1),
                        Protobuf.Hex(span, 2),
                        Protobuf.Hex(span, 4),
                        Protobuf.String(span, 5) ?? "",
                        [.. Protobuf.Messages(span, 13).Select(link => new SpanContext(Protobuf.Hex(link, 1), Protobuf.Hex(link, 2)))]));
                }
            }
        }
    }

    /// <summary>KeyValue: key in field 1, AnyValue in field 2, whose string_value is field 1.</summary>
    private static (string? Key, string? Value) Attribute(ReadOnlyMemory<byte> keyValue) =>
        (Protobuf.String(keyValue, 1), Protobuf.Messages(keyValue, 2).Select(value => Protobuf.String(value, 1)).FirstOrDefault());

    /// <summary>The protobuf wire format, read only as far as the fields above need.</summary>
    private static class Protobuf
    {
        /// <summary>Every length-delimited value of field <paramref name="number"/> in <paramref name="message"/>.</summary>
        public static IEnumerable<ReadOnlyMemory<byte>> Messages(ReadOnlyMemory<byte> message, int number)
        {
            var position = 0;
            while (position < message.Length)
            {
                var key = Varint(message.Span, ref position);
                var (field, wireType) = ((int)(key >> 3), (int)(key & 7));
                switch (wireType)
                {
                    case 0:
                        Varint(message.Span, ref position);
                        break;
                    case 1:
                        position += 8;
                        break;
                    case 2:
                        var length = (int)Varint(message.Span, ref position);
                        if (field == number)
                        {
                            yield return message.Slice(position, length);
                        }

                        position += length;
                        break;
                    case 5:
                        position += 4;
                        break;
                    default:
                        throw new InvalidDataException($"Wire type {wireType} is not in OTLP's messages.");
                }
            }
        }

        public static string? String(ReadOnlyMemory<byte> message, int number) =>
            Messages(message, number).Select(value => System.Text.Encoding.UTF8.GetString(value.Span)).FirstOrDefault();

        /// <summary>A trace or span id, in lower-case hex as in <c>traceparent</c>; empty when absent.</summary>
        public static string Hex(ReadOnlyMemory<byte> message, int number) =>
            Messages(message, number).Select(value => Convert.ToHexStringLower(value.Span)).FirstOrDefault() ?? "";

        private static ulong Varint(ReadOnlySpan<byte> bytes, ref int position)
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var next = bytes[position++];
                value |= (ulong)(next & 0x7f) << shift;
                if (next < 0x80)
                {
                    return value;
                }
            }
        }
    }
}

/// <summary>One span as a process exported it: which service, which instrumentation (scope), its place in its trace.</summary>
public sealed record ReceivedSpan(
    string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, IReadOnlyList<SpanContext> Links)
{
    public override string ToString() => $"{Service} {Scope} '{Name}' {TraceId}/{SpanId} <- {ParentSpanId}";
}

/// <summary>A span's place in a trace (a link's target).</summary>
public sealed record SpanContext(string TraceId, string SpanId);
