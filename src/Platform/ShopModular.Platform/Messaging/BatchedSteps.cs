using System.Reflection;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ShopModular.Platform.Hosting;
using ShopModular.Platform.Persistence;
using Wolverine;
using Wolverine.Runtime;

namespace ShopModular.Platform.Messaging;

/// <summary>
/// How a module's handler of batches (<c>Handle(StockReserved[] batch, UsersDbContext db, ...)</c>) runs: by group
/// commit. Every message of the step that arrives while the step's transaction runs waits for the next one, which
/// then takes all of them at once: an idle step handles a message at once, a busy one commits once for many orders.
/// <para>Wolverine delivers each message to <see cref="JoinBatchHandler{TMessage}"/>, which waits here until the
/// transaction that handled it has committed, with the messages it causes in the same transaction (the outbox);
/// only then is the message done, so durability, retries, dead letters and tracking stay Wolverine's, per message.
/// A batch that fails is tried again one message at a time, so that only the message at fault fails (a handler that
/// knows which messages are at fault says so with <see cref="RejectedMessagesException"/>).</para>
/// <para>Wolverine's own batching (<c>BatchMessagesOf</c>) waits a fixed window from a batch's first message: on
/// this saga it made batches of one or two, as a closed loop of clients rarely sends two orders in the same
/// millisecond.</para>
/// </summary>
public sealed class BatchedStep<TMessage>(
    BatchedStepMethod method, BatchingSettings settings, IServiceScopeFactory scopes, IWolverineRuntime runtime, ILogger<BatchedStep<TMessage>> logger)
    : BackgroundService
    where TMessage : class
{
    private readonly Channel<Member> _arrivals = Channel.CreateUnbounded<Member>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Waits until a committed transaction has handled <paramref name="message"/>; throws what its handling threw.</summary>
    public Task JoinAsync(TMessage message, Envelope envelope, CancellationToken cancellationToken)
    {
        var member = new Member(message, envelope);
        if (!_arrivals.Writer.TryWrite(member))
        {
            throw new OperationCanceledException("The process is stopping; the message is handled after its restart.");
        }

        return member.Handled.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Member>(settings.MaxSize);
        try
        {
            while (await _arrivals.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < settings.MaxSize && _arrivals.Reader.TryRead(out var member))
                {
                    batch.Add(member);
                }

                await HandleAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is not committed is handled again after the restart, from the durable inbox.
        }
        finally
        {
            _arrivals.Writer.TryComplete();
            foreach (var member in batch.Concat(Drain()))
            {
                member.Handled.TrySetCanceled(stoppingToken);
            }
        }
    }

    private async Task HandleAsync(List<Member> batch, CancellationToken stoppingToken)
    {
        try
        {
            await CommitAsync(batch, stoppingToken);
            BatchMetrics.Observe<TMessage>(batch.Count);
            foreach (var member in batch)
            {
                member.Handled.TrySetResult();
            }
        }
        catch (RejectedMessagesException rejected) when (!stoppingToken.IsCancellationRequested)
        {
            var (unfit, rest) = (batch.Where(member => rejected.Messages.Contains(member.Message)).ToList(), batch.Where(member => !rejected.Messages.Contains(member.Message)).ToList());
            foreach (var member in unfit)
            {
                member.Handled.TrySetException(new InvalidOperationException(rejected.Message));
            }

            if (rest.Count > 0)
            {
                await HandleAsync(rest, stoppingToken);
            }
        }
        catch (Exception exception) when (batch.Count > 1 && !stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning(exception, "A batch of {Count} {Message} failed; handling them one at a time", batch.Count, typeof(TMessage).Name);
            foreach (var member in batch)
            {
                await HandleAsync([member], stoppingToken);
            }
        }
        catch (Exception exception)
        {
            // Wolverine's error policies take it from here, message by message: retries, then the dead-letter store.
            foreach (var member in batch)
            {
                member.Handled.TrySetException(exception);
            }
        }
    }

    private async Task CommitAsync(List<Member> batch, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = (DbContext)scope.ServiceProvider.GetRequiredService(method.DbContextType);
        await using var transaction = await OutboxTransaction.BeginAsync(db, runtime, cancellationToken);
        var messages = batch.Select(member => member.Message).ToArray();
        foreach (var outgoing in await method.InvokeAsync(messages, db, scope.ServiceProvider, cancellationToken))
        {
            await transaction.PublishAsync(outgoing);
        }

        var stored = batch.Where(member => member.Envelope is { WasPersistedInInbox: true, Destination: not null }).ToList();
        await SettleAsync(db, stored, cancellationToken);
        // Commits the step's changes with the messages they cause, then hands those to their queues.
        await transaction.CommitAsync(cancellationToken);
        foreach (var member in stored)
        {
            // Settled in the transaction: Wolverine then leaves the inbox row alone.
            member.Envelope.Status = EnvelopeStatus.Handled;
        }
    }

    /// <summary>
    /// Settles the batch's messages in the batch's own transaction, in one statement: they are done exactly when their
    /// effects commit, so no crash in between runs them again, and Wolverine, finding them Handled, does not settle
    /// each one in a statement of its own afterwards. A message from a local queue is deleted: nothing can deliver it
    /// again. One from the broker is marked Handled and kept for Durability.KeepAfterMessageHandling, as Wolverine
    /// does, so that the inbox recognises a redelivery. [Wolverine's durable inbox: the row its own settling updates,
    /// by id and destination, as Durability.MessageIdentity is IdAndDestination.]
    /// </summary>
    private Task SettleAsync(DbContext db, List<Member> stored, CancellationToken cancellationToken)
    {
        if (stored.Count == 0)
        {
            return Task.CompletedTask;
        }

        var ids = ModuleSql.Value(stored.Select(member => member.Envelope.Id).ToArray());
        var destinations = ModuleSql.Value(stored.Select(member => member.Envelope.Destination!.ToString()).ToArray());
        const string Rows = "(id, received_at) in (select * from unnest($1::uuid[], $2::text[]))";
        const string Inbox = $"{ModuleDatabaseExtensions.MessageStoreSchema}.wolverine_incoming_envelopes";
        return db.ExecuteAsync(
            cancellationToken,
            stored[0].Envelope.Destination!.Scheme == "local"
                ? ModuleSql.Statement($"delete from {Inbox} where {Rows}", ids, destinations)
                : ModuleSql.Statement(
                    $"update {Inbox} set status = '{nameof(EnvelopeStatus.Handled)}', keep_until = $3, owner_id = 0 where {Rows}",
                    ids,
                    destinations,
                    ModuleSql.Value(DateTimeOffset.UtcNow + runtime.Options.Durability.KeepAfterMessageHandling)));
    }

    private IEnumerable<Member> Drain()
    {
        while (_arrivals.Reader.TryRead(out var member))
        {
            yield return member;
        }
    }

    private sealed class Member(TMessage message, Envelope envelope)
    {
        public TMessage Message { get; } = message;

        public Envelope Envelope { get; } = envelope;

        public TaskCompletionSource Handled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The Wolverine handler of one message of a batched step: it joins the step's next batch and waits for its commit.</summary>
public static class JoinBatchHandler<TMessage>
    where TMessage : class
{
    public static Task Handle(TMessage message, Envelope envelope, BatchedStep<TMessage> step, CancellationToken cancellationToken) =>
        step.JoinAsync(message, envelope, cancellationToken);
}

/// <summary>
/// A module's handler of batches: <c>static Handle(TMessage[] batch, SomeDbContext db, ...)</c>, whose other
/// arguments come from the container, and which returns nothing or the messages the batch causes.
/// </summary>
public sealed class BatchedStepMethod
{
    private readonly MethodInfo _method;

    private BatchedStepMethod(MethodInfo method, Type dbContextType)
    {
        _method = method;
        DbContextType = dbContextType;
    }

    /// <summary>The module's DbContext, whose transaction and outbox the batch runs in.</summary>
    public Type DbContextType { get; }

    public static BatchedStepMethod For(ModuleSubscription subscription)
    {
        var arrayType = subscription.MessageType.MakeArrayType();
        var method = subscription.HandlerType.GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Single(candidate => candidate.Name is "Handle" or "HandleAsync" && candidate.GetParameters()[0].ParameterType == arrayType);
        var contexts = method.GetParameters().Where(parameter => parameter.ParameterType.IsAssignableTo(typeof(DbContext))).ToList();
        if (contexts.Count != 1 || !typeof(Task).IsAssignableFrom(method.ReturnType))
        {
            throw new InvalidOperationException(
                $"{subscription.HandlerType.Name}.{method.Name}({arrayType.Name}) handles batches: it must take its module's DbContext and return a Task.");
        }

        return new BatchedStepMethod(method, contexts[0].ParameterType);
    }

    public async Task<IEnumerable<object>> InvokeAsync(Array batch, DbContext db, IServiceProvider services, CancellationToken cancellationToken)
    {
        var arguments = _method.GetParameters()
            .Select(parameter => parameter.ParameterType switch
            {
                var type when type.IsArray => batch,
                var type when type == DbContextType => db,
                var type when type == typeof(CancellationToken) => cancellationToken,
                var type => services.GetRequiredService(type),
            })
            .ToArray();
        var task = (Task)_method.Invoke(null, arguments)!;
        await task;
        return _method.ReturnType.IsGenericType
            ? task.GetType().GetProperty(nameof(Task<object>.Result))!.GetValue(task) as IEnumerable<object> ?? []
            : [];
    }
}

internal static class BatchedStepRegistration
{
    /// <summary>
    /// For every hosted module's handler of batches: the <see cref="BatchedStep{TMessage}"/> that runs it, and the
    /// Wolverine handler that joins it, on a queue that lets a whole batch's worth of messages wait at once. The
    /// module's own handler class is left out of Wolverine's discovery: the step calls it, Wolverine does not.
    /// </summary>
    public static void AddBatchedSteps(
        this WolverineOptions options, IServiceCollection services, BatchingSettings settings, IReadOnlyList<ShopModule> hosted, bool overBroker)
    {
        var batched = hosted.SelectMany(ModuleSubscription.Of).Where(subscription => subscription.Batched).ToList();
        services.AddSingleton(settings);
        foreach (var subscription in batched)
        {
            var stepType = typeof(BatchedStep<>).MakeGenericType(subscription.MessageType);
            var method = BatchedStepMethod.For(subscription);
            services.AddSingleton(stepType, provider => ActivatorUtilities.CreateInstance(provider, stepType, method));
            services.AddSingleton(provider => (IHostedService)provider.GetRequiredService(stepType));
            options.Discovery.IncludeType(typeof(JoinBatchHandler<>).MakeGenericType(subscription.MessageType));
            if (!overBroker)
            {
                // Named as the broker queue would be (users.products.stock-reserved): the same place to look in every topology.
                options.PublishMessage(subscription.MessageType).ToLocalQueue(subscription.QueueName).MaximumParallelMessages(settings.MaxSize);
            }
        }

        var handlersOfBatches = batched.Select(subscription => subscription.HandlerType).ToHashSet();
        options.Discovery.CustomizeHandlerDiscovery(query => query.Excludes.WithCondition(
            "handles batches (run by BatchedStep)", handlersOfBatches.Contains));
    }
}
