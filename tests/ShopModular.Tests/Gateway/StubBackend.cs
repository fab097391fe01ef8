using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using ShopModular.ServiceDefaults.Discovery;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Gateway;

/// <summary>
/// A backend that the gateway finds in the registry like any module process (it registers with our Eureka client),
/// but whose answers a spec controls: it echoes the headers it received, or never answers.
/// </summary>
public sealed class StubBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Requests that reached the backend, whatever their path.</summary>
    public int RequestsReceived => _requestsReceived;

    private int _requestsReceived;

    /// <summary>GET or POST: the headers the backend received, as a JSON object.</summary>
    public const string EchoPath = "/api/products/echo";

    /// <summary>Never answers, until the caller gives up.</summary>
    public const string SilentPath = "/api/products/silent";

    /// <summary>
    /// A backend registered as <paramref name="app"/>, declaring <c>/api/{app}</c>, in the registry at
    /// <paramref name="registryUrl"/>; not registered when null.
    /// </summary>
    public static async Task<StubBackend> StartAsync(string app, string? registryUrl)
    {
        var port = Repository.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Configuration["eureka:client:serviceUrl:defaultZone"] = registryUrl ?? "http://127.0.0.1:1/eureka/";
        builder.Configuration["eureka:client:shouldRegisterWithEureka"] = registryUrl is null ? "false" : "true";
        builder.Configuration["eureka:client:shouldFetchRegistry"] = "false";
        builder.Configuration["eureka:instance:hostName"] = "127.0.0.1";
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        builder.AddEurekaClient(app, [$"/api/{app}"]);
        var web = builder.Build();
        StubBackend? backend = null;
        web.Use(async (context, next) =>
        {
            Interlocked.Increment(ref backend!._requestsReceived);
            await next(context);
        });
        web.MapMethods(EchoPath, [HttpMethods.Get, HttpMethods.Post], (HttpRequest request) =>
            Results.Json(request.Headers.ToDictionary(header => header.Key.ToLowerInvariant(), header => header.Value.ToString())));
        web.MapGet(SilentPath, async (CancellationToken aborted) =>
        {
            await Task.Delay(Timeout.Infinite, aborted);
            return Results.Ok();
        });
        backend = new StubBackend(web, port);
        await web.StartAsync();
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
