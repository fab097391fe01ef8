using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.RabbitMQ.Internal;
using Wolverine.Util;

namespace ShopModular.Platform.Messaging;

/// <summary>
/// Who may publish each module's messages on the broker: the broker user of the module that owns the message's
/// contract (the first part of its identity: <c>users.points-deducted</c> belongs to Users). A module this process
/// hosts publishes as this process's own broker user; any other is named after the module, unless
/// <c>Shop:Messaging:BrokerUsers:{module}</c> says otherwise.
/// <para>A publisher stamps each message with its broker user in the AMQP <c>user_id</c> property, which RabbitMQ
/// checks against the user the connection signed in as and refuses when they differ: a process cannot claim another
/// module's name. A consumer accepts a contract message from the broker only when that stamp names the module that
/// owns the contract, so neither a stranger nor another module can forge a step of the saga.</para>
/// </summary>
public sealed class MessagePublishers(IReadOnlyDictionary<string, string> configured, IReadOnlyCollection<string> hosted, string? ownBrokerUser)
{
    /// <summary>The broker user that publishes <paramref name="module"/>'s messages.</summary>
    public string BrokerUserOf(string module) =>
        configured.TryGetValue(module, out var user) ? user
        : ownBrokerUser is not null && hosted.Contains(module, StringComparer.OrdinalIgnoreCase) ? ownBrokerUser
        : module;

    /// <summary>The user a connection to <paramref name="broker"/> signs in as (RabbitMQ's default, guest, when the URI names none).</summary>
    public static string UserOf(Uri broker) =>
        broker.UserInfo is { Length: > 0 } userInfo ? Uri.UnescapeDataString(userInfo.Split(':')[0]) : "guest";

    /// <summary>The module that owns a contract message: the first part of its message identity.</summary>
    public static string? OwnerOf(Type messageType) =>
        ModuleSubscription.IsContract(messageType) ? messageType.ToMessageTypeName().Split('.')[0] : null;

    /// <summary>True when the message may be handled: it did not come through the broker, or its owner's user sent it.</summary>
    public bool Accepts(Envelope envelope) =>
        envelope.Destination?.Scheme != "rabbitmq"
        || envelope.Message is null
        || OwnerOf(envelope.Message.GetType()) is not { } owner
        || string.Equals(envelope.UserName, BrokerUserOf(owner), StringComparison.Ordinal);

    /// <summary>
    /// Makes the broker's validated <c>user_id</c> the envelope's <see cref="Envelope.UserName"/>, on both sides: sent
    /// as <paramref name="brokerUser"/> (the connection's own user, or RabbitMQ refuses the message), and read back
    /// from the property only, never from a header that a publisher may set to anything.
    /// </summary>
    internal static void StampWithBrokerUser(RabbitMqEnvelopeMapper mapper, string brokerUser) =>
        mapper.MapProperty(
            envelope => envelope.UserName!,
            (envelope, incoming) =>
            {
                envelope.Headers.Remove(EnvelopeConstants.UserNameKey);
                envelope.UserName = incoming.UserId;
            },
            (_, outgoing) => outgoing.UserId = brokerUser);
}

/// <summary>
/// Runs before every handler of a contract message: drops, with a warning, a message from the broker whose
/// publisher does not own its contract (see <see cref="MessagePublishers"/>). Dropped, not dead-lettered: a forger
/// must not be able to fill the dead-letter store either.
/// </summary>
public static class PublisherCheck
{
    public static HandlerContinuation Before(Envelope envelope, MessagePublishers publishers, ILogger<MessagePublishers> logger)
    {
        if (publishers.Accepts(envelope))
        {
            return HandlerContinuation.Continue;
        }

        logger.LogWarning(
            "Dropped {MessageType} {MessageId} from the broker: published by broker user '{Publisher}', which does not own this message",
            envelope.MessageType, envelope.Id, envelope.UserName ?? "(none)");
        return HandlerContinuation.Stop;
    }
}
