using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using ShopModular.Orders;
using ShopModular.Products;
using ShopModular.Users;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The split topology in one test process: real hosts (<c>Shop:Modules</c> naming one module) on loopback ports, a
/// database per module, talking through a real RabbitMQ broker (a virtual host of their own), each registered in a
/// real registry process; clients reach them only through the real gateway. Orders runs twice on its one database,
/// as a scaled-out module does: the gateway spreads requests over both, and they share the work of Orders' queues.
/// </summary>
public class SplitShop : IShopTopology, IAsyncLifetime
{
    private static readonly string[] Instances = [UsersModule.Name, ProductsModule.Name, OrdersModule.Name, OrdersModule.Name];

    private readonly RegistryProcess _registry = new();
    private readonly List<(string Module, LoopbackServer<Program> Server, string ConnectionString)> _instances = [];
    private IAlbaHost? _gateway;

    public IAlbaHost Api => _gateway!;

    public IReadOnlyList<IHost> Hosts => [.. _instances.Select(instance => instance.Server.Host)];

    public bool OverBroker => true;

    public IHost HostOf(string module) => HostsOf(module)[0];

    public IReadOnlyList<IHost> HostsOf(string module) => [.. InstancesOf(module).Select(instance => instance.Server.Host)];

    /// <summary>The instances of a module on their loopback ports, for specs that must call one of them directly.</summary>
    public IReadOnlyList<LoopbackServer<Program>> ServersOf(string module) => [.. InstancesOf(module).Select(instance => instance.Server)];

    public async Task<string> GetFromProcessesOfAsync(string module, string path)
    {
        var texts = new List<string>();
        foreach (var (_, server, _) in InstancesOf(module))
        {
            using var process = server.Client();
            texts.Add(await process.GetStringAsync(path));
        }

        return string.Join('\n', texts);
    }

    public string ConnectionStringOf(string module) => InstancesOf(module).First().ConnectionString;

    public async Task InitializeAsync()
    {
        await _registry.InitializeAsync();
        var broker = await TestBroker.CreateVirtualHostAsync("split");
        // Every host declares every module's queue as it starts, so none can miss a message sent before its
        // own start; starting them one after the other keeps start-up cheap on a small machine.
        foreach (var module in Instances)
        {
            var connectionString = _instances.FirstOrDefault(instance => instance.Module == module).ConnectionString
                ?? await TestDatabase.CreateAsync($"split_{module}");
            var server = LoopbackServer<Program>.Start(builder => ShopHost.Configure(builder, connectionString, module, broker, builder =>
            {
                builder.UseSetting($"ConnectionStrings:{module}", connectionString);
                builder.UseSetting("eureka:client:enabled", "true");
                builder.UseSetting("eureka:client:serviceUrl:defaultZone", _registry.ServiceUrl);
                builder.UseSetting("eureka:client:shouldFetchRegistry", "false");
                builder.UseSetting("eureka:instance:hostName", "127.0.0.1");
                // The gateway reaches Users from loopback and names the client in X-Forwarded-For.
                builder.UseSetting("Shop:Users:Login:TrustedProxies", "127.0.0.1");
                ConfigureInstance(builder);
            }));
            _instances.Add((module, server, connectionString));
        }

        _gateway = await TestGateway.StartAsync(_registry.ServiceUrl);
        await TestGateway.SeesAsync(_gateway, [.. Instances.Distinct()]);
    }

    /// <summary>Settings of this fixture's own for every module's process.</summary>
    protected virtual void ConfigureInstance(IWebHostBuilder builder)
    {
    }

    public async Task ResetAsync()
    {
        foreach (var (_, server, connectionString) in _instances.DistinctBy(instance => instance.ConnectionString))
        {
            await ShopHost.ResetAsync(server.Host, connectionString);
        }
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        foreach (var (_, server, _) in _instances)
        {
            await server.DisposeAsync();
        }

        await _registry.DisposeAsync();
    }

    private IEnumerable<(string Module, LoopbackServer<Program> Server, string ConnectionString)> InstancesOf(string module) =>
        _instances.Where(instance => instance.Module == module);
}

/// <summary>The split topology whose sagas time out after <see cref="SagaTimeouts.Short"/>, for the saga watchdog's specs.</summary>
public sealed class SplitShopWithShortSagaTimeout : SplitShop
{
    protected override void ConfigureInstance(IWebHostBuilder builder) => SagaTimeouts.Shorten(builder);
}
