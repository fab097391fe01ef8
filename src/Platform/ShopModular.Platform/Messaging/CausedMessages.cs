using Wolverine;

namespace ShopModular.Platform.Messaging;

/// <summary>
/// What a handler of batches returns: the messages its batch causes, each with the message of the batch that caused
/// it, so that <see cref="BatchedStep{TMessage}"/> publishes each one in its cause's trace, and one order's saga stays
/// one trace however many orders shared the step's transaction. A message added without a cause is published in the
/// batch's own span.
/// </summary>
public sealed class CausedMessages<TCause> : OutgoingMessages
    where TCause : class
{
    private readonly Dictionary<object, TCause> _causes = new(ReferenceEqualityComparer.Instance);

    /// <summary>Adds <paramref name="message"/>, caused by <paramref name="cause"/>, a message of the batch.</summary>
    public void Add(TCause cause, object message)
    {
        Add(message);
        _causes[message] = cause;
    }

    /// <summary>The message of the batch that caused <paramref name="message"/>, if the handler said.</summary>
    public TCause? CauseOf(object message) => _causes.GetValueOrDefault(message);
}
