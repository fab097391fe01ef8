using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using ShopModular.Orders.Contracts;
using ShopModular.Platform.Http;
using ShopModular.Platform.Messaging;
using ShopModular.ServiceDefaults.Security;
using Wolverine.Runtime;

namespace ShopModular.Orders;

public sealed record PlaceOrderRequest(IReadOnlyList<PlaceOrderItem>? Items);

public sealed record PlaceOrderItem(Guid? ProductId, int? Quantity);

/// <summary>
/// Step 1 of the saga: stores the order and its payment (both Pending) and publishes <see cref="OrderPlaced"/>
/// through the outbox, in one transaction. Prices come from Orders' own copy of the catalog.
/// </summary>
public static class PlaceOrder
{
    public const int MaxItems = 50;
    public const int MaxQuantity = 1_000;
    public const int MaxIdempotencyKeyLength = 200;
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Hex of a SHA-256.</summary>
    public const int RequestHashLength = 64;

    /// <summary>The last pause before an order naming a product the catalog copy does not know is refused.</summary>
    private static readonly TimeSpan CatalogLag = TimeSpan.FromMilliseconds(400);

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("", Handle)
            .WithSummary("Place an order; it completes or is cancelled asynchronously (202: poll its Location); with Prefer: wait=N, 201 once it has ended within N seconds");

    public static async Task<IResult> Handle(
        PlaceOrderRequest request,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        HttpContext http,
        ClaimsPrincipal principal,
        OrdersDbContext db,
        IWolverineRuntime runtime,
        OrderOutcomes outcomes,
        OrdersSettings settings,
        TimeProvider clock,
        ILogger<Order> logger,
        CancellationToken cancellationToken)
    {
        var errors = Validate(request, idempotencyKey);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var userId = principal.GetUserId();
        var wait = PreferredWait.Of(http.Request, settings.MaxWait);
        var requestHash = idempotencyKey is null ? null : RequestHash(request);
        if (idempotencyKey is not null && await OrderRows.ByIdempotencyKeyAsync(db, userId, idempotencyKey, cancellationToken) is { } earlier)
        {
            return earlier.WasPlacedBy(requestHash!)
                ? await AnswerAsync(http, db, outcomes, earlier.Order, wait, clock, watch: null, cancellationToken)
                : KeyReusedForAnotherOrder();
        }

        var items = request.Items!;
        var productIds = items.Select(item => item.ProductId!.Value).ToArray();
        var prices = await PricesAsync(db, productIds, clock, cancellationToken);
        for (var i = 0; i < items.Count; i++)
        {
            errors.Check(prices.ContainsKey(productIds[i]), $"items[{i}].productId", $"There is no product {productIds[i]}.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        // One transaction for the order and its message: one commit per order.
        await using var transaction = await OutboxTransaction.BeginAsync(db, runtime, cancellationToken);

        var order = Order.Place(
            userId,
            items.Select(item => new OrderItem { ProductId = item.ProductId!.Value, Quantity = item.Quantity!.Value, UnitPrice = prices[item.ProductId!.Value] }),
            idempotencyKey,
            requestHash,
            clock.GetUtcNow());
        // Watched before the saga can start, so that even an instant end is seen.
        using var watch = wait is null ? null : outcomes.Watch(order.Id);
        if (!await OrderRows.InsertAsync(db, order, cancellationToken))
        {
            // The same key raced in twice; the first order won (its row is committed, or the insert would still wait)
            // and is the answer to both.
            var first = (await OrderRows.ByIdempotencyKeyAsync(db, userId, idempotencyKey!, cancellationToken))!;
            // Nothing to keep: the connection goes back to the pool before any wait.
            await transaction.DisposeAsync();
            return first.WasPlacedBy(requestHash!)
                ? await AnswerAsync(http, db, outcomes, first.Order, wait, clock, watch: null, cancellationToken)
                : KeyReusedForAnotherOrder();
        }

        await transaction.PublishAsync(new OrderPlaced(
            order.Id,
            order.UserId,
            order.TotalPrice,
            order.Items.Select(item => new OrderLine(item.ProductId, item.Quantity, item.UnitPrice)).ToList(),
            order.CreatedAt));
        // Commits the order with its OrderPlaced (the outbox), then hands the message to its queue.
        await transaction.CommitAsync(cancellationToken);

        OrderMetrics.Placed.Inc();
        logger.LogDebug("Order {OrderId} placed by {UserId} for {TotalPrice} points", order.Id, order.UserId, order.TotalPrice);
        return await AnswerAsync(http, db, outcomes, OrderResponse.From(order), wait, clock, watch, cancellationToken);
    }

    public static RequestErrors Validate(PlaceOrderRequest request, string? idempotencyKey)
    {
        var errors = new RequestErrors();
        if (idempotencyKey is not null)
        {
            errors.Check(idempotencyKey.Length is > 0 and <= MaxIdempotencyKeyLength, IdempotencyKeyHeader,
                $"{IdempotencyKeyHeader} must have 1 to {MaxIdempotencyKeyLength} characters.")
                .CheckText(idempotencyKey, IdempotencyKeyHeader);
        }

        if (request.Items is null || request.Items.Count == 0)
        {
            return errors.Check(false, "items", "An order needs at least one item.");
        }

        errors.Check(request.Items.Count <= MaxItems, "items", $"An order has at most {MaxItems} items.");
        for (var i = 0; i < request.Items.Count; i++)
        {
            var item = request.Items[i];
            if (item is null)
            {
                errors.Check(false, $"items[{i}]", "An item must not be null.");
                continue;
            }

            errors.Check(item.ProductId is { } id && id != Guid.Empty, $"items[{i}].productId", "productId is required.");
            errors.Check(item.Quantity is >= 1 and <= MaxQuantity, $"items[{i}].quantity", $"quantity must be between 1 and {MaxQuantity}.");
        }

        var duplicates = request.Items.Where(item => item?.ProductId is not null).GroupBy(item => item.ProductId).Where(group => group.Count() > 1);
        foreach (var duplicate in duplicates)
        {
            errors.Check(false, "items", $"Product {duplicate.Key} appears more than once; order it once with the total quantity.");
        }

        return errors;
    }

    /// <summary>
    /// What an order asks for, as a hash: its items, in product order (the same items listed in another order, or
    /// the same JSON written differently, are the same request).
    /// </summary>
    public static string RequestHash(PlaceOrderRequest request)
    {
        var items = request.Items!.OrderBy(item => item.ProductId).Select(item => $"{item.ProductId:N}:{item.Quantity}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(';', items))));
    }

    private static IResult KeyReusedForAnotherOrder() =>
        Problems.UnprocessableContent(
            $"This {IdempotencyKeyHeader} was already used for an order with other items; use a new key for a new order.");

    /// <summary>
    /// The prices of the products, from Orders' copy of the catalog. The copy learns of a new product from Products'
    /// event, a moment after Products has answered its creation: a product the copy does not know yet is looked for
    /// again a few times, for about three quarters of a second, before the order is refused for it.
    /// </summary>
    private static async Task<Dictionary<Guid, long>> PricesAsync(OrdersDbContext db, Guid[] productIds, TimeProvider clock, CancellationToken cancellationToken)
    {
        var prices = await OrderRows.PricesAsync(db, productIds, cancellationToken);
        for (var pause = TimeSpan.FromMilliseconds(25); prices.Count < productIds.Length && pause <= CatalogLag; pause *= 2)
        {
            await Task.Delay(pause, clock, cancellationToken);
            prices = await OrderRows.PricesAsync(db, productIds, cancellationToken);
        }

        return prices;
    }

    /// <summary>
    /// 202 with the order as it is; or, when the client prefers to wait, 201 with the order once it has ended, if that
    /// happens within the wait.
    /// </summary>
    private static async Task<IResult> AnswerAsync(
        HttpContext http, OrdersDbContext db, OrderOutcomes outcomes, OrderResponse order, TimeSpan? wait, TimeProvider clock, OrderWatch? watch, CancellationToken cancellationToken)
    {
        var location = $"/api/orders/{order.Id}";
        if (wait is null)
        {
            return TypedResults.Accepted(location, order);
        }

        using var ownWatch = watch is null ? outcomes.Watch(order.Id) : null;
        if (ownWatch is not null)
        {
            // Watched after the order was read: read it again, as an end in between would be missed.
            order = await OrderRows.ByIdAsync(db, order.Id, cancellationToken) ?? order;
        }

        order = await GetOrder.WaitForEndAsync(db, watch ?? ownWatch!, order, wait.Value, clock, cancellationToken);
        if (!order.HasEnded())
        {
            return TypedResults.Accepted(location, order);
        }

        PreferredWait.MarkApplied(http.Response, wait.Value);
        return TypedResults.Created(location, order);
    }
}
