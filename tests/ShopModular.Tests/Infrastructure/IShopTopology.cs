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

    /// <summary>The host that runs the module's handlers.</summary>
    IHost HostOf(string module);

    /// <summary>
    /// The text a path of the process that hosts the module answers, for what each process serves for itself
    /// (its /metrics), which the public API does not reach.
    /// </summary>
    Task<string> GetFromProcessOfAsync(string module, string path);

    /// <summary>The database that holds the module's schema.</summary>
    string ConnectionStringOf(string module);

    /// <summary>Every host that runs modules, for tracking their messages.</summary>
    IReadOnlyList<IHost> Hosts { get; }

    /// <summary>Whether the modules' messages travel through RabbitMQ rather than local queues.</summary>
    bool OverBroker { get; }

    /// <summary>Empties every module's tables and message store, then seeds the administrator again.</summary>
    Task ResetAsync();
}
