using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// One of our hosts (the entry point of <typeparamref name="TEntryPoint"/>'s assembly) on a real loopback port:
/// Kestrel rather than Alba's in-memory server, so that others reach it over HTTP, with Kestrel's limits, exactly
/// as they reach a process.
/// </summary>
public sealed class LoopbackServer<TEntryPoint> : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    private readonly Action<IWebHostBuilder> _configure;

    private LoopbackServer(Action<IWebHostBuilder> configure)
    {
        _configure = configure;
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, Port));
    }

    public int Port { get; } = Repository.FreePort();

    public IHost Host { get; private set; } = null!;

    /// <summary>A client of this server over HTTP.</summary>
    public HttpClient Client() => new() { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };

    /// <summary>Starts the host and returns once it listens.</summary>
    public static LoopbackServer<TEntryPoint> Start(Action<IWebHostBuilder> configure)
    {
        var server = new LoopbackServer<TEntryPoint>(configure);
        server.StartServer();
        return server;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder) => _configure(builder);

    protected override IHost CreateHost(IHostBuilder builder) => Host = base.CreateHost(builder);
}
