using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ShopModular.Tests.Infrastructure;

/// <summary>Our development registry as a real process on a free loopback port, as <c>./shop run --split</c> runs it.</summary>
public sealed class RegistryProcess : IAsyncLifetime
{
    private Process _process = null!;

    public int Port { get; } = Repository.FreePort();

    /// <summary>The user every change to the registry needs; a fresh pair per registry, as <c>./shop</c> makes one per state folder.</summary>
    public string UserName { get; } = "shop";

    public string Password { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The value for <c>eureka:client:serviceUrl:defaultZone</c>, with the credentials as its userinfo.</summary>
    public string ServiceUrl => $"http://{UserName}:{Password}@127.0.0.1:{Port}/eureka/";

    /// <summary>A client of the registry's REST API that asks for JSON, with the registry's credentials.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>The same client without credentials, as anyone else on the machine could call the registry.</summary>
    public HttpClient AnonymousClient()
    {
        var anonymous = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
        anonymous.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        return anonymous;
    }

    /// <summary>The Basic header of these credentials.</summary>
    public static System.Net.Http.Headers.AuthenticationHeaderValue BasicHeader(string userName, string password) =>
        new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{userName}:{password}")));

    /// <summary>Starts a registry process as <c>./shop run --split</c> does; without credentials only to see it refuse.</summary>
    public static Process Start(int port, string? userName, string? password, string environment = "Development")
    {
        var start = DevServerProcess.StartInfo("ShopModular.Registry", port, environment);
        start.Environment["Registry__EvictionInterval"] = "00:00:00.500";
        if (userName is not null && password is not null)
        {
            start.Environment["Registry__UserName"] = userName;
            start.Environment["Registry__Password"] = password;
        }

        return Process.Start(start)!;
    }

    public async Task InitializeAsync()
    {
        _process = Start(Port, UserName, Password);
        Client = AnonymousClient();
        Client.DefaultRequestHeaders.Authorization = BasicHeader(UserName, Password);
        await DevServerProcess.WaitUntilAnswersAsync(_process, Client, "/health", "registry");
    }

    /// <summary>
    /// Registers an instance on <paramref name="hostName"/>:<paramref name="port"/> through the REST API, as a client
    /// would (with the credentials), with id <c>{hostName}:{app}:{port}</c>, which it returns; the registry must take it (204).
    /// It declares <paramref name="routePrefixes"/> for the gateway, when given.
    /// </summary>
    public async Task<string> RegisterAsync(string app, int port, string status = "UP", string? vipAddress = null, string hostName = "127.0.0.1", string? routePrefixes = null)
    {
        var id = $"{hostName}:{app.ToLowerInvariant()}:{port}";
        var instance = new JsonObject
        {
            ["instanceId"] = id,
            ["hostName"] = hostName,
            ["app"] = app.ToUpperInvariant(),
            ["ipAddr"] = "127.0.0.1",
            ["status"] = status,
            ["port"] = new JsonObject { ["$"] = port, ["@enabled"] = "true" },
            ["vipAddress"] = vipAddress ?? app.ToLowerInvariant(),
            ["dataCenterInfo"] = new JsonObject { ["@class"] = "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", ["name"] = "MyOwn" },
            ["metadata"] = routePrefixes is null ? new JsonObject() : new JsonObject { [ShopModular.ServiceDefaults.Discovery.RoutePrefixes.MetadataKey] = routePrefixes },
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
