namespace ShopModular.Platform.Messaging;

/// <summary>
/// Thrown by a handler of batches for the messages of its batch that do not fit this system (say, an order of a user
/// who does not exist): those messages fail on their own, with <paramref name="reason"/>, to be retried and then
/// dead-lettered by Wolverine, and the rest of the batch runs again without them, in a new transaction.
/// </summary>
public sealed class RejectedMessagesException(IReadOnlyCollection<object> messages, string reason) : Exception(reason)
{
    public IReadOnlyCollection<object> Messages { get; } = messages;
}
