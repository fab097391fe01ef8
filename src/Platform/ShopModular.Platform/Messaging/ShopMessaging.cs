using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using JasperFx.Core;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Persistence;
using Wolverine.EntityFrameworkCore;
using Wolverine.Postgresql;
using ShopModular.Platform.Persistence;

namespace ShopModular.Platform.Messaging;

/// <summary>Settings under <c>Shop:Messaging</c>.</summary>
public sealed class MessagingSettings
{
    public const string Section = "Shop:Messaging";

    /// <summary>
    /// Solo: this process alone owns the message store and recovers stored messages at once (development, tests).
    /// Balanced: several nodes share the store and elect a leader (production).
    /// </summary>
    public DurabilityMode DurabilityMode { get; set; } = DurabilityMode.Balanced;
}

public static class ShopMessagingExtensions
{
    /// <summary>
    /// Wolverine, configured once for every module: PostgreSQL message store in its own schema, EF Core
    /// transactions around every handler, durable local queues, and one handler chain per module when
    /// several modules handle the same message.
    /// </summary>
    internal static WebApplicationBuilder AddShopMessaging(
        this WebApplicationBuilder builder, string serviceName, string messageStoreConnectionString)
    {
        var settings = builder.Configuration.GetSection(MessagingSettings.Section).Get<MessagingSettings>() ?? new MessagingSettings();
        builder.Host.UseWolverine(options =>
        {
            // Handlers come only from the modules this process hosts (AddModuleHandlers), never from scanning the host.
            options.ApplicationAssembly = typeof(ShopMessagingExtensions).Assembly;
            // Names this process in Wolverine's metrics and node records.
            options.ServiceName = serviceName;

            options.PersistMessagesWithPostgresql(messageStoreConnectionString, ModuleDatabaseExtensions.MessageStoreSchema);
            // Eager: the transaction opens before the handler runs, so its row locks and conditional
            // updates (ExecuteUpdate) commit or roll back together with its entities and outgoing messages.
            options.UseEntityFrameworkCoreTransactions(TransactionMiddlewareMode.Eager);
            options.Policies.AutoApplyTransactions();
            options.Policies.UseDurableLocalQueues();
            options.Policies.UseDurableInboxOnAllListeners();
            options.Policies.UseDurableOutboxOnAllSendingEndpoints();

            // Some messages have a handler in two modules (StockReserved: Users and Orders; PointsDeductionFailed:
            // Products and Orders): each module gets its own chain, transaction and retries, and one module's
            // failure never rolls back the other's work.
            options.MultipleHandlerBehavior = MultipleHandlerBehavior.Separated;
            options.Durability.MessageIdentity = MessageIdentity.IdAndDestination;
            options.Durability.Mode = settings.DurabilityMode;

            // Two deliveries or two handlers raced for one row or business key: the loser rolled back,
            // and a prompt retry finds the winner's work and does nothing twice.
            options.OnException<DbUpdateException>()
                .RetryWithCooldown(10.Milliseconds(), 50.Milliseconds(), 100.Milliseconds(), 250.Milliseconds(), 500.Milliseconds())
                .Then.MoveToErrorQueue();
            // The database is away: back off for longer before giving up on the message.
            options.OnException<NpgsqlException>()
                .RetryWithCooldown(100.Milliseconds(), 500.Milliseconds(), 1.Seconds())
                .Then.ScheduleRetry(5.Seconds(), 30.Seconds(), 1.Minutes())
                .Then.MoveToErrorQueue();
            // Anything else is a message we cannot process: a few tries, then the dead-letter store
            // (wolverine.wolverine_dead_letters), where it blocks no other order.
            options.Policies.OnAnyException()
                .RetryWithCooldown(50.Milliseconds(), 250.Milliseconds(), 1.Seconds())
                .Then.MoveToErrorQueue();
        });
        return builder;
    }

    /// <summary>Adds a module's message handlers to this process: called from the module's own entry point.</summary>
    public static IServiceCollection AddModuleHandlers(this IServiceCollection services, Assembly moduleAssembly) =>
        services.ConfigureWolverine(options => options.Discovery.IncludeAssembly(moduleAssembly));
}
