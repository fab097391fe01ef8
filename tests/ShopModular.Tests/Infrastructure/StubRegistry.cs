using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using ShopModular.ServiceDefaults.Discovery;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// A stand-in for the registry whose full listing (<c>GET /eureka/apps</c>) a spec writes itself: for what the real
/// registry now refuses to store (a host with a space, a document that is not JSON), which a compromised or
/// foreign registry could still send. It has no delta (404), so clients fetch the listing in full each time, and
/// it notes the Authorization header of every request.
/// </summary>
public sealed class StubRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile string _listing = """{"applications":{"versions__delta":"1","apps__hashcode":"","application":[]}}""";

    private StubRegistry(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The value for <c>eureka:client:serviceUrl:defaultZone</c>, with <paramref name="userInfo"/> when given.</summary>
    public string ServiceUrl(string? userInfo = null) => $"http://{(userInfo is null ? "" : userInfo + "@")}127.0.0.1:{Port}/eureka/";

    /// <summary>The Authorization headers of the requests so far ("" for none).</summary>
    public ConcurrentQueue<string> Authorizations { get; } = new();

    /// <summary>What the next fetches get, as is (it need not be JSON).</summary>
    public void Serve(string listing) => _listing = listing;

    /// <summary>A listing of these applications and their instances.</summary>
    public void Serve(params (string App, JsonNode Instance)[] instances) =>
        Serve(new JsonObject
        {
            ["applications"] = new JsonObject
            {
                ["versions__delta"] = "1",
                ["apps__hashcode"] = $"UP_{instances.Length}_",
                ["application"] = new JsonArray([.. instances.GroupBy(entry => entry.App).Select(group => (JsonNode)new JsonObject
                {
                    ["name"] = group.Key,
                    ["instance"] = new JsonArray([.. group.Select(entry => entry.Instance.DeepClone())]),
                })]),
            },
        }.ToJsonString());

    /// <summary>An UP instance as a registry lists it, at <paramref name="hostName"/>:<paramref name="port"/>, declaring <paramref name="routePrefixes"/>.</summary>
    public static JsonObject Instance(string app, string hostName, JsonNode? port, params string[] routePrefixes) => new()
    {
        ["metadata"] = new JsonObject { [RoutePrefixes.MetadataKey] = RoutePrefixes.Format(routePrefixes) },
        ["instanceId"] = $"{hostName}:{app.ToLowerInvariant()}:{port?.ToJsonString()}",
        ["hostName"] = hostName,
        ["app"] = app,
        ["ipAddr"] = "127.0.0.1",
        ["status"] = "UP",
        ["port"] = new JsonObject { ["$"] = port, ["@enabled"] = "true" },
        ["vipAddress"] = app.ToLowerInvariant(),
        ["dataCenterInfo"] = new JsonObject { ["@class"] = "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", ["name"] = "MyOwn" },
    };

    public static async Task<StubRegistry> StartAsync()
    {
        var port = Repository.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        var app = builder.Build();
        var stub = new StubRegistry(app, port);
        app.Use(async (context, next) =>
        {
            stub.Authorizations.Enqueue(context.Request.Headers.Authorization.ToString());
            await next(context);
        });
        app.MapGet("/eureka/apps", () => Results.Text(stub._listing, "application/json"));
        // Registrations and heartbeats are taken and forgotten.
        app.MapPost("/eureka/apps/{app}", () => Results.NoContent());
        app.MapPut("/eureka/apps/{app}/{id}", () => Results.Ok());
        await app.StartAsync();
        return stub;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
