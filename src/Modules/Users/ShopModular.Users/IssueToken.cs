using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Http;
using ShopModular.ServiceDefaults.Security;

namespace ShopModular.Users;

public sealed record IssueTokenRequest(string? Email, string? Password);

public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn);

public static class IssueToken
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/token", Handle)
            .WithSummary("Sign in: exchange email and password for a bearer token");

    public static async Task<IResult> Handle(
        IssueTokenRequest request,
        HttpContext http,
        UsersDbContext db,
        IPasswordHasher<User> passwordHasher,
        UnknownAccount unknownAccount,
        LoginThrottle throttle,
        TokenIssuer tokens,
        CancellationToken cancellationToken)
    {
        var response = http.Response;
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
        // Checked before any work: an attempt that is refused costs neither a query nor a password hash.
        if (throttle.RetryAfter(email, http) is { } retryAfter)
        {
            return Problems.TooManyRequests(response, retryAfter, "Too many failed sign-ins for this account or from this address; try again later.");
        }

        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == email, cancellationToken);
        bool verified;
        if (user is null)
        {
            unknownAccount.CheckPassword(request.Password!);
            verified = false;
        }
        else
        {
            verified = passwordHasher.VerifyHashedPassword(user, user.PasswordHash, request.Password!) != PasswordVerificationResult.Failed;
        }

        if (!verified)
        {
            throttle.Failed(email, http);
            // One answer for an unknown email and a wrong password: no hint which accounts exist.
            return Problems.Unauthorized("The email or password is wrong.");
        }

        throttle.Succeeded(email);
        var token = tokens.Issue(user!.Id, user.Email, user.Roles);
        return TypedResults.Ok(new TokenResponse(token.AccessToken, "Bearer", token.ExpiresInSeconds));
    }
}
