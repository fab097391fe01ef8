using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ShopModular.Orders;
using ShopModular.Platform.Persistence;
using ShopModular.Products;
using ShopModular.Users;
using Wolverine;
using Wolverine.Persistence;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The monolith: the real host (Program) with every module, on a real PostgreSQL database of its own, started
/// once per test class. Specs reset its data before each test (<see cref="ResetAsync()"/>).
/// </summary>
public class ShopHost : IShopTopology, IAsyncLifetime
{
    public const string AdminEmail = "admin@shop.test";
    public const string AdminPassword = "admin-test-password";
    public const long InitialPoints = 10_000;

    public IAlbaHost Host { get; protected set; } = null!;

    public string ConnectionString { get; protected set; } = null!;

    /// <summary>The value of <c>Shop:Modules</c> for this host; null hosts every module.</summary>
    protected virtual string? Modules => null;

    protected virtual string Purpose => "monolith";

    public IAlbaHost Api => Host;

    public IReadOnlyList<IHost> Hosts => [Host];

    public virtual bool OverBroker => false;

    public IHost HostOf(string module) => Host;

    public IReadOnlyList<IHost> HostsOf(string module) => [Host];

    public async Task<string> GetFromProcessesOfAsync(string module, string path) =>
        await (await Host.Scenario(s => s.Get.Url(path))).ReadAsTextAsync();

    public string ConnectionStringOf(string module) => ConnectionString;

    public virtual async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync(Purpose);
        Host = await StartAsync(ConnectionString, Modules, ConfigureHost);
    }

    /// <summary>Settings of this fixture's own, on top of those every host under test runs with.</summary>
    protected virtual void ConfigureHost(IWebHostBuilder builder)
    {
    }

    /// <summary>
    /// Starts the host on <paramref name="connectionString"/>. A host of only some modules sends its messages
    /// through <paramref name="broker"/>, or, when none is given, through a virtual host of its own.
    /// </summary>
    public static async Task<IAlbaHost> StartAsync(
        string connectionString, string? modules, Action<IWebHostBuilder>? configure = null, string? broker = null)
    {
        if (broker is null && !string.IsNullOrEmpty(modules))
        {
            broker = await TestBroker.CreateVirtualHostAsync(modules.Replace(',', '-'));
        }

        return await AlbaHost.For<Program>(builder => Configure(builder, connectionString, modules, broker, configure));
    }

    /// <summary>The settings every shop host under test runs with; <paramref name="configure"/> adds to them.</summary>
    public static void Configure(
        IWebHostBuilder builder, string connectionString, string? modules, string? broker, Action<IWebHostBuilder>? configure)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Shop", connectionString);
        builder.UseSetting("ConnectionStrings:RabbitMq", broker ?? string.Empty);
        if (broker is not null)
        {
            // Every host under test signs in to the broker as the test broker's one user, whichever modules it hosts.
            foreach (var module in new[] { OrdersModule.Name, ProductsModule.Name, UsersModule.Name })
            {
                builder.UseSetting($"Shop:Messaging:BrokerUsers:{module}", TestBroker.UserOf(broker));
            }
        }

        builder.UseSetting("Shop:Modules", modules ?? string.Empty);
        builder.UseSetting("Shop:Admin:Email", AdminEmail);
        builder.UseSetting("Shop:Admin:Password", AdminPassword);
        // Only a host that runs Users holds the private key; the others (and the gateway) check tokens with the public one.
        var issuesTokens = string.IsNullOrEmpty(modules) || modules.Split(',').Contains(UsersModule.Name, StringComparer.OrdinalIgnoreCase);
        builder.UseSetting("Shop:Jwt:PrivateKey", issuesTokens ? TestKeys.PrivateKeyPem : string.Empty);
        builder.UseSetting("Shop:Jwt:PublicKey", TestKeys.PublicKeyPem);
        builder.UseSetting("Shop:Users:InitialPoints", InitialPoints.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Shop:Database:MigrateOnStartup", "true");
        builder.UseSetting("Shop:Messaging:DurabilityMode", nameof(DurabilityMode.Solo));
        // No registry unless a spec about discovery starts one.
        builder.UseSetting("eureka:client:enabled", "false");
        // Keep the test output readable: failures speak through assertions, not host logs.
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.EntityFrameworkCore", "Critical");
        builder.UseSetting("Logging:LogLevel:Wolverine", "Critical");
        configure?.Invoke(builder);
    }

    public Task ResetAsync() => ResetAsync(Host, ConnectionString);

    /// <summary>Empties the host's module tables and Wolverine's message store, then seeds the administrator again.</summary>
    public static async Task ResetAsync(IHost host, string connectionString)
    {
        await host.ClearAllPersistedWolverineDataAsync();
        var schemas = host.Services.GetServices<ModuleDatabase>().Select(database => $"'{database.Schema}'");
        var tables = await TestDatabase.QueryAsync(
            connectionString,
            $"select format('%I.%I', schemaname, tablename) from pg_tables where schemaname in ({string.Join(',', schemas)}) and tablename <> '{ModuleDatabaseExtensions.MigrationsHistoryTable}'",
            reader => reader.GetString(0));
        if (tables.Count > 0)
        {
            await TestDatabase.ExecuteRetryingDeadlocksAsync(connectionString, $"truncate {string.Join(", ", tables)} cascade");
        }

        if (host.Services.GetService<AdminAccount>() is { } admin)
        {
            await admin.StartAsync(CancellationToken.None);
        }

        // Failed sign-ins of an earlier test must not refuse this one's.
        host.Services.GetService<LoginThrottle>()?.Forget();
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }
}

/// <summary>The monolith with <c>Shop:Messaging:Transport=RabbitMq</c>: every module in one host, every message through the broker.</summary>
public class ShopHostOverBroker : ShopHost
{
    public override bool OverBroker => true;

    protected override string Purpose => "monolith_broker";

    public override async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync(Purpose);
        var broker = await TestBroker.CreateVirtualHostAsync(Purpose);
        Host = await StartAsync(ConnectionString, Modules, broker: broker, configure: builder =>
        {
            builder.UseSetting("Shop:Messaging:Transport", "RabbitMq");
            ConfigureHost(builder);
        });
    }
}

/// <summary>The monolith over the broker whose sagas time out after <see cref="SagaTimeouts.Short"/>.</summary>
public sealed class ShopHostOverBrokerWithShortSagaTimeout : ShopHostOverBroker
{
    protected override string Purpose => "broker_timeout";

    protected override void ConfigureHost(IWebHostBuilder builder) => SagaTimeouts.Shorten(builder);
}

/// <summary>The monolith whose sagas time out after <see cref="SagaTimeouts.Short"/>, for the saga watchdog's specs.</summary>
public sealed class ShopHostWithShortSagaTimeout : ShopHost
{
    protected override string Purpose => "monolith_timeout";

    protected override void ConfigureHost(IWebHostBuilder builder) => SagaTimeouts.Shorten(builder);
}

public static class SagaTimeouts
{
    /// <summary>
    /// Long enough for a saga's steps to run on a busy machine before the watchdog looks, short enough for a spec to
    /// wait for.
    /// </summary>
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(3);

    public static void Shorten(IWebHostBuilder builder) =>
        builder.UseSetting("Shop:Orders:SagaTimeout", Short.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
}
