using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Http;
using ShopModular.ServiceDefaults.Security;

namespace ShopModular.Users;

public sealed record TopUpPointsRequest(long? Amount);

public sealed record PointsResponse(long Points);

public static class TopUpPoints
{
    /// <summary>Keeps a balance far from overflow however many top-ups are made.</summary>
    public const long MaxAmount = 1_000_000_000;

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/me/points", Handle)
            .WithSummary("Top up the signed-in account's points");

    public static async Task<IResult> Handle(
        TopUpPointsRequest request, ClaimsPrincipal principal, UsersDbContext db, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors().RequireValue(request.Amount, "amount");
        if (request.Amount is { } amount)
        {
            errors.Check(amount > 0, "amount", "amount must be greater than 0.")
                .Check(amount <= MaxAmount, "amount", $"amount must be at most {MaxAmount}.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var userId = principal.GetUserId();
        var added = request.Amount!.Value;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // One atomic increment: concurrent top-ups and saga deductions never overwrite each other.
        var updated = await db.Users
            .Where(u => u.Id == userId)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.Points, u => u.Points + added), cancellationToken);
        if (updated == 0)
        {
            return Problems.NotFound("The account of this token no longer exists.");
        }

        var balance = await db.Users.Where(u => u.Id == userId).Select(u => u.Points).SingleAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(new PointsResponse(balance));
    }
}
