using Microsoft.AspNetCore.Http;

namespace ShopModular.Platform.Http;

/// <summary>
/// Collects validation errors by field (camelCase, as the client sent it) and turns them into
/// a 400 problem details response with an <c>errors</c> map.
/// </summary>
public sealed class RequestErrors
{
    /// <summary>Keeps (page - 1) * pageSize far from overflow.</summary>
    public const int MaxPage = 1_000_000;

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public RequestErrors Check(bool valid, string field, string message)
    {
        if (!valid)
        {
            if (!_errors.TryGetValue(field, out var messages))
            {
                _errors[field] = messages = [];
            }

            messages.Add(message);
        }

        return this;
    }

    /// <summary>A required single-line text of at most <paramref name="maxLength"/> characters (see <see cref="CheckText"/>).</summary>
    public RequestErrors RequireText(string? value, string field, int maxLength, int minLength = 1)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Check(false, field, $"{field} is required.");
        }

        return Check(value.Length >= minLength, field, $"{field} must be at least {minLength} characters.")
            .Check(value.Length <= maxLength, field, $"{field} must be at most {maxLength} characters.")
            .CheckText(value, field);
    }

    /// <summary>
    /// Single-line text: no control characters (C0 such as NUL, tab and line breaks, DEL, C1), which PostgreSQL
    /// refuses (NUL) or which forge lines in logs and mails, and no lone UTF-16 surrogate, which is no text at all
    /// and cannot be stored as UTF-8.
    /// </summary>
    public RequestErrors CheckText(string? value, string field) =>
        Check(value is null || IsSingleLineText(value), field, $"{field} must not contain control characters or invalid Unicode.");

    private static bool IsSingleLineText(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    public RequestErrors RequireValue<T>(T? value, string field)
        where T : struct =>
        Check(value.HasValue, field, $"{field} is required.");

    /// <summary>The paging query of list routes: page from 1, pageSize from 1 to <paramref name="maxPageSize"/>.</summary>
    public RequestErrors CheckPage(int page, int pageSize, int maxPageSize) =>
        Check(page is >= 1 and <= MaxPage, "page", $"page must be between 1 and {MaxPage}.")
            .Check(pageSize >= 1 && pageSize <= maxPageSize, "pageSize", $"pageSize must be between 1 and {maxPageSize}.");

    public IResult ToProblem() =>
        TypedResults.ValidationProblem(
            _errors.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray()),
            title: "The request is invalid.",
            detail: "See errors for the fields to correct.");
}

public static class Problems
{
    public static IResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: detail);

    public static IResult Conflict(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict.", detail: detail);

    public static IResult Unauthorized(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized.", detail: detail);

    public static IResult UnprocessableContent(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The request cannot be processed.", detail: detail);

    /// <summary>429 with <c>Retry-After</c> in whole seconds, at least one.</summary>
    public static IResult TooManyRequests(HttpResponse response, TimeSpan retryAfter, string detail)
    {
        response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests.", detail: detail);
    }

    public static IResult BadRequest(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The request is invalid.", detail: detail);
}
