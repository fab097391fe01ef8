using System.Globalization;

namespace ShopModular.Tests.Infrastructure;

/// <summary>What a process's /metrics answers (Prometheus' text format), read by series.</summary>
public sealed record MetricsText(string Text)
{
    /// <summary>The sample of one series, such as <c>name{label="value"}</c>; 0 while the series does not exist yet.</summary>
    public double Value(string series) => Sum(name => name == series);

    /// <summary>The samples of every series <paramref name="matches"/> accepts, added up.</summary>
    public double Sum(Func<string, bool> matches) =>
        Text.Split('\n')
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => (Series: line[..line.LastIndexOf(' ')], Sample: line[(line.LastIndexOf(' ') + 1)..]))
            .Where(sample => matches(sample.Series))
            .Sum(sample => double.Parse(sample.Sample, CultureInfo.InvariantCulture));

    public static async Task<MetricsText> ReadAsync(HttpClient process) => new(await process.GetStringAsync("/metrics"));
}
