using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ShopModular.Platform.Http;
using ShopModular.ServiceDefaults.Security;
using Wolverine.Persistence.Durability;
using Wolverine.Persistence.Durability.DeadLetterManagement;
using Wolverine.Runtime;

namespace ShopModular.Platform.Messaging;

/// <summary>One dead letter as an administrator sees it: what failed, for which order, why and when.</summary>
public sealed record DeadLetterResponse(
    Guid Id, string MessageType, Guid? OrderId, string Queue, string ExceptionType, string ExceptionMessage, DateTimeOffset SentAt, bool Replayable);

public sealed record DeadLettersReplayed(int Count);

/// <summary>
/// A module's dead letters for its administrators, under the module's own route prefix (<c>/api/users/dead-letters</c>),
/// so the gateway sends them to the module's processes in the split topology: list them, and, once the cause is fixed,
/// replay one or all of them. Replaying marks the rows replayable; Wolverine's durability agent moves them back to the
/// inbox, and the handlers, idempotent by order id, apply each one once. [Wolverine's IDeadLetters, on this process's
/// message store.] In the monolith the modules share one store: each lists only the messages its own queues received.
/// </summary>
public static class DeadLetterEndpoints
{
    /// <summary>The most dead letters one listing reads; a larger backlog is a matter for the database, not a page.</summary>
    public const int MaxListed = 500;

    public static void MapDeadLetters(this IEndpointRouteBuilder routes, string module)
    {
        var group = routes.MapModuleGroup($"/api/{module}/dead-letters")
            .WithTags("Operations")
            .RequireAuthorization(ShopRoles.AdminPolicy);
        group.MapGet("", (IWolverineRuntime runtime, CancellationToken cancellationToken) => ListAsync(runtime, module, cancellationToken))
            .WithSummary($"The messages {module} could not handle, newest first (administrator)");
        group.MapPost("/{id:guid}/replay", (Guid id, IWolverineRuntime runtime, CancellationToken cancellationToken) => ReplayOneAsync(runtime, module, id, cancellationToken))
            .WithSummary($"Hand one of {module}'s dead letters to its handler again, once its cause is fixed (administrator)");
        group.MapPost("/replay", (IWolverineRuntime runtime, CancellationToken cancellationToken) => ReplayAllAsync(runtime, module, cancellationToken))
            .WithSummary($"Hand all of {module}'s dead letters to their handlers again (administrator)");
    }

    private static async Task<IResult> ListAsync(IWolverineRuntime runtime, string module, CancellationToken cancellationToken) =>
        TypedResults.Ok((await OfModuleAsync(runtime, module, cancellationToken)).OrderByDescending(letter => letter.SentAt).Select(Response).ToList());

    private static async Task<IResult> ReplayOneAsync(IWolverineRuntime runtime, string module, Guid id, CancellationToken cancellationToken)
    {
        var letter = await runtime.Storage.DeadLetters.DeadLetterEnvelopeByIdAsync(id);
        if (letter is null || !IsOfModule(letter, module) || letter.Replayable)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound, title: "No such dead letter", detail: $"{module} has no dead letter {id} waiting to be replayed.");
        }

        await runtime.Storage.DeadLetters.ReplayAsync(new DeadLetterEnvelopeQuery([id]), cancellationToken);
        return TypedResults.Accepted((string?)null, new DeadLettersReplayed(1));
    }

    private static async Task<IResult> ReplayAllAsync(IWolverineRuntime runtime, string module, CancellationToken cancellationToken)
    {
        var ids = (await OfModuleAsync(runtime, module, cancellationToken)).Where(letter => !letter.Replayable).Select(letter => letter.Id).ToArray();
        if (ids.Length > 0)
        {
            await runtime.Storage.DeadLetters.ReplayAsync(new DeadLetterEnvelopeQuery(ids), cancellationToken);
        }

        return TypedResults.Accepted((string?)null, new DeadLettersReplayed(ids.Length));
    }

    private static async Task<List<DeadLetterEnvelope>> OfModuleAsync(IWolverineRuntime runtime, string module, CancellationToken cancellationToken)
    {
        var results = await runtime.Storage.DeadLetters.QueryAsync(new DeadLetterEnvelopeQuery { PageSize = MaxListed }, cancellationToken);
        return [.. results.Envelopes.Where(letter => IsOfModule(letter, module))];
    }

    /// <summary>
    /// Received on one of the module's queues, which are named after it (<c>local://users.products.stock-reserved/</c>,
    /// <c>rabbitmq://queue/users.products.stock-reserved</c>; see <see cref="ModuleSubscription"/>).
    /// </summary>
    private static bool IsOfModule(DeadLetterEnvelope letter, string module) =>
        QueueOf(letter).StartsWith($"{module}.", StringComparison.Ordinal);

    private static string QueueOf(DeadLetterEnvelope letter) =>
        Uri.TryCreate(letter.ReceivedAt, UriKind.Absolute, out var queue) ? queue.Segments.Length > 1 ? queue.Segments[^1].TrimEnd('/') : queue.Host : letter.ReceivedAt;

    private static DeadLetterResponse Response(DeadLetterEnvelope letter) => new(
        letter.Id, letter.MessageType, OrderIdOf(letter.Envelope), QueueOf(letter), letter.ExceptionType, letter.ExceptionMessage, letter.SentAt, letter.Replayable);

    /// <summary>The saga's messages all carry the order they are about; others have none.</summary>
    private static Guid? OrderIdOf(Wolverine.Envelope envelope)
    {
        if (envelope.Data is not { Length: > 0 } data)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(data);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if ((property.NameEquals("orderId") || property.NameEquals("OrderId"))
                    && property.Value.ValueKind == JsonValueKind.String && property.Value.TryGetGuid(out var orderId))
                {
                    return orderId;
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
