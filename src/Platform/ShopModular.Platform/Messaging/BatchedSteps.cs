using System.Diagnostics;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ShopModular.Platform.Hosting;
using ShopModular.Platform.Persistence;
using ShopModular.ServiceDefaults.Observability;
using Wolverine;
using Wolverine.Runtime;

namespace ShopModular.Platform.Messaging;

/// <summary>
/// How a module's handler of batches (<c>Handle(StockReserved[] batch, UsersDbContext db, ...)</c>) runs: by
/// <see cref="GroupCommit{TItem}"/>, every message of the step that arrives while the step's transaction runs
/// waits for the next one, which then takes all of them at once.
/// <para>Wolverine delivers each message to <see cref="JoinBatchHandler{TMessage}"/>, which waits here until the
/// transaction that handled it has committed, with the messages it causes in the same transaction (the outbox);
/// only then is the message done, so durability, retries, dead letters and tracking stay Wolverine's, per message.
/// A handler that knows which messages of its batch are at fault says so with <see cref="RejectedItemsException"/>.</para>
/// <para>Traces: the batch's span links to each message's (Wolverine's span of handling it, in the trace of the order
/// that sent it), or, for a batch of one, is its child; each message the batch causes is published in a span of its
/// cause's trace when the handler names the cause (<see cref="CausedMessages{TCause}"/>), so Wolverine gives it that
/// trace's context (the envelope's <c>parent-id</c>, which it takes from <see cref="Activity.Current"/>).</para>
/// <para>Wolverine's own batching (<c>BatchMessagesOf</c>) waits a fixed window from a batch's first message: on
/// this saga it made batches of one or two, as a closed loop of clients rarely sends two orders in the same
/// millisecond.</para>
/// </summary>
public sealed class BatchedStep<TMessage>(
    BatchedStepMethod method, BatchingSettings settings, IServiceScopeFactory scopes, IWolverineRuntime runtime, ILogger<BatchedStep<TMessage>> logger)
    : GroupCommit<BatchedStep<TMessage>.Delivery>(settings.MaxSize, logger)
    where TMessage : class
{
    /// <summary>Waits until a committed transaction has handled <paramref name="message"/>; throws what its handling threw.</summary>
    public Task JoinAsync(TMessage message, Envelope envelope, CancellationToken cancellationToken) =>
        // Activity.Current: Wolverine's span of handling the message, in its sender's trace (none while nothing listens).
        JoinAsync(new Delivery(message, envelope, Activity.Current?.Context ?? default), cancellationToken);

    protected override async Task CommitAsync(IReadOnlyList<Delivery> batch, CancellationToken cancellationToken)
    {
        using var span = StartBatchSpan(batch);
        await using var scope = scopes.CreateAsyncScope();
        var db = (DbContext)scope.ServiceProvider.GetRequiredService(method.DbContextType);
        await using var transaction = await OutboxTransaction.BeginAsync(db, runtime, cancellationToken);
        IEnumerable<object> caused;
        try
        {
            caused = await method.InvokeAsync(batch.Select(delivery => delivery.Message).ToArray(), db, scope.ServiceProvider, cancellationToken);
        }
        catch (RejectedItemsException rejected)
        {
            // The handler names messages; the batch is made of their deliveries.
            throw new RejectedItemsException([.. batch.Where(delivery => rejected.Items.Contains(delivery.Message))], rejected.Message);
        }

        // Only while traces are recorded: otherwise no span is started, and the causes are not looked up.
        var deliveryOf = span is null
            ? null
            : batch.DistinctBy(delivery => delivery.Message, ReferenceEqualityComparer.Instance)
                .ToDictionary(delivery => (object)delivery.Message, ReferenceEqualityComparer.Instance);
        foreach (var message in caused)
        {
            var cause = deliveryOf is not null && (caused as CausedMessages<TMessage>)?.CauseOf(message) is { } causedBy
                ? deliveryOf.GetValueOrDefault(causedBy)
                : null;
            await PublishAsync(transaction, message, cause, span);
        }

        var stored = batch.Where(delivery => delivery.Envelope is { WasPersistedInInbox: true, Destination: not null }).ToList();
        await SettleAsync(db, stored, cancellationToken);
        // Commits the step's changes with the messages they cause, then hands those to their queues.
        await transaction.CommitAsync(cancellationToken);
        foreach (var delivery in stored)
        {
            // Settled in the transaction: Wolverine then leaves the inbox row alone.
            delivery.Envelope.Status = EnvelopeStatus.Handled;
        }
    }

    protected override void Committed(int count) => BatchMetrics.Observe<TMessage>(count);

    /// <summary>The span of the batch's transaction: its one message's child, or linked to each of its messages.</summary>
    private static Activity? StartBatchSpan(IReadOnlyList<Delivery> batch)
    {
        var name = $"{typeof(TMessage).Name} batch";
        if (batch is [{ Trace: var only }])
        {
            return ShopTelemetry.Source.StartActivity(name, ActivityKind.Internal, only)?.SetTag("shop.batch.size", 1);
        }

        // A trace of its own, whatever the step's loop may have inherited: it belongs to no one order.
        Activity.Current = null;
        var links = batch.Where(delivery => delivery.Trace != default).Select(delivery => new ActivityLink(delivery.Trace));
        return ShopTelemetry.Source.StartActivity(name, ActivityKind.Internal, parentContext: default, links: links)?.SetTag("shop.batch.size", batch.Count);
    }

    /// <summary>
    /// Publishes <paramref name="message"/> in a span of its cause's trace, whose context Wolverine stamps on the
    /// envelope (it reads <see cref="Activity.Current"/>); without a known cause, in the batch's span.
    /// </summary>
    private static async ValueTask PublishAsync(OutboxTransaction transaction, object message, Delivery? cause, Activity? batchSpan)
    {
        using var publishing = cause is { Trace: var trace } && trace != default
            ? ShopTelemetry.Source.StartActivity(
                $"{message.GetType().Name} publish",
                ActivityKind.Producer,
                trace,
                links: batchSpan is null ? null : [new ActivityLink(batchSpan.Context)])
            : null;
        await transaction.PublishAsync(message);
    }

    /// <summary>
    /// Settles the batch's messages in the batch's own transaction, in one statement: they are done exactly when their
    /// effects commit, so no crash in between runs them again, and Wolverine, finding them Handled, does not settle
    /// each one in a statement of its own afterwards. A message from a local queue is deleted: nothing can deliver it
    /// again. One from the broker is marked Handled and kept for Durability.KeepAfterMessageHandling, as Wolverine
    /// does, so that the inbox recognises a redelivery. [Wolverine's durable inbox: the row its own settling updates,
    /// by id and destination, as Durability.MessageIdentity is IdAndDestination.]
    /// </summary>
    private Task SettleAsync(DbContext db, List<Delivery> stored, CancellationToken cancellationToken)
    {
        if (stored.Count == 0)
        {
            return Task.CompletedTask;
        }

        var ids = ModuleSql.Value(stored.Select(delivery => delivery.Envelope.Id).ToArray());
        var destinations = ModuleSql.Value(stored.Select(delivery => delivery.Envelope.Destination!.ToString()).ToArray());
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

    /// <summary>One message of the step, as Wolverine delivered it, and the context of Wolverine's span of handling it.</summary>
    public sealed record Delivery(TMessage Message, Envelope Envelope, ActivityContext Trace);
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
