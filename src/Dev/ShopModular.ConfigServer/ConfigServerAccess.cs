using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace ShopModular.ConfigServer;

/// <summary>
/// HTTP Basic in front of the configuration, as Spring Security puts it in front of the genuine server: with a user
/// configured (<c>spring:security:user:*</c>) every request needs it, except the health check, which tells nothing
/// but UP. Outside Development the server does not start without one; the configuration holds the topology's
/// secrets (broker and database credentials), which anyone on the network could otherwise read.
/// </summary>
public static class ConfigServerAccess
{
    public static void RequireCredentials(ConfigServerUser user, IHostEnvironment environment)
    {
        if (!user.IsSet && !environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                "The config server needs credentials for its clients outside Development: set spring:security:user:name "
                + "and spring:security:user:password (environment SPRING__SECURITY__USER__NAME and SPRING__SECURITY__USER__PASSWORD).");
        }
    }

    public static IApplicationBuilder UseConfigServerAccess(this WebApplication app, ConfigServerUser user)
    {
        if (!user.IsSet)
        {
            app.Logger.LogWarning("No spring:security:user configured: anyone who reaches this server can read the configuration (Development only)");
            return app;
        }

        var expected = Encoding.UTF8.GetBytes($"{user.Name}:{user.Password}");
        return app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(EnvironmentEndpoints.HealthPath) || HasCredentials(context.Request, expected))
            {
                await next(context);
                return;
            }

            context.Response.Headers.WWWAuthenticate = "Basic realm=\"Realm\"";
            await EnvironmentEndpoints.Error(StatusCodes.Status401Unauthorized, context.Request.Path, message: null).ExecuteAsync(context);
        });
    }

    private static bool HasCredentials(HttpRequest request, byte[] expected)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header)
            || !"Basic".Equals(header.Scheme, StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return false;
        }

        try
        {
            // Compared in constant time, so the answer's timing says nothing about how much of a guess was right.
            return CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(header.Parameter), expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
