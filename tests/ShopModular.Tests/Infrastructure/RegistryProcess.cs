using System.Diagnostics;
using System.Text.Json.Nodes;

namespace ShopModular.Tests.Infrastructure;

/// <summary>Our development registry as a real process on a free loopback port, as <c>./shop run --split</c> runs it.</summary>
public sealed class RegistryProcess : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private Process _process = null!;

    public int Port { get; } = Repository.FreePort();

    /// <summary>The value for <c>eureka:client:serviceUrl:defaultZone</c>.</summary>
    public string ServiceUrl => $"http://127.0.0.1:{Port}/eureka/";

    /// <summary>A client of the registry's REST API that asks for JSON.</summary>
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "ShopModular.Registry.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}";
        start.Environment["Registry__EvictionInterval"] = "00:00:00.500";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        _process = Process.Start(start)!;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
        Client.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        await Eventually.UntilAsync(
            async () => _process.HasExited || await Eventually.AnswersAsync(Client, "/health"),
            StartTimeout,
            () => "The registry did not start.");
        Assert.False(_process.HasExited, "The registry exited at start-up.");
    }

    /// <summary>The registry's view of one instance, or null when it does not know it.</summary>
    public async Task<JsonNode?> InstanceAsync(string app, string instanceId)
    {
        using var response = await Client.GetAsync($"/eureka/apps/{app}/{instanceId}");
        return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!["instance"] : null;
    }

    public Task DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
        return Task.CompletedTask;
    }
}
