using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ShopModular.ServiceDefaults.Configuration;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.ConfigClient;

/// <summary>
/// A small real web host with the config client added as the shop's hosts add it (first, over local settings), on a
/// loopback port, with <c>/health/ready</c> as the platform maps it and its log entries kept for the spec to read.
/// </summary>
internal sealed class ClientHost : IAsyncDisposable
{
    private ClientHost(WebApplication app, CapturedLogs logs, int port)
    {
        App = app;
        Logs = logs;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public WebApplication App { get; }

    public CapturedLogs Logs { get; }

    public HttpClient Http { get; }

    public IConfiguration Configuration => App.Configuration;

    public ConfigServerClient Client => App.Services.GetRequiredService<ConfigServerClient>();

    /// <summary>A builder with <paramref name="settings"/> as its local configuration and the config client added, as <c>users</c> in Development.</summary>
    public static WebApplicationBuilder Builder(Dictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(settings);
        configure?.Invoke(builder);
        builder.AddShopConfigServer("users");
        return builder;
    }

    /// <summary>Builds and starts the host; <paramref name="services"/> adds what the spec reads.</summary>
    public static async Task<ClientHost> StartAsync(Dictionary<string, string?> settings, Action<WebApplicationBuilder>? services = null)
    {
        var logs = new CapturedLogs();
        var port = Repository.FreePort();
        var builder = Builder(settings, builder =>
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.Logging.ClearProviders().AddProvider(logs);
        });
        services?.Invoke(builder);
        var app = builder.Build();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        await app.StartAsync();
        return new ClientHost(app, logs, port);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>Every log entry of a host, for specs about what it says (and how often).</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Entries => [.. _entries];

    /// <summary>The warnings of the categories whose name contains <paramref name="category"/>.</summary>
    public IReadOnlyList<string> Warnings(string category) =>
        [.. _entries.Where(entry => entry.Level == LogLevel.Warning && entry.Category.Contains(category, StringComparison.Ordinal)).Select(entry => entry.Message)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                logs._entries.Enqueue((logLevel, category, formatter(state, exception)));
            }
        }
    }
}
