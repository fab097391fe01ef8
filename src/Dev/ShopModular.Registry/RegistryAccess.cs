using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace ShopModular.Registry;

/// <summary>
/// HTTP Basic authentication in front of the Eureka API, as Spring Security puts it in front of the genuine
/// server: every change needs the configured user, and reads do too when <see cref="RegistrySettings.ReadsNeedCredentials"/>
/// says so. Without it anyone on the network could register an instance at their own address, take the real one
/// out of service or cancel it, and the gateway would follow.
/// </summary>
public static class RegistryAccess
{
    /// <summary>Refuses to start without credentials: there is no default user, in any environment.</summary>
    public static void RequireCredentials(RegistrySettings settings)
    {
        if (string.IsNullOrEmpty(settings.UserName) || string.IsNullOrEmpty(settings.Password))
        {
            throw new InvalidOperationException(
                "The registry needs credentials for its clients: set Registry:UserName and Registry:Password "
                + "(./shop run --split generates a pair in its state folder).");
        }
    }

    public static IApplicationBuilder UseRegistryAccess(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var settings = context.RequestServices.GetRequiredService<IOptions<RegistrySettings>>().Value;
            if (NeedsCredentials(context.Request, settings) && !HasCredentials(context.Request, settings))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"eureka\"";
                return;
            }

            await next(context);
        });

    /// <summary>
    /// The registry's contents are the REST API and the status page at <c>/</c> (<see cref="StatusPage"/>), which lists
    /// the same addresses: a change to them always needs the credentials, a read only when reads do. The health page
    /// says nothing about them and stays open.
    /// </summary>
    private static bool NeedsCredentials(HttpRequest request, RegistrySettings settings) =>
        (request.Path.StartsWithSegments("/eureka", StringComparison.OrdinalIgnoreCase) || request.Path == "/")
        && (settings.ReadsNeedCredentials || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)));

    private static bool HasCredentials(HttpRequest request, RegistrySettings settings)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header)
            || !"Basic".Equals(header.Scheme, StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return false;
        }

        string given;
        try
        {
            given = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return false;
        }

        // Compared in constant time, so the answer's timing says nothing about how much of a guess was right.
        var expected = Encoding.UTF8.GetBytes($"{settings.UserName}:{settings.Password}");
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);
    }
}
