using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Http;
using ShopModular.ServiceDefaults.Security;

namespace ShopModular.Users;

public sealed record CurrentUserResponse(Guid Id, string Email, string Name, long Points, IReadOnlyList<string> Roles);

public static class GetCurrentUser
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/me", Handle)
            .WithSummary("The signed-in account, with its points balance");

    public static async Task<IResult> Handle(ClaimsPrincipal principal, UsersDbContext db, CancellationToken cancellationToken)
    {
        var userId = principal.GetUserId();
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, cancellationToken);
        return user is null
            ? Problems.NotFound("The account of this token no longer exists.")
            : TypedResults.Ok(new CurrentUserResponse(user.Id, user.Email, user.Name, user.Points, user.Roles));
    }
}
