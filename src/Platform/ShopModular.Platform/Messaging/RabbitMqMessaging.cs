using JasperFx.Core;
using ShopModular.Platform.Hosting;
using Wolverine;
using Wolverine.Configuration;
using Wolverine.RabbitMQ;
using Wolverine.RabbitMQ.Internal;
using Wolverine.Runtime;
using Wolverine.Transports;

namespace ShopModular.Platform.Messaging;

/// <summary>
/// The modules' messages over RabbitMQ. A publisher sends to a fanout exchange named by the message identity
/// (<c>products.stock-reserved</c>); each module that handles the message has its own durable queue bound to it
/// (<c>users.products.stock-reserved</c>), so every module gets its copy, and several processes of one module share
/// the work of its queue.
/// </summary>
internal static class RabbitMqMessaging
{
    public const string ConnectionStringName = "RabbitMq";

    /// <param name="provision">
    /// Declare every exchange, queue and binding as the process starts. Off where processes sign in with the broker
    /// rights their module needs and no more (no right to declare): there <c>migrate</c> declares them beforehand,
    /// signed in as the broker's administrator.
    /// </param>
    public static void UseShopRabbitMq(
        this WolverineOptions options, string connectionString, IReadOnlyList<ShopModule> available, BatchingSettings batching, bool provision)
    {
        var subscriptions = available.SelectMany(ModuleSubscription.Of).ToList();
        var queueOfListener = QueueOfEachListener(subscriptions);
        var brokerUser = MessagePublishers.UserOf(new Uri(connectionString));

        // Through the broker even between two modules of one process: which modules share a process must not
        // change who receives a message.
        options.Policies.DisableConventionalLocalRouting();

        var rabbit = options.UseRabbitMq(new Uri(connectionString))
            // No reply queue per process: nothing here asks the broker for replies, and a module's broker user may
            // not declare queues.
            .DisableSystemRequestReplyQueueDeclaration();
        if (provision)
        {
            rabbit.AutoProvision();
        }

        rabbit
            // Dead letters stay in this process's message store (wolverine_dead_letters), as in the monolith:
            // one place to look for them and to replay them from, in every topology.
            .DisableDeadLetterQueueing()
            // A broker restart drops every connection: try again every two seconds instead of the client's five.
            .ConfigureConnection(factory => factory.NetworkRecoveryInterval = 2.Seconds())
            // Without confirms a publish returns once the message is in the socket, and the durable outbox deletes its
            // row then: a message the broker never took in (it was stopping) was lost for good. With confirms and
            // their tracking, the publish returns only once the broker has the message (on disk for a durable queue),
            // and throws when the broker refuses it or the connection closes first, so the row stays and is sent again.
            .ConfigureChannelCreation(channel =>
            {
                channel.PublisherConfirmationsEnabled = true;
                channel.PublisherConfirmationTrackingEnabled = true;
            })
            .UseConventionalRouting(NamingSource.FromHandlerType, convention => convention
                .IncludeTypes(ModuleSubscription.IsContract)
                .QueueNameForListener(type => queueOfListener.GetValueOrDefault(type))
                // A batched step's messages wait together for their batch's commit: let a whole batch's worth in.
                .ConfigureListeners((queue, _) => queue.MaximumParallelMessages(batching.MaxSize)));
        options.Policies.Add(new DurableStampedBrokerEndpoints(brokerUser));

        // Whoever provisions (a process at start-up, or migrate) declares every module's queue, hosted here or not: a
        // message published before its subscriber first started then waits in the subscriber's queue instead of being
        // dropped by the exchange.
        foreach (var subscription in subscriptions)
        {
            rabbit.DeclareExchange(subscription.MessageIdentity, exchange =>
                exchange.BindQueue(subscription.QueueName, bindingKey: subscription.MessageIdentity));
        }
    }

    private static Dictionary<Type, string> QueueOfEachListener(IEnumerable<ModuleSubscription> subscriptions)
    {
        var queues = new Dictionary<Type, string>();
        foreach (var subscription in subscriptions)
        {
            // A batched step's messages reach Wolverine's handler that joins the batch.
            var listener = subscription.Batched ? typeof(JoinBatchHandler<>).MakeGenericType(subscription.MessageType) : subscription.HandlerType;
            if (!queues.TryAdd(listener, subscription.QueueName))
            {
                throw new InvalidOperationException(subscription.Batched
                    ? $"{subscription.MessageType.FullName} is handled in batches by more than one module; over a broker a message " +
                      "handled in batches has one queue, named after its message and its one module."
                    : $"{subscription.HandlerType.FullName} handles more than one message; over a broker each handler class " +
                      "listens on one queue named after its message, so give each message its own handler class, or handle it in batches.");
            }
        }

        return queues;
    }
}

/// <summary>
/// Makes every application endpoint on the broker durable and stamps what it sends with this process's broker user
/// (<see cref="MessagePublishers"/>), however Wolverine came to build it. Applied as each endpoint is compiled, not by
/// the routing convention: a process that recovers the outbox of its killed predecessor sends to an exchange before any
/// message of that type has been routed, and the convention's settings came too late for that endpoint, so the
/// process sent every later message of the type unstamped (dropped by its consumers: orders stuck Pending) and not
/// durably.
/// <para>Durable: an inline sender drops a message the broker refuses while it is down. Durable, a message stays in
/// this process's outbox until the broker has confirmed it, and in the receiver's inbox until its handler has
/// committed.</para>
/// </summary>
internal sealed class DurableStampedBrokerEndpoints(string brokerUser) : IEndpointPolicy
{
    public void Apply(Endpoint endpoint, IWolverineRuntime runtime)
    {
        if (endpoint is not RabbitMqEndpoint broker || broker.Role == EndpointRole.System)
        {
            return;
        }

        broker.Mode = EndpointMode.Durable;
        if (broker.EnvelopeMapper is null)
        {
            var mapper = new RabbitMqEnvelopeMapper(broker, runtime);
            MessagePublishers.StampWithBrokerUser(mapper, brokerUser);
            broker.EnvelopeMapper = mapper;
        }
    }
}
