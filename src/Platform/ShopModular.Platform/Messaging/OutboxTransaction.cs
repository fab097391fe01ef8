using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Wolverine;
using Wolverine.Persistence.Durability;
using Wolverine.RDBMS;
using Wolverine.Runtime;

namespace ShopModular.Platform.Messaging;

/// <summary>
/// A module's unit of work in SQL on its DbContext's connection, with Wolverine's transactional outbox: the messages
/// published in it are stored in the same transaction, and handed to their queues once it has committed.
/// <para>Wolverine's EF Core outbox tracks every envelope as an entity and writes it through <c>SaveChanges</c>: with
/// no other entity to save, change tracking and command building were a fifth of the host's CPU per order. Here the
/// envelopes are collected and stored just before the commit, with the message store's own SQL, in one round trip for
/// the incoming (local queues) and one for the outgoing (broker) ones.</para>
/// </summary>
public sealed class OutboxTransaction : IAsyncDisposable
{
    private readonly MessageContext _messaging;
    private readonly StepEnvelopes _envelopes;
    private readonly IDbContextTransaction _transaction;
    private bool _committed;
    private bool _disposed;

    private OutboxTransaction(MessageContext messaging, StepEnvelopes envelopes, IDbContextTransaction transaction)
    {
        _messaging = messaging;
        _envelopes = envelopes;
        _transaction = transaction;
    }

    /// <summary>Begins a transaction on <paramref name="db"/>'s connection, with an outbox in it.</summary>
    public static async Task<OutboxTransaction> BeginAsync(DbContext db, IWolverineRuntime runtime, CancellationToken cancellationToken)
    {
        var messaging = new MessageContext(runtime);
        if (!messaging.TryFindMessageDatabase(out var database))
        {
            throw new InvalidOperationException("Messages are stored in PostgreSQL (PersistMessagesWithPostgresql); this process has no such store.");
        }

        var envelopes = new StepEnvelopes(database!);
        await messaging.EnlistInOutboxAsync(envelopes);
        return new OutboxTransaction(messaging, envelopes, await db.Database.BeginTransactionAsync(cancellationToken));
    }

    public ValueTask PublishAsync<TMessage>(TMessage message) => _messaging.PublishAsync(message);

    /// <summary>Stores the published messages, commits, then sends them on. The connection goes back to the pool.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await _envelopes.StoreAsync(_transaction.GetDbTransaction());
        await _transaction.CommitAsync(cancellationToken);
        _committed = true;
        await DisposeAsync();
        await _messaging.FlushOutgoingMessagesAsync();
    }

    /// <summary>Rolls back what was not committed (no row and no message of it remains) and gives the connection back.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_committed)
        {
            await _transaction.RollbackAsync();
        }

        await _transaction.DisposeAsync();
    }

    /// <summary>The envelopes of one transaction, kept until it is about to commit. [Wolverine's IEnvelopeTransaction]</summary>
    private sealed class StepEnvelopes(IMessageDatabase database) : IEnvelopeTransaction
    {
        private readonly List<Envelope> _incoming = [];
        private readonly List<Envelope> _outgoing = [];

        public Task PersistOutgoingAsync(Envelope envelope)
        {
            _outgoing.Add(envelope);
            return Task.CompletedTask;
        }

        public Task PersistOutgoingAsync(Envelope[] envelopes)
        {
            _outgoing.AddRange(envelopes);
            return Task.CompletedTask;
        }

        public Task PersistIncomingAsync(Envelope envelope)
        {
            _incoming.Add(envelope);
            return Task.CompletedTask;
        }

        public async Task StoreAsync(System.Data.Common.DbTransaction transaction)
        {
            if (_incoming.Count > 0)
            {
                await database.StoreIncomingAsync(transaction, [.. _incoming]);
            }

            if (_outgoing.Count > 0)
            {
                await database.StoreOutgoingAsync(transaction, [.. _outgoing]);
            }
        }

        // The OutboxTransaction rolls back its own database transaction.
        public ValueTask RollbackAsync() => ValueTask.CompletedTask;

        // Only for handlers that check their inbox eagerly inside the transaction; nothing here handles messages.
        public Task<bool> TryMakeEagerIdempotencyCheckAsync(Envelope envelope, DurabilitySettings settings, CancellationToken cancellation) =>
            throw new NotSupportedException("An outbox transaction publishes messages; it does not handle them.");
    }
}
