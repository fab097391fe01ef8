using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace ShopModular.Registry;

/// <summary>
/// The page a person opens at <c>/</c>, as on the genuine Eureka server: the registry at a glance (every application,
/// its instances, their status, when each last renewed its lease, and what they say about themselves). Written by
/// hand from the same document <c>GET /eureka/apps</c> answers with; every value a client sent is HTML-encoded, and
/// the page runs no script and loads nothing (its Content-Security-Policy says so too), since clients choose those
/// values. It is a read of the registry, so it needs the credentials exactly when the REST API's reads do
/// (<see cref="RegistrySettings.ReadsNeedCredentials"/>, see <see cref="RegistryAccess"/>).
/// </summary>
public static class StatusPage
{
    public static void MapStatusPage(this IEndpointRouteBuilder routes)
    {
        var clock = routes.ServiceProvider.GetRequiredService<TimeProvider>();
        var startedAt = clock.GetUtcNow();
        routes.MapGet("/", (HttpResponse response, EurekaRegistry registry, IOptions<RegistrySettings> settings) =>
        {
            response.Headers.CacheControl = "no-store";
            response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
            response.Headers.XContentTypeOptions = "nosniff";
            return Results.Content(Render(registry.Applications(), clock.GetUtcNow(), startedAt, settings.Value), "text/html; charset=utf-8");
        });
    }

    /// <summary>The page for <paramref name="document"/> (the <c>/eureka/apps</c> document) as seen at <paramref name="now"/>.</summary>
    public static string Render(JsonObject document, DateTimeOffset now, DateTimeOffset startedAt, RegistrySettings settings)
    {
        var applications = (document["applications"]?["application"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var instanceCount = applications.Sum(application => (application["instance"] as JsonArray)?.Count ?? 0);
        var page = new StringBuilder();
        page.Append("""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Registry: ShopModular development registry</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin-bottom: 2em; }
            th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
            th { background: #eee; }
            .UP { color: #176f2c; } .DOWN, .OUT_OF_SERVICE, .UNKNOWN, .lapsed { color: #b3261e; } .STARTING { color: #8a6d00; }
            ul { margin: 0; padding-left: 1.2em; }
            </style>
            </head>
            <body>
            <h1>ShopModular development registry</h1>
            <p>Speaks the Eureka protocol under <code>/eureka</code>; this page shows what <code>GET /eureka/apps</code> lists.</p>
            <h2>System status</h2>
            <table>

            """);
        Row(page, "Current time (UTC)", Time(now));
        Row(page, "Up for", Age(now - startedAt));
        Row(page, "Applications", applications.Count.ToString(CultureInfo.InvariantCulture));
        Row(page, "Instances", instanceCount.ToString(CultureInfo.InvariantCulture));
        Row(page, "Lease eviction", settings.ExpireAfterTwiceTheLease
            ? $"every {Age(settings.EvictionInterval)}, twice the lease after the last renewal (as the genuine server)"
            : $"every {Age(settings.EvictionInterval)}, once the lease has lapsed");
        Row(page, "Reads need credentials", settings.ReadsNeedCredentials ? "yes" : "no");
        page.Append("</table>\n<h2>Instances currently registered</h2>\n");

        if (instanceCount == 0)
        {
            page.Append("<p>No instances registered.</p>\n");
        }
        else
        {
            page.Append("""
                <table>
                <tr><th>Application</th><th>Instance</th><th>Status</th><th>Address</th><th>Last renewal</th><th>Registered</th><th>VIP address</th><th>Metadata</th></tr>

                """);
            foreach (var application in applications.OrderBy(application => Text(application["name"]), StringComparer.Ordinal))
            {
                foreach (var instance in (application["instance"] as JsonArray ?? []).OfType<JsonObject>().OrderBy(instance => Text(instance["instanceId"]), StringComparer.Ordinal))
                {
                    InstanceRow(page, Text(application["name"]), instance, now);
                }
            }

            page.Append("</table>\n");
        }

        page.Append("</body>\n</html>\n");
        return page.ToString();
    }

    private static void InstanceRow(StringBuilder page, string application, JsonObject instance, DateTimeOffset now)
    {
        var status = Text(instance["status"]);
        var overridden = Text(instance["overriddenStatus"]);
        var lease = instance["leaseInfo"] as JsonObject;
        var duration = TimeSpan.FromSeconds(Number(lease?["durationInSecs"]) ?? 0);
        var sinceRenewal = now - DateTimeOffset.FromUnixTimeMilliseconds(Number(lease?["lastRenewalTimestamp"]) ?? 0);
        var port = Number(instance["port"]?["$"]);

        page.Append("<tr><td>").Append(Encode(application)).Append("</td><td>").Append(Encode(Text(instance["instanceId"]))).Append("</td>");
        page.Append("<td class=\"").Append(Encode(status)).Append("\">").Append(Encode(status));
        if (overridden is not ("" or "UNKNOWN"))
        {
            page.Append(" (set by an operator)");
        }

        page.Append("</td><td>").Append(Encode(Text(instance["hostName"]))).Append(port is null ? "" : ":" + port.Value.ToString(CultureInfo.InvariantCulture));
        if (Text(instance["ipAddr"]) is { Length: > 0 } ip && ip != Text(instance["hostName"]))
        {
            page.Append(" (").Append(Encode(ip)).Append(')');
        }

        page.Append("</td><td").Append(sinceRenewal > duration ? " class=\"lapsed\"" : "").Append('>')
            .Append(Encode(Age(sinceRenewal))).Append(" ago, lease ").Append(Encode(Age(duration)))
            .Append(sinceRenewal > duration ? " (lapsed: to be evicted)" : "").Append("</td>");
        page.Append("<td>").Append(Encode(Time(DateTimeOffset.FromUnixTimeMilliseconds(Number(lease?["registrationTimestamp"]) ?? 0)))).Append("</td>");
        page.Append("<td>").Append(Encode(Text(instance["vipAddress"]))).Append("</td><td>");
        var metadata = (instance["metadata"] as JsonObject ?? []).Where(entry => !entry.Key.StartsWith('@')).OrderBy(entry => entry.Key, StringComparer.Ordinal).ToList();
        if (metadata.Count > 0)
        {
            page.Append("<ul>");
            foreach (var (key, value) in metadata)
            {
                page.Append("<li>").Append(Encode(key)).Append(" = ").Append(Encode(Text(value))).Append("</li>");
            }

            page.Append("</ul>");
        }

        page.Append("</td></tr>\n");
    }

    private static void Row(StringBuilder page, string name, string value) =>
        page.Append("<tr><th>").Append(Encode(name)).Append("</th><td>").Append(Encode(value)).Append("</td></tr>\n");

    private static string Encode(string value) => WebUtility.HtmlEncode(value);

    private static string Text(JsonNode? node) => (node as JsonValue)?.ToString() ?? string.Empty;

    private static long? Number(JsonNode? node) => RegistrationRules.WholeNumber(node);

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>A duration for people: <c>4 s</c>, <c>2 min 5 s</c>, <c>3 h 10 min</c>.</summary>
    private static string Age(TimeSpan age)
    {
        var seconds = Math.Max(0, (long)age.TotalSeconds);
        return seconds switch
        {
            < 60 => $"{seconds} s",
            < 3600 => $"{seconds / 60} min {seconds % 60} s",
            _ => $"{seconds / 3600} h {seconds % 3600 / 60} min",
        };
    }
}
