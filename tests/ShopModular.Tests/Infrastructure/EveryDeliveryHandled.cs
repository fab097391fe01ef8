using ShopModular.Orders;
using ShopModular.Platform.Messaging;
using ShopModular.Products;
using ShopModular.Users;
using Wolverine.Tracking;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// Ends a tracked session across hosts once every message published to the broker has been handled, to the
/// end, by every module that subscribes to it. Wolverine's own rule counts a broker message done at its first
/// receiver, and a message fanned out to two modules has one envelope id for both: the session could end while
/// the second module still has the message (and everything it then causes) ahead of it.
/// </summary>
public sealed class EveryDeliveryHandled : ITrackedCondition
{
    private static readonly Dictionary<string, int> SubscribersOf =
        new[] { UsersModule.Definition, ProductsModule.Definition, OrdersModule.Definition }
            .SelectMany(ModuleSubscription.Of)
            .GroupBy(subscription => subscription.MessageIdentity)
            .ToDictionary(group => group.Key, group => group.Count());

    private readonly object _lock = new();
    private readonly Dictionary<Guid, int> _expectedDeliveries = [];
    private readonly HashSet<(Guid Envelope, Guid Node, Uri? Queue)> _handled = [];

    public void Record(EnvelopeRecord record)
    {
        if (record.Envelope is not { } envelope)
        {
            return;
        }

        lock (_lock)
        {
            switch (record.MessageEventType)
            {
                case MessageEventType.Sent when envelope.Destination?.Scheme == "rabbitmq":
                    _expectedDeliveries[envelope.Id] = SubscribersOf.GetValueOrDefault(envelope.MessageType ?? string.Empty);
                    break;
                case MessageEventType.MessageSucceeded or MessageEventType.MovedToErrorQueue or MessageEventType.Discarded:
                    _handled.Add((envelope.Id, record.UniqueNodeId, envelope.Destination));
                    break;
            }
        }
    }

    public bool IsCompleted()
    {
        lock (_lock)
        {
            // Nothing sent at all is done too: the outbox sends before the HTTP call that caused it answers.
            return _expectedDeliveries.All(sent =>
                _handled.Count(handled => handled.Envelope == sent.Key) >= sent.Value);
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            var waiting = _expectedDeliveries.Where(sent => _handled.Count(handled => handled.Envelope == sent.Key) < sent.Value);
            return "Every broker message handled by each subscribing module; still waiting for " +
                   string.Join(", ", waiting.Select(sent => sent.Key));
        }
    }
}
