using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
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
    internal static WebApplicationBuilder AddShopMessaging(this WebApplicationBuilder builder, string messageStoreConnectionString)
    {
        var settings = builder.Configuration.GetSection(MessagingSettings.Section).Get<MessagingSettings>() ?? new MessagingSettings();
        builder.Host.UseWolverine(options =>
        {
            // Handlers come only from the modules this process hosts (AddModuleHandlers), never from scanning the host.
            options.ApplicationAssembly = typeof(ShopMessagingExtensions).Assembly;

            options.PersistMessagesWithPostgresql(messageStoreConnectionString, ModuleDatabaseExtensions.MessageStoreSchema);
            options.UseEntityFrameworkCoreTransactions();
            options.Policies.AutoApplyTransactions();
            options.Policies.UseDurableLocalQueues();
            options.Policies.UseDurableInboxOnAllListeners();
            options.Policies.UseDurableOutboxOnAllSendingEndpoints();

            // Products and Orders both handle some messages: each module gets its own chain, its own
            // transaction and its own retries, and one module's failure never rolls back the other's work.
            options.MultipleHandlerBehavior = MultipleHandlerBehavior.Separated;
            options.Durability.MessageIdentity = MessageIdentity.IdAndDestination;
            options.Durability.Mode = settings.DurabilityMode;
        });
        return builder;
    }

    /// <summary>Adds a module's message handlers to this process: called from the module's own entry point.</summary>
    public static IServiceCollection AddModuleHandlers(this IServiceCollection services, Assembly moduleAssembly) =>
        services.ConfigureWolverine(options => options.Discovery.IncludeAssembly(moduleAssembly));
}
