using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ShopModular.Platform.Persistence;
using ShopModular.Users;
using Wolverine;
using Wolverine.Persistence;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The real host (Program) on a real PostgreSQL database of its own, started once per test class.
/// Specs reset its data before each test (<see cref="ResetAsync"/>).
/// </summary>
public class ShopHost : IAsyncLifetime
{
    public const string AdminEmail = "admin@shop.test";
    public const string AdminPassword = "admin-test-password";
    public const string SigningKey = "test-signing-key-that-is-long-enough-for-hs256";
    public const long InitialPoints = 10_000;

    public IAlbaHost Host { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    /// <summary>The value of <c>Shop:Modules</c> for this host; null hosts every module.</summary>
    protected virtual string? Modules => null;

    protected virtual string Purpose => "monolith";

    public async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync(Purpose);
        Host = await StartAsync(ConnectionString, Modules);
    }

    public static Task<IAlbaHost> StartAsync(string connectionString, string? modules, Action<IWebHostBuilder>? configure = null) =>
        AlbaHost.For<Program>(builder =>
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Shop", connectionString);
            builder.UseSetting("Shop:Modules", modules ?? string.Empty);
            builder.UseSetting("Shop:Admin:Email", AdminEmail);
            builder.UseSetting("Shop:Admin:Password", AdminPassword);
            builder.UseSetting("Shop:Jwt:SigningKey", SigningKey);
            builder.UseSetting("Shop:Users:InitialPoints", InitialPoints.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting("Shop:Database:MigrateOnStartup", "true");
            builder.UseSetting("Shop:Messaging:DurabilityMode", nameof(DurabilityMode.Solo));
            // Keep the test output readable: failures speak through assertions, not host logs.
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:Microsoft.EntityFrameworkCore", "Critical");
            builder.UseSetting("Logging:LogLevel:Wolverine", "Critical");
            configure?.Invoke(builder);
        });

    /// <summary>Empties every module table and Wolverine's message store, then seeds the administrator again.</summary>
    public async Task ResetAsync()
    {
        await Host.ClearAllPersistedWolverineDataAsync();
        var schemas = Host.Services.GetServices<ModuleDatabase>().Select(database => $"'{database.Schema}'");
        var tables = await TestDatabase.QueryAsync(
            ConnectionString,
            $"select format('%I.%I', schemaname, tablename) from pg_tables where schemaname in ({string.Join(',', schemas)}) and tablename <> '{ModuleDatabaseExtensions.MigrationsHistoryTable}'",
            reader => reader.GetString(0));
        if (tables.Count > 0)
        {
            await TestDatabase.ExecuteRetryingDeadlocksAsync(ConnectionString, $"truncate {string.Join(", ", tables)} cascade");
        }

        if (Host.Services.GetService<AdminAccount>() is { } admin)
        {
            await admin.StartAsync(CancellationToken.None);
        }
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }
}
