using Microsoft.Extensions.Configuration.Memory;
using ShopModular.ServiceDefaults.Configuration;
using ShopModular.ServiceDefaults.Discovery;

namespace ShopModular.ConfigServer;

/// <summary>
/// A development config server that speaks the Spring Cloud Config protocol from a native folder, for machines
/// without Docker; the compose deployment runs the genuine server instead. (A named class rather than top-level
/// statements: the test project also references the shop's host, whose top-level <c>Program</c> would clash.)
/// </summary>
public static class ConfigServerProgram
{
    /// <summary>The application name it registers in Eureka under, which discovery-first clients look for.</summary>
    public const string ServiceId = ConfigServerDiscoverySettings.DefaultServiceId;

    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var settings = builder.Configuration.GetSection(ConfigServerSettings.Section).Get<ConfigServerSettings>() ?? new ConfigServerSettings();
        var user = builder.Configuration.GetSection(ConfigServerUser.Section).Get<ConfigServerUser>() ?? new ConfigServerUser();
        ConfigServerAccess.RequireCredentials(user, builder.Environment);
        builder.Services.Configure<ConfigServerSettings>(builder.Configuration.GetSection(ConfigServerSettings.Section));
        builder.Services.AddSingleton<NativeRepository>();
        if (builder.Configuration.GetValue<bool>("eureka:client:enabled"))
        {
            AddRegistration(builder, settings);
        }

        var app = builder.Build();
        if (!string.IsNullOrEmpty(app.Configuration["eureka:instance:metadataMap:password"]))
        {
            // Steeltoe's discovery-first clients take credentials from there, but so can anyone who reads the registry.
            app.Logger.LogWarning("eureka:instance:metadataMap:password is set: the config server's password is readable by whoever can read the registry; "
                + "prefer giving clients spring:cloud:config:username and password, or set Registry:ReadsNeedCredentials");
        }

        app.UseConfigServerAccess(user);
        app.MapGet(EnvironmentEndpoints.HealthPath, () => Results.Json(new { status = "UP" }));
        app.MapEnvironment(settings.Prefix);
        await app.RunAsync();
    }

    /// <summary>
    /// Registers as <c>CONFIGSERVER</c> with the platform's Eureka client. Defaults that suit this server go under
    /// whatever is configured: its health page, no registry fetch (it looks nothing up), no Prometheus scrape (it
    /// has no metrics), and <c>configPath</c> metadata when it serves under a prefix, which discovery-first clients
    /// put before <c>/{app}/{profiles}</c>.
    /// </summary>
    private static void AddRegistration(WebApplicationBuilder builder, ConfigServerSettings settings)
    {
        var defaults = new Dictionary<string, string?>
        {
            ["eureka:client:shouldFetchRegistry"] = "false",
            ["eureka:instance:appName"] = ServiceId,
            ["eureka:instance:homePageUrlPath"] = "/",
            ["eureka:instance:statusPageUrlPath"] = EnvironmentEndpoints.HealthPath,
            ["eureka:instance:healthCheckUrlPath"] = EnvironmentEndpoints.HealthPath,
            ["eureka:instance:metadataMap:prometheus.scrape"] = "false",
        };
        if (settings.Prefix.Trim('/').Length > 0)
        {
            defaults["eureka:instance:metadataMap:configPath"] = "/" + settings.Prefix.Trim('/');
        }

        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });
        builder.AddEurekaClient(ServiceId);
    }
}
