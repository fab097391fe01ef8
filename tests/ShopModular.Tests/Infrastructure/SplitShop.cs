using Alba;
using Microsoft.Extensions.Hosting;
using ShopModular.Orders;
using ShopModular.Products;
using ShopModular.Users;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The split topology in one test process: one real host per module (<c>Shop:Modules</c> naming it alone) on a
/// loopback port and a database of its own, the three talking through a real RabbitMQ broker (a virtual host of
/// their own), each registered in a real registry process; clients reach them only through the real gateway.
/// </summary>
public sealed class SplitShop : IShopTopology, IAsyncLifetime
{
    private static readonly string[] Modules = [UsersModule.Name, ProductsModule.Name, OrdersModule.Name];

    private readonly RegistryProcess _registry = new();
    private readonly Dictionary<string, (LoopbackServer<Program> Server, string ConnectionString)> _modules = [];
    private IAlbaHost? _gateway;

    public IAlbaHost Api => _gateway!;

    public IReadOnlyList<IHost> Hosts => [.. _modules.Values.Select(module => module.Server.Host)];

    public bool OverBroker => true;

    public IHost HostOf(string module) => _modules[module].Server.Host;

    public async Task<string> GetFromProcessOfAsync(string module, string path)
    {
        using var process = _modules[module].Server.Client();
        return await process.GetStringAsync(path);
    }

    public string ConnectionStringOf(string module) => _modules[module].ConnectionString;

    public async Task InitializeAsync()
    {
        await _registry.InitializeAsync();
        var broker = await TestBroker.CreateVirtualHostAsync("split");
        // Every host declares every module's queue as it starts, so none can miss a message sent before its
        // own start; starting them one after the other keeps start-up cheap on a small machine.
        foreach (var module in Modules)
        {
            var connectionString = await TestDatabase.CreateAsync($"split_{module}");
            var server = LoopbackServer<Program>.Start(builder => ShopHost.Configure(builder, connectionString, module, broker, builder =>
            {
                builder.UseSetting($"ConnectionStrings:{module}", connectionString);
                builder.UseSetting("eureka:client:enabled", "true");
                builder.UseSetting("eureka:client:serviceUrl:defaultZone", _registry.ServiceUrl);
                builder.UseSetting("eureka:client:shouldFetchRegistry", "false");
                builder.UseSetting("eureka:instance:hostName", "127.0.0.1");
            }));
            _modules[module] = (server, connectionString);
        }

        _gateway = await TestGateway.StartAsync(_registry.ServiceUrl);
        await TestGateway.SeesAsync(_gateway, Modules);
    }

    public async Task ResetAsync()
    {
        foreach (var (server, connectionString) in _modules.Values)
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

        foreach (var (server, _) in _modules.Values)
        {
            await server.DisposeAsync();
        }

        await _registry.DisposeAsync();
    }
}
