using Alba;
using ShopModular.Orders;
using ShopModular.Products;
using ShopModular.Users;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The split topology in one test process: one real host per module (<c>Shop:Modules</c> naming it alone),
/// each on a database of its own, the three talking through a real RabbitMQ broker (a virtual host of their own).
/// </summary>
public sealed class SplitShop : IShopTopology, IAsyncLifetime
{
    private static readonly string[] Modules = [UsersModule.Name, ProductsModule.Name, OrdersModule.Name];

    private readonly Dictionary<string, (IAlbaHost Host, string ConnectionString)> _modules = [];

    public IReadOnlyList<IAlbaHost> Hosts => [.. _modules.Values.Select(module => module.Host)];

    public bool OverBroker => true;

    public IAlbaHost HostOf(string module) => _modules[module].Host;

    public string ConnectionStringOf(string module) => _modules[module].ConnectionString;

    public async Task InitializeAsync()
    {
        var broker = await TestBroker.CreateVirtualHostAsync("split");
        // Every host declares every module's queue as it starts, so none can miss a message sent before its
        // own start; starting them one after the other keeps start-up cheap on a small machine.
        foreach (var module in Modules)
        {
            var connectionString = await TestDatabase.CreateAsync($"split_{module}");
            var host = await ShopHost.StartAsync(connectionString, module, broker: broker, configure: builder =>
                builder.UseSetting($"ConnectionStrings:{module}", connectionString));
            _modules[module] = (host, connectionString);
        }
    }

    public async Task ResetAsync()
    {
        foreach (var (host, connectionString) in _modules.Values)
        {
            await ShopHost.ResetAsync(host, connectionString);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var (host, _) in _modules.Values)
        {
            await host.DisposeAsync();
        }
    }
}
