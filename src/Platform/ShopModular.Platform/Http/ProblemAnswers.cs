using Microsoft.AspNetCore.Http;

namespace ShopModular.Platform.Http;

internal static class ProblemAnswers
{
    /// <summary>Answers an exception an <see cref="Microsoft.AspNetCore.Diagnostics.IExceptionHandler"/> recognised, as problem details.</summary>
    internal static async ValueTask<bool> AnswerAsync(
        this IProblemDetailsService problemDetails, HttpContext httpContext, Exception exception, int status, string title, string detail)
    {
        httpContext.Response.StatusCode = status;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
