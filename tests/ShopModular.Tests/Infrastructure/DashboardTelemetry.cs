using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The development dashboard's telemetry, read as a developer reaches it: through the login address the app host's
/// banner prints, whose token the dashboard's telemetry API exchanges for its API key.
/// </summary>
public sealed partial class DashboardTelemetry : IDisposable
{
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(60);
    private readonly HttpClient _api;

    private DashboardTelemetry(HttpClient api) => _api = api;

    public static async Task<DashboardTelemetry> SignInAsync(string bannerOutput)
    {
        var login = LoginAddress().Match(bannerOutput);
        Assert.True(login.Success, $"The banner printed no dashboard login address:\n{bannerOutput}");
        var api = new HttpClient { BaseAddress = new Uri(login.Groups["dashboard"].Value), Timeout = TimeSpan.FromSeconds(30) };
        using var exchange = await api.PostAsJsonAsync("/api/telemetry/validateToken", new { token = login.Groups["token"].Value });
        Assert.True(exchange.IsSuccessStatusCode, $"The dashboard refused the banner's token: {(int)exchange.StatusCode}");
        var key = (await exchange.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString();
        api.DefaultRequestHeaders.Add("x-api-key", key);
        return new DashboardTelemetry(api);
    }

    /// <summary>
    /// Waits until the dashboard holds the trace of the request <paramref name="method"/> <paramref name="path"/> (the
    /// first it has), with spans of every one of <paramref name="services"/> in it.
    /// </summary>
    public async Task TraceOfAsync(string method, string path, IReadOnlyList<string> services)
    {
        var found = new List<string>();
        await Eventually.UntilAsync(
            async () =>
            {
                var spans = await SpansAsync();
                var request = spans.FirstOrDefault(span => span.Name.StartsWith(method, StringComparison.Ordinal) && span.Path == path);
                found = request is null ? [] : [.. spans.Where(span => span.TraceId == request.TraceId).Select(span => span.Service).Distinct()];
                return services.All(found.Contains);
            },
            ExportTimeout,
            () => $"The dashboard has no trace of {method} {path} through {string.Join(", ", services)}; its trace had spans of: {string.Join(", ", found)}");
    }

    private async Task<List<Span>> SpansAsync()
    {
        var document = await _api.GetFromJsonAsync<JsonElement>("/api/telemetry/spans?limit=10000");
        var spans = new List<Span>();
        foreach (var resource in document.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
        {
            var service = Attribute(resource.GetProperty("resource"), "service.name") ?? "?";
            foreach (var span in resource.GetProperty("scopeSpans").EnumerateArray().SelectMany(scope => scope.GetProperty("spans").EnumerateArray()))
            {
                spans.Add(new Span(service, span.GetProperty("traceId").GetString()!, span.GetProperty("name").GetString()!, Attribute(span, "url.path")));
            }
        }

        return spans;
    }

    private static string? Attribute(JsonElement owner, string key) =>
        owner.TryGetProperty("attributes", out var attributes)
            ? attributes.EnumerateArray().Where(attribute => attribute.GetProperty("key").GetString() == key)
                .Select(attribute => attribute.GetProperty("value").TryGetProperty("stringValue", out var text) ? text.GetString() : null).FirstOrDefault()
            : null;

    public void Dispose() => _api.Dispose();

    private sealed record Span(string Service, string TraceId, string Name, string? Path);

    [GeneratedRegex(@"(?<dashboard>http://127\.0\.0\.1:\d+)/login\?t=(?<token>[0-9a-f]+)")]
    private static partial Regex LoginAddress();
}
