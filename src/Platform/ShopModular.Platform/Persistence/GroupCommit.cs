using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ShopModular.Platform.Persistence;

/// <summary>
/// Group commit: work that arrives while a transaction runs waits for the next one, which then takes all of it at once.
/// An idle writer commits a lone item at once; a busy one commits once for many, so the cost of a durable commit (a
/// round trip per statement, a WAL flush) is shared instead of paid per item. Each caller waits until the transaction
/// that holds its item has committed.
/// <para>A batch that fails is tried again one item at a time, so that only the item at fault fails; a commit that
/// knows which items are at fault says so with <see cref="RejectedItemsException"/>, and the rest run again without
/// them.</para>
/// </summary>
public abstract class GroupCommit<TItem>(int maxSize, ILogger logger) : BackgroundService
    where TItem : class
{
    private readonly Channel<Member> _arrivals = Channel.CreateUnbounded<Member>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Waits until a committed transaction holds <paramref name="item"/>; throws what committing it threw.</summary>
    public Task JoinAsync(TItem item, CancellationToken cancellationToken)
    {
        var member = new Member(item);
        if (!_arrivals.Writer.TryWrite(member))
        {
            throw new OperationCanceledException("The process is stopping.");
        }

        return member.Committed.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Does the work of every item in one transaction and commits it.</summary>
    protected abstract Task CommitAsync(IReadOnlyList<TItem> items, CancellationToken cancellationToken);

    /// <summary>Called once a batch has committed, with its size.</summary>
    protected virtual void Committed(int count)
    {
    }

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Member>(maxSize);
        try
        {
            while (await _arrivals.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < maxSize && _arrivals.Reader.TryRead(out var member))
                {
                    batch.Add(member);
                }

                await CommitBatchAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is not committed did not happen; its callers are told so below.
        }
        finally
        {
            _arrivals.Writer.TryComplete();
            foreach (var member in batch.Concat(Drain()))
            {
                member.Committed.TrySetCanceled(stoppingToken);
            }
        }
    }

    private async Task CommitBatchAsync(List<Member> batch, CancellationToken stoppingToken)
    {
        try
        {
            await CommitAsync([.. batch.Select(member => member.Item)], stoppingToken);
            Committed(batch.Count);
            foreach (var member in batch)
            {
                member.Committed.TrySetResult();
            }
        }
        catch (RejectedItemsException rejected) when (!stoppingToken.IsCancellationRequested)
        {
            var unfit = batch.Where(member => rejected.Items.Contains(member.Item)).ToList();
            foreach (var member in unfit)
            {
                member.Committed.TrySetException(new InvalidOperationException(rejected.Message));
            }

            if (unfit.Count < batch.Count)
            {
                await CommitBatchAsync([.. batch.Except(unfit)], stoppingToken);
            }
        }
        catch (Exception exception) when (batch.Count > 1 && !stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning(exception, "A batch of {Count} {Item} failed; committing them one at a time", batch.Count, typeof(TItem).Name);
            foreach (var member in batch)
            {
                await CommitBatchAsync([member], stoppingToken);
            }
        }
        catch (Exception exception)
        {
            foreach (var member in batch)
            {
                member.Committed.TrySetException(exception);
            }
        }
    }

    private IEnumerable<Member> Drain()
    {
        while (_arrivals.Reader.TryRead(out var member))
        {
            yield return member;
        }
    }

    private sealed class Member(TItem item)
    {
        public TItem Item { get; } = item;

        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>
/// Thrown by a group commit for the items of its batch that do not fit this system (say, a saga message about a user
/// who does not exist): those items fail on their own, with <paramref name="reason"/>, and the rest of the batch runs
/// again without them, in a new transaction.
/// </summary>
public sealed class RejectedItemsException(IReadOnlyCollection<object> items, string reason) : Exception(reason)
{
    public IReadOnlyCollection<object> Items { get; } = items;
}
