using System.Reflection;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using ShopModular.Platform.Hosting;
using ShopModular.Platform.Observability;
using ShopModular.Platform.Persistence;
using ShopModular.ServiceDefaults.Observability;
using Wolverine;
using Wolverine.EntityFrameworkCore;
using Wolverine.ErrorHandling;
using Wolverine.Persistence;
using Wolverine.Postgresql;

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

    /// <summary>How messages travel between modules; see <see cref="MessageTransport"/>.</summary>
    public MessageTransport Transport { get; set; } = MessageTransport.Auto;

    /// <summary>
    /// Declare the broker's exchanges and queues as the process starts. Default: as <c>Shop:Database:MigrateOnStartup</c>.
    /// Turn it off where each module signs in to the broker with its own least-privileged user; <c>migrate</c>, signed
    /// in as the broker's administrator, declares them then.
    /// </summary>
    public bool? ProvisionBrokerOnStartup { get; set; }

    /// <summary>
    /// The broker user that publishes each module's messages (<c>Shop:Messaging:BrokerUsers:products=products</c>),
    /// when it is not the default: this process's own user for the modules it hosts, the module's name for the
    /// others; see <see cref="MessagePublishers"/>.
    /// </summary>
    public Dictionary<string, string> BrokerUsers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How the saga's steps gather messages into batches.</summary>
    public BatchingSettings Batching { get; set; } = new();
}

/// <summary>Settings under <c>Shop:Messaging:Batching</c>, for the handlers that take batches (<c>Handle(T[] batch, ...)</c>, see <see cref="BatchedStep{TMessage}"/>).</summary>
public sealed class BatchingSettings
{
    /// <summary>The most messages handled in one batch, and so in one transaction.</summary>
    public int MaxSize { get; set; } = 100;
}

public enum MessageTransport
{
    /// <summary>Local queues when this process hosts every module, RabbitMQ when it hosts only some of them.</summary>
    Auto,

    /// <summary>Durable local queues: only possible when this process hosts every module.</summary>
    Local,

    /// <summary>RabbitMQ for every message, even between two modules in one process.</summary>
    RabbitMq,
}

public static class ShopMessagingExtensions
{
    /// <summary>
    /// How long an envelope may wait in a durable inbox or outbox before it counts as stuck: far beyond any healthy
    /// wait (milliseconds) and beyond a broker or database restart (seconds), short of the saga timeout (minutes).
    /// </summary>
    internal static readonly TimeSpan StaleEnvelopeTime = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Wolverine, configured once for every module: PostgreSQL message store in its own schema, EF Core
    /// transactions around every handler, durable local queues, and one handler chain per module when
    /// several modules handle the same message.
    /// </summary>
    internal static WebApplicationBuilder AddShopMessaging(
        this WebApplicationBuilder builder,
        string serviceName,
        Assembly applicationAssembly,
        string messageStoreConnectionString,
        IReadOnlyList<ShopModule> hosted,
        IReadOnlyList<ShopModule> available,
        bool migrateOnStartup)
    {
        var settings = builder.Configuration.GetSection(MessagingSettings.Section).Get<MessagingSettings>() ?? new MessagingSettings();
        var brokerConnectionString = UsesBroker(settings.Transport, hosted, available)
            ? BrokerConnectionString(builder.Configuration, hosted)
            : null;
        if (brokerConnectionString is not null)
        {
            // Every message between modules goes through the broker: without it this process cannot do its part.
            builder.Services.AddHealthChecks().AddCheck<BrokerHealthCheck>("broker", tags: [ShopHealth.ReadyTag]);
        }

        builder.Services.AddSingleton(new MessagePublishers(
            settings.BrokerUsers,
            [.. hosted.Select(module => module.Name)],
            brokerConnectionString is null ? null : MessagePublishers.UserOf(new Uri(brokerConnectionString))));

        builder.Services.AddHostedService(services => new MessageStoreMetrics(
            messageStoreConnectionString, services.GetRequiredService<ILogger<MessageStoreMetrics>>()));

        builder.Host.UseWolverine(options =>
        {
            // Handlers come only from the modules this process hosts (the deployable itself has none); their
            // adapters, generated ahead of time by `codegen write`, from the deployable. Auto, not Static: Static
            // takes the handler list from the generated HandlerRegistry, which names every module's handlers, so a
            // process of one module would run them all; Auto discovers the hosted modules' handlers at start-up
            // and loads each one's pre-generated adapter, compiling only one that is missing (a stale checkout).
            options.ApplicationAssembly = applicationAssembly;
            options.CodeGeneration.TypeLoadMode = TypeLoadMode.Auto;
            foreach (var module in hosted)
            {
                options.Discovery.IncludeAssembly(module.Assembly);
            }

            // Names this process in Wolverine's metrics and node records.
            options.ServiceName = serviceName;

            options.PersistMessagesWithPostgresql(messageStoreConnectionString, ModuleDatabaseExtensions.MessageStoreSchema);
            // The message store's tables are schema like the modules' own: built where migrations run at start-up,
            // else by migrate, so that a process may sign in with a role that only reads and writes rows.
            options.AutoBuildMessageStorageOnStartup = migrateOnStartup ? AutoCreate.CreateOrUpdate : AutoCreate.None;
            // Eager: the transaction opens before the handler runs, so its row locks and conditional
            // updates (ExecuteUpdate) commit or roll back together with its entities and outgoing messages.
            options.UseEntityFrameworkCoreTransactions(TransactionMiddlewareMode.Eager);
            options.Policies.AutoApplyTransactions();
            options.Policies.UseDurableLocalQueues();
            options.Policies.UseDurableInboxOnAllListeners();
            options.Policies.UseDurableOutboxOnAllSendingEndpoints();
            options.AddBatchedSteps(builder.Services, settings.Batching, hosted, overBroker: brokerConnectionString is not null);
            // In every topology, so that the handlers' pre-generated code is the same in all of them; it checks only
            // messages that came through the broker.
            options.Policies.AddMiddleware(typeof(PublisherCheck), chain => ModuleSubscription.IsContract(chain.MessageType));

            if (brokerConnectionString is not null)
            {
                options.UseShopRabbitMq(
                    brokerConnectionString, available, settings.Batching, provision: settings.ProvisionBrokerOnStartup ?? migrateOnStartup);
            }

            // Some messages have a handler in two modules (StockReserved: Users and Orders; PointsDeductionFailed:
            // Products and Orders): each module gets its own chain, transaction and retries, and one module's
            // failure never rolls back the other's work.
            options.MultipleHandlerBehavior = MultipleHandlerBehavior.Separated;
            options.Durability.MessageIdentity = MessageIdentity.IdAndDestination;
            options.Durability.Mode = settings.DurabilityMode;
            // Gives every stored envelope a timestamp (the oldest-envelope age on /metrics comes from it), and hands an
            // envelope that a live process has held that long back to recovery: a second delivery is harmless, since
            // the inbox knows each message by its id and every handler is idempotent.
            options.Durability.OutboxStaleTime = StaleEnvelopeTime;
            options.Durability.InboxStaleTime = StaleEnvelopeTime;
            // Balanced: a killed process's stored envelopes wait until the others see it dead (its heartbeats stale,
            // twice) and release them. Wolverine's defaults (every 10 s, stale after a minute) left the orders in flight
            // at a kill Pending for one to two minutes; these find a dead process in about half a minute.
            options.Durability.HealthCheckPollingTime = TimeSpan.FromSeconds(5);
            options.Durability.StaleNodeTimeout = TimeSpan.FromSeconds(20);

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

    private static string BrokerConnectionString(IConfiguration configuration, IReadOnlyList<ShopModule> hosted)
    {
        var connectionString = configuration.GetConnectionString(RabbitMqMessaging.ConnectionStringName);
        return string.IsNullOrWhiteSpace(connectionString)
            ? throw new InvalidOperationException(
                $"This process hosts {string.Join(", ", hosted.Select(module => module.Name))} and sends messages through RabbitMQ: " +
                $"set ConnectionStrings:{RabbitMqMessaging.ConnectionStringName} (for example amqp://user:password@host:5672/).")
            : connectionString;
    }

    private static bool UsesBroker(MessageTransport transport, IReadOnlyList<ShopModule> hosted, IReadOnlyList<ShopModule> available)
    {
        var hostsEveryModule = hosted.Count == available.Count;
        return transport switch
        {
            MessageTransport.RabbitMq => true,
            MessageTransport.Auto => !hostsEveryModule,
            MessageTransport.Local when hostsEveryModule => false,
            _ => throw new InvalidOperationException(
                $"{MessagingSettings.Section}:Transport is Local, but this process hosts only {string.Join(", ", hosted.Select(module => module.Name))}: " +
                "the other modules would never receive its messages. Use Auto or RabbitMq."),
        };
    }
}
