using System.Globalization;
using System.Text.Json.Nodes;

namespace ShopModular.ConfigServer;

/// <summary>
/// <c>GET /{app}/{profiles}[/{label}]</c> (protocol notes, 3.1), answered as the genuine EnvironmentController
/// answers: the Environment document; 400 for a name, profile or label it refuses; 404 for an unknown label; 500
/// when a file the request reads is broken, with Spring Boot's error document, whose message names the file.
/// </summary>
public static class EnvironmentEndpoints
{
    public const string HealthPath = "/actuator/health";

    private const string SlashPlaceholder = "(_)";

    private static readonly string[] DocumentSuffixes = [".yml", ".yaml", ".properties", ".json"];

    public static void MapEnvironment(this IEndpointRouteBuilder routes, string prefix)
    {
        var environment = routes.MapGroup(prefix.TrimEnd('/'));
        environment.MapGet("/{application}/{profiles}", (string application, string profiles, HttpContext context, NativeRepository repository, ILogger<NativeRepository> logger) =>
            Environment(application, profiles, label: null, context, repository, logger));
        environment.MapGet("/{application}/{profiles}/{label}", (string application, string profiles, string label, HttpContext context, NativeRepository repository, ILogger<NativeRepository> logger) =>
            Environment(application, profiles, label, context, repository, logger));
    }

    /// <summary>Spring Boot's error document (<c>server.error.include-message=always</c>: the message only when there is one).</summary>
    public static IResult Error(int status, string path, string? message)
    {
        var body = new JsonObject
        {
            ["timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
            ["status"] = status,
            ["error"] = ReasonPhrase(status),
        };
        if (message is not null)
        {
            body["message"] = message;
        }

        body["path"] = path;
        return Results.Json(body, statusCode: status);
    }

    private static IResult Environment(string application, string profiles, string? label, HttpContext context, NativeRepository repository, ILogger logger)
    {
        var path = context.Request.Path.ToString();
        // The document forms ({app}-{profiles}.yml and the like) are not served here.
        if (label is null && DocumentSuffixes.Any(suffix => profiles.EndsWith(suffix, StringComparison.Ordinal)))
        {
            return Error(StatusCodes.Status404NotFound, path, message: null);
        }

        if (IsInvalidLocation(application) || (label is not null && IsInvalidLocation(label)) || IsInvalidProfiles(profiles))
        {
            return Error(StatusCodes.Status400BadRequest, path, "Invalid request");
        }

        var name = application.Replace(SlashPlaceholder, "/", StringComparison.Ordinal);
        var normalizedLabel = label?.Replace(SlashPlaceholder, "/", StringComparison.Ordinal);
        try
        {
            return Results.Json(repository.FindOne(name, profiles, normalizedLabel));
        }
        catch (NoSuchLabelException)
        {
            return Error(StatusCodes.Status404NotFound, path, message: null);
        }
        catch (ConfigFileException exception)
        {
            var message = $"Could not construct context for config={name} profile={profiles} label={normalizedLabel ?? "null"} includeOrigin=false; "
                + $"nested exception is {exception.Message}";
            logger.LogWarning("Error getting the Environment with name={Name} profiles={Profiles} label={Label}: {File}, line {Line}: {Problem}",
                name, profiles, normalizedLabel, exception.Path, exception.Line?.ToString(CultureInfo.InvariantCulture) ?? "?", exception.Message);
            return Error(StatusCodes.Status500InternalServerError, path, message);
        }
    }

    /// <summary>As the genuine PathUtils: no <c>..</c>, no <c>#</c>, no leading <c>(_)</c>; and never a real slash.</summary>
    private static bool IsInvalidLocation(string value) =>
        value.Contains("..", StringComparison.Ordinal) || value.Contains('#', StringComparison.Ordinal)
        || value.StartsWith(SlashPlaceholder, StringComparison.Ordinal) || value.Contains('/', StringComparison.Ordinal)
        || value.Contains('\\', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal);

    /// <summary>As the genuine PathUtils: each profile letters, digits and <c>-_.+@</c>, starting and ending with a letter or digit.</summary>
    private static bool IsInvalidProfiles(string profiles) =>
        profiles.Split(',').Any(profile =>
            profile.Length == 0
            || !char.IsLetterOrDigit(profile[0]) || !char.IsLetterOrDigit(profile[^1])
            || profile.Any(character => !char.IsLetterOrDigit(character) && "-_.+@".IndexOf(character, StringComparison.Ordinal) < 0)
            || IsInvalidLocation(profile));

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
