using Alba;
using Microsoft.Extensions.DependencyInjection;
using ShopModular.Orders;
using ShopModular.Platform.Messaging;
using ShopModular.Platform.Persistence;
using ShopModular.Products;
using ShopModular.Tests.Infrastructure;
using ShopModular.Users;
using Wolverine.Runtime;

namespace ShopModular.Tests.Architecture;

/// <summary>One host per module, each started with <c>Shop:Modules</c> naming that module alone.</summary>
public sealed class SingleModuleHosts : IAsyncLifetime
{
    public static readonly string[] Modules = ["users", "products", "orders"];

    private readonly Dictionary<string, (IAlbaHost Host, string ConnectionString)> _hosts = [];

    public (IAlbaHost Host, string ConnectionString) For(string module) => _hosts[module];

    public async Task InitializeAsync()
    {
        foreach (var module in Modules)
        {
            var connectionString = await TestDatabase.CreateAsync($"{module}_only");
            _hosts[module] = (await ShopHost.StartAsync(connectionString, module), connectionString);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var (host, _) in _hosts.Values)
        {
            await host.DisposeAsync();
        }
    }
}

/// <summary>The specs that look at the single-module hosts share one set of them (each host is a database and a start-up).</summary>
[CollectionDefinition(nameof(SingleModuleHosts))]
public sealed class SingleModuleHostsCollection : ICollectionFixture<SingleModuleHosts>;

/// <summary>
/// The hosting switch: a process hosting one module has that module's routes, handlers, DbContext and
/// schema, and nothing of the others. Split mode rests on this.
/// </summary>
[Collection(nameof(SingleModuleHosts))]
public sealed class HostingSwitchSpecs(SingleModuleHosts hosts)
{
    /// <summary>One anonymous call per module: 404 where the module is absent, its own answer where it is hosted.</summary>
    private static readonly Dictionary<string, (string Url, int HostedStatus)> Probes = new()
    {
        ["users"] = ("/api/users/me", 401),
        ["products"] = ("/api/products", 200),
        ["orders"] = ("/api/orders", 401),
    };

    public static TheoryData<string> Modules() => [.. SingleModuleHosts.Modules];

    [Theory]
    [MemberData(nameof(Modules))]
    public async Task serves_only_its_own_modules_routes(string hosted)
    {
        var (host, _) = hosts.For(hosted);

        foreach (var (module, probe) in Probes)
        {
            await host.Scenario(s =>
            {
                s.Get.Url(probe.Url);
                s.StatusCodeShouldBe(module == hosted ? probe.HostedStatus : 404);
            });
        }
    }

    [Theory]
    [MemberData(nameof(Modules))]
    public async Task creates_only_its_own_modules_schema(string hosted)
    {
        var (_, connectionString) = hosts.For(hosted);

        var schemas = await TestDatabase.QueryAsync(
            connectionString,
            "select schema_name from information_schema.schemata where schema_name in ('users', 'products', 'orders')",
            reader => reader.GetString(0));

        Assert.Equal([hosted], schemas);
    }

    [Theory]
    [MemberData(nameof(Modules))]
    public void registers_only_its_own_modules_database_and_handlers(string hosted)
    {
        var (host, _) = hosts.For(hosted);
        var runtime = (WolverineRuntime)host.Services.GetRequiredService<IWolverineRuntime>();

        var databases = host.Services.GetServices<ModuleDatabase>().Select(database => database.Schema);
        var handlerModules = runtime.Handlers.AllChains()
            .SelectMany(chain => chain.Handlers.Select(handler => ModuleOf(handler.HandlerType, chain.MessageType)))
            .OfType<string>()
            .Distinct();

        Assert.Equal([hosted], databases);
        Assert.Equal([hosted], handlerModules);
    }

    [Theory]
    [MemberData(nameof(Modules))]
    public void runs_its_handlers_on_code_generated_before_it_started(string hosted)
    {
        var (host, _) = hosts.For(hosted);
        var runtime = (WolverineRuntime)host.Services.GetRequiredService<IWolverineRuntime>();

        // Compiling an adapter at run time delays a process's first message of each kind by a second or more: long
        // enough for an order placed right after a fresh start to miss the product created just before it.
        var adapters = runtime.Handlers.AllChains()
            .Where(chain => ModuleSubscription.IsContract(chain.MessageType))
            .Select(chain => runtime.Handlers.HandlerFor(chain.MessageType)!.GetType())
            .ToList();

        Assert.NotEmpty(adapters);
        Assert.All(adapters, adapter => Assert.Equal(typeof(Program).Assembly, adapter.Assembly));
    }

    /// <summary>
    /// The module a Wolverine handler belongs to: its assembly's, or for the platform's handler that joins a batched
    /// step, the module that handles that message in batches. Null for handlers that are not the shop's.
    /// </summary>
    private static string? ModuleOf(Type handler, Type message)
    {
        if (handler.IsGenericType && handler.GetGenericTypeDefinition() == typeof(JoinBatchHandler<>))
        {
            return new[] { UsersModule.Definition, ProductsModule.Definition, OrdersModule.Definition }
                .SelectMany(ModuleSubscription.Of)
                .Single(subscription => subscription.Batched && subscription.MessageType == message).Module;
        }

        var assembly = handler.Assembly.GetName().Name!;
        return assembly.StartsWith("ShopModular.", StringComparison.Ordinal) ? assembly["ShopModular.".Length..].ToLowerInvariant() : null;
    }

    [Theory]
    [MemberData(nameof(Modules))]
    public void listens_only_on_its_own_modules_queues(string hosted)
    {
        var (host, _) = hosts.For(hosted);
        var runtime = host.Services.GetRequiredService<IWolverineRuntime>();

        // Every process declares every module's queues (so none misses a message), but reads only its own.
        var queues = runtime.Endpoints.ActiveListeners()
            .Select(listener => listener.Uri)
            .Where(uri => uri.Scheme == "rabbitmq" && !uri.AbsolutePath.Contains("wolverine.", StringComparison.Ordinal))
            .Select(uri => uri.Segments[^1])
            .ToList();

        Assert.NotEmpty(queues);
        Assert.All(queues, queue => Assert.StartsWith(hosted + ".", queue, StringComparison.Ordinal));
    }
}
