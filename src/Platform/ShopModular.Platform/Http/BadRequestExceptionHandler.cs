using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace ShopModular.Platform.Http;

/// <summary>
/// Malformed JSON, a value of the wrong type, an oversized body: ASP.NET Core reports these as
/// <see cref="BadHttpRequestException"/>. Answer them with a 4xx problem details response that says what was wrong,
/// instead of the generic 500 an unhandled exception gets.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        return await problemDetails.AnswerAsync(
            httpContext, exception, badRequest.StatusCode, "The request could not be read.", badRequest.InnerException?.Message ?? badRequest.Message);
    }
}
