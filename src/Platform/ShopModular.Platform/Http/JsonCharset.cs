using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace ShopModular.Platform.Http;

/// <summary>
/// A JSON body is UTF-8 (RFC 8259 section 8.1). A request that declares another charset, or one that does not exist,
/// gets 415 before any endpoint reads it: ASP.NET Core would look the charset up while reading the body and fail with
/// a 500 on one it does not know (<c>charset=foo</c>, <c>utf-7</c>, an empty one). UTF-16 and UTF-32 are refused too:
/// no client of this API needs them, and RFC 8259 does not allow them between systems.
/// </summary>
internal static class JsonCharset
{
    public static async Task RefuseOtherThanUtf8Async(HttpContext context, RequestDelegate next)
    {
        if (JsonMediaType(context.Request.ContentType) is { } mediaType && Charsets(mediaType).ToList() is { Count: > 0 } charsets)
        {
            if (charsets.All(IsUtf8))
            {
                // Written as the endpoints' reader understands it: it looks a quoted charset ("UTF-8") up with its
                // quotes, and fails.
                mediaType.Charset = "utf-8";
                context.Request.ContentType = mediaType.ToString();
                await next(context);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            await Results.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported media type.",
                detail: "A JSON body must be UTF-8: send Content-Type: application/json, with no charset or charset=utf-8.").ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    /// <summary>The request's media type when it is JSON (<c>application/json</c> or <c>…+json</c>).</summary>
    private static MediaTypeHeaderValue? JsonMediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            // No JSON body the endpoints would read (they answer 415 themselves for what is not JSON).
            return null;
        }

        var isJson = mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);
        return isJson ? mediaType : null;
    }

    /// <summary>Every charset parameter, also one without a value (<c>charset</c>), which is no charset either.</summary>
    private static IEnumerable<StringSegment> Charsets(MediaTypeHeaderValue mediaType) =>
        mediaType.Parameters.Where(parameter => parameter.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)).Select(parameter => parameter.Value);

    private static bool IsUtf8(StringSegment charset)
    {
        var value = HeaderUtilities.RemoveQuotes(charset);
        return value.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || value.Equals("utf8", StringComparison.OrdinalIgnoreCase);
    }
}
