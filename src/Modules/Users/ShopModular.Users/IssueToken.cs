using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Http;
using ShopModular.Platform.Security;

namespace ShopModular.Users;

public sealed record IssueTokenRequest(string? Email, string? Password);

public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn);

public static class IssueToken
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/api/auth/token", Handle)
            .WithTags("Accounts")
            .WithSummary("Sign in: exchange email and password for a bearer token")
            .AllowAnonymous();

    public static async Task<IResult> Handle(
        IssueTokenRequest request,
        HttpResponse response,
        UsersDbContext db,
        IPasswordHasher<User> passwordHasher,
        TokenIssuer tokens,
        CancellationToken cancellationToken)
    {
        // A token is a credential: no cache, shared or private, may keep a copy of the answer (RFC 6749 section 5.1).
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        var errors = new RequestErrors()
            .RequireText(request.Email, "email", RegisterUser.MaxEmailLength)
            .RequireText(request.Password, "password", RegisterUser.MaxPasswordLength);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var email = User.NormalizeEmail(request.Email!);
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == email, cancellationToken);
        var verified = user is not null
            && passwordHasher.VerifyHashedPassword(user, user.PasswordHash, request.Password!) != PasswordVerificationResult.Failed;
        if (!verified)
        {
            // One answer for an unknown email and a wrong password: no hint which accounts exist.
            return Problems.Unauthorized("The email or password is wrong.");
        }

        var token = tokens.Issue(user!.Id, user.Email, user.Roles);
        return TypedResults.Ok(new TokenResponse(token.AccessToken, "Bearer", token.ExpiresInSeconds));
    }
}
