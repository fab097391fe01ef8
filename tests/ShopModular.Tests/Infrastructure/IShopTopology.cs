using Alba;
using Microsoft.Extensions.Hosting;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// Where the modules under test run: all in one host (<see cref="ShopHost"/>, the monolith) or each in its own
/// host with its own database, talking over RabbitMQ, behind the gateway (<see cref="SplitShop"/>). Specs written
/// against this run unchanged in both.
/// </summary>
public interface IShopTopology
{
    /// <summary>Where clients call the public API: the monolith itself, or the gateway in front of the modules.</summary>
    IAlbaHost Api { get; }

    /// <summary>The host that runs the module's handlers (the first, where several instances run it).</summary>
    IHost HostOf(string module);

    /// <summary>Every host that runs the module: one, or in the split topology two instances of Orders.</summary>
    IReadOnlyList<IHost> HostsOf(string module);

    /// <summary>
    /// The text a path answers in each process that hosts the module, one after the other, for what each process
    /// serves for itself (its /metrics, whose samples then add up across instances), which the public API does not reach.
    /// </summary>
    Task<string> GetFromProcessesOfAsync(string module, string path);

    /// <summary>The database that holds the module's schema.</summary>
    string ConnectionStringOf(string module);

    /// <summary>Every host that runs modules, for tracking their messages.</summary>
    IReadOnlyList<IHost> Hosts { get; }

    /// <summary>Whether the modules' messages travel through RabbitMQ rather than local queues.</summary>
    bool OverBroker { get; }

    /// <summary>Empties every module's tables and message store, then seeds the administrator again.</summary>
    Task ResetAsync();
}
