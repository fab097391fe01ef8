using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Npgsql;
using ShopModular.ServiceDefaults.Http;

namespace ShopModular.Platform.Http;

/// <summary>
/// The database could not be reached (down, restarting, or gone): answer 503 with <c>Retry-After</c> and problem
/// details, which tells a client to try again later, instead of the 500 that says the request itself broke
/// something.
/// </summary>
internal sealed class DatabaseUnavailableExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    /// <summary>PostgreSQL's "database does not exist": the database was dropped or not created yet.</summary>
    private const string InvalidCatalogName = "3D000";

    private const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!exception.AndItsCauses().Any(cause => cause is NpgsqlException { IsTransient: true } or PostgresException { SqlState: InvalidCatalogName }))
        {
            return false;
        }

        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problemDetails.AnswerAsync(
            httpContext,
            exception,
            StatusCodes.Status503ServiceUnavailable,
            "The service's database is unavailable.",
            "Nothing was changed. Try again in a few seconds.");
    }
}
