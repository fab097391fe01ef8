using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Wolverine.EntityFrameworkCore;

namespace ShopModular.Platform.Persistence;

/// <summary>A module's DbContext and the schema it owns; the platform migrates and health-checks each one.</summary>
public sealed record ModuleDatabase(string Schema, Type DbContextType, string ConnectionString);

public static class ModuleDatabaseExtensions
{
    /// <summary>Schema of Wolverine's message store (inbox, outbox, dead letters), shared by the modules of one process.</summary>
    public const string MessageStoreSchema = "wolverine";

    public const string MigrationsHistoryTable = "__EFMigrationsHistory";

    private static readonly AfterCommitInterceptor AfterCommit = new();

    /// <summary>
    /// The connection string a module uses: <c>ConnectionStrings:{module}</c> when set (a database of its own),
    /// else the shared <c>ConnectionStrings:Shop</c>.
    /// </summary>
    public static string ConnectionStringFor(this IConfiguration configuration, string module)
    {
        var configured = configuration.GetConnectionString(module)
            ?? configuration.GetConnectionString("Shop")
            ?? throw new InvalidOperationException(
                $"No database configured: set ConnectionStrings:Shop (or ConnectionStrings:{module} for this module alone).");
        var connection = new NpgsqlConnectionStringBuilder(configured);
        if (!configured.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase))
        {
            // Nothing here keeps session state on a connection, so skip the DISCARD ALL round trip
            // that every return to the pool costs (a saga step opens a connection each time).
            connection.NoResetOnClose = true;
        }

        if (!configured.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            // The same few statements run for every order: prepared once per connection, PostgreSQL parses and
            // plans each of them once instead of every time.
            connection.MaxAutoPrepare = 100;
            connection.AutoPrepareMinUsages = 2;
        }

        return connection.ConnectionString;
    }

    /// <summary>
    /// Registers a module's DbContext in its own schema, with its migrations history in that schema and
    /// Wolverine's EF Core outbox, so a handler's changes and the messages they cause commit together.
    /// </summary>
    public static IServiceCollection AddModuleDbContext<TContext>(
        this IServiceCollection services, IConfiguration configuration, string schema)
        where TContext : DbContext
    {
        var connectionString = configuration.ConnectionStringFor(schema);
        services.AddDbContextWithWolverineIntegration<TContext>(
            options => options.AddInterceptors(AfterCommit).UseNpgsql(connectionString, npgsql => npgsql
                .MigrationsHistoryTable(MigrationsHistoryTable, schema)
                // Aggregates here are small (an order's few items and steps): one query beats several round trips.
                // Stated explicitly, which also silences EF's warning; list queries opt into AsSplitQuery.
                .UseQuerySplittingBehavior(QuerySplittingBehavior.SingleQuery)),
            MessageStoreSchema);
        // Pooled: every request and message gets a context, and building one (its services and options) costs more
        // than the work it then does. Wolverine's registration stays; only how the context is made changes.
        services.RemoveAll<TContext>();
        services.AddDbContextPool<TContext>((_, _) => { });
        services.AddSingleton(new ModuleDatabase(schema, typeof(TContext), connectionString));
        return services;
    }

    /// <summary>Applies every hosted module's pending migrations (in the order the modules were added).</summary>
    public static async Task MigrateModuleDatabasesAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        foreach (var database in scope.ServiceProvider.GetServices<ModuleDatabase>())
        {
            var context = (DbContext)scope.ServiceProvider.GetRequiredService(database.DbContextType);
            await context.Database.MigrateAsync(cancellationToken);
        }
    }

    /// <summary>True when the save failed on a unique index (for example an email already taken).</summary>
    public static bool IsUniqueViolation(this DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}

/// <summary>
/// Base of the modules' DbContexts: everything in the module's own schema, snake_case names, and no
/// savepoints around SaveChanges (Wolverine's transaction already wraps each handler, and a failed save fails
/// the whole handler, so savepoints would only cost two round trips per message).
/// </summary>
public abstract class ModuleDbContext : DbContext
{
    private readonly string _schema;
    private readonly List<Action> _afterCommit = [];

    protected ModuleDbContext(DbContextOptions options, string schema)
        : base(options)
    {
        _schema = schema;
        Database.AutoSavepointsEnabled = false;
    }

    protected sealed override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(_schema);
        ConfigureModel(modelBuilder);
        modelBuilder.UseSnakeCaseNames();
    }

    protected abstract void ConfigureModel(ModelBuilder modelBuilder);

    /// <summary>
    /// Runs <paramref name="action"/> once this context's transaction has committed, and never if it rolls back:
    /// for effects outside the database, such as metrics, that must not count a step that a retry will repeat.
    /// </summary>
    public void AfterCommit(Action action) => _afterCommit.Add(action);

    /// <summary>A pooled context is reused: nothing of a rolled-back transaction's may run after the next one's commit.</summary>
    public override void Dispose()
    {
        _afterCommit.Clear();
        base.Dispose();
    }

    public override ValueTask DisposeAsync()
    {
        _afterCommit.Clear();
        return base.DisposeAsync();
    }

    internal void RunAfterCommitActions()
    {
        var actions = _afterCommit.ToArray();
        _afterCommit.Clear();
        foreach (var action in actions)
        {
            action();
        }
    }
}

/// <summary>Calls <see cref="ModuleDbContext.RunAfterCommitActions"/> when a module context's transaction commits.</summary>
internal sealed class AfterCommitInterceptor : DbTransactionInterceptor
{
    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        (eventData.Context as ModuleDbContext)?.RunAfterCommitActions();

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        (eventData.Context as ModuleDbContext)?.RunAfterCommitActions();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build a module's DbContext without the host.
/// Each module declares a one-line subclass next to its DbContext.
/// </summary>
public abstract class ModuleDbContextDesignTimeFactory<TContext>(string schema) : IDesignTimeDbContextFactory<TContext>
    where TContext : DbContext
{
    public TContext CreateDbContext(string[] args)
    {
        // Migrations are generated from the model alone; this connection string is never opened.
        var options = new DbContextOptionsBuilder<TContext>()
            .UseNpgsql("Host=localhost;Database=design_time", npgsql => npgsql.MigrationsHistoryTable(ModuleDatabaseExtensions.MigrationsHistoryTable, schema))
            .Options;
        return (TContext)Activator.CreateInstance(typeof(TContext), options)!;
    }
}
