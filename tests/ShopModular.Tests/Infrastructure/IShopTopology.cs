using Alba;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// Where the modules under test run: all in one host (<see cref="ShopHost"/>, the monolith) or each in its own
/// host with its own database, talking over RabbitMQ (<see cref="SplitShop"/>). Specs written against this
/// run unchanged in both.
/// </summary>
public interface IShopTopology
{
    /// <summary>The host that serves the module's routes and runs its handlers.</summary>
    IAlbaHost HostOf(string module);

    /// <summary>The database that holds the module's schema.</summary>
    string ConnectionStringOf(string module);

    IReadOnlyList<IAlbaHost> Hosts { get; }

    /// <summary>Whether the modules' messages travel through RabbitMQ rather than local queues.</summary>
    bool OverBroker { get; }

    /// <summary>Empties every module's tables and message store, then seeds the administrator again.</summary>
    Task ResetAsync();
}
