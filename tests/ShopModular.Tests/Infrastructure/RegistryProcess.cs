using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
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

    /// <summary>
    /// Registers an instance on 127.0.0.1:<paramref name="port"/> through the REST API, as a client would, with id
    /// <c>127.0.0.1:{app}:{port}</c>, which it returns; the registry must take it (204).
    /// </summary>
    public async Task<string> RegisterAsync(string app, int port, string status = "UP")
    {
        var id = $"127.0.0.1:{app.ToLowerInvariant()}:{port}";
        var instance = new JsonObject
        {
            ["instanceId"] = id,
            ["hostName"] = "127.0.0.1",
            ["app"] = app.ToUpperInvariant(),
            ["ipAddr"] = "127.0.0.1",
            ["status"] = status,
            ["port"] = new JsonObject { ["$"] = port, ["@enabled"] = "true" },
            ["vipAddress"] = app.ToLowerInvariant(),
            ["dataCenterInfo"] = new JsonObject { ["@class"] = "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", ["name"] = "MyOwn" },
        };
        using var response = await Client.PostAsJsonAsync($"/eureka/apps/{app.ToUpperInvariant()}", new JsonObject { ["instance"] = instance });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        return id;
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
