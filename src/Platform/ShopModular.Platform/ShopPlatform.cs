using System.Reflection;
using System.Text.Json.Serialization;
using JasperFx.Resources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using Prometheus;
using Scalar.AspNetCore;
using ShopModular.Platform.Hosting;
using ShopModular.Platform.Http;
using ShopModular.Platform.Messaging;
using ShopModular.Platform.Observability;
using ShopModular.Platform.Persistence;
using ShopModular.ServiceDefaults.Configuration;
using ShopModular.ServiceDefaults.Discovery;
using ShopModular.ServiceDefaults.Observability;
using ShopModular.ServiceDefaults.Security;

namespace ShopModular.Platform;

/// <summary>What every ShopModular process has, whichever modules it hosts.</summary>
public static class ShopPlatform
{
    /// <summary>Wolverine's activity source and the prefix of its meters.</summary>
    public const string WolverineTelemetry = "Wolverine";

    /// <summary>
    /// Adds the platform and the modules that the hosting switch (<c>Shop:Modules</c>) selects;
    /// a module that is not selected contributes nothing: no routes, handlers, DbContext or tables.
    /// </summary>
    /// <param name="applicationAssembly">
    /// The deployable's assembly, which holds the message handlers' pre-generated code (<c>Internal/Generated</c>,
    /// written by <c>codegen write</c>).
    /// </param>
    public static IReadOnlyList<ShopModule> AddShopPlatform(this WebApplicationBuilder builder, Assembly applicationAssembly, params ShopModule[] available)
    {
        // Which modules this process hosts is its identity, given locally: it names the process to the config server.
        var hosted = ModuleSelection.Select(builder.Configuration, available);
        var serviceName = hosted.Count == available.Length ? "shopmodular" : $"shopmodular-{string.Join('-', hosted.Select(module => module.Name))}";
        var appName = hosted.Count == 1 ? hosted[0].Name : serviceName;
        builder.AddShopConfigServer(appName);
        // What only a module host has to trace: its database calls and Wolverine's sending, receiving and handling.
        builder.AddShopTelemetry(appName)?
            .WithTracing(tracing => tracing.AddNpgsql().AddSource(WolverineTelemetry))
            // Wolverine names its meter after the service: Wolverine:shopmodular-orders.
            .WithMetrics(metrics => metrics.AddNpgsqlInstrumentation().AddMeter($"{WolverineTelemetry}:*"));
        PrometheusDefaults.PublishOnlyWolverineMeters();

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddExceptionHandler<DatabaseUnavailableExceptionHandler>();
        // Binding failures throw, so that BadRequestExceptionHandler can say what was wrong in every environment.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer(BearerSecurityScheme.AddAsync));
        builder.AddShopAuthentication();
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ShopHealth.ReadyTag]);

        foreach (var module in hosted)
        {
            module.AddServices(builder);
        }

        var connectionStrings = hosted.Select(module => builder.Configuration.ConnectionStringFor(module.Name)).Distinct().ToList();
        if (connectionStrings.Count != 1)
        {
            // Wolverine's EF Core outbox needs the message store in the same database as the module's tables.
            throw new InvalidOperationException(
                "The modules hosted in one process must share one database; give each module with a database of its own a process of its own.");
        }

        builder.AddShopMessaging(serviceName, applicationAssembly, connectionStrings[0], hosted, available, MigratesOnStartup(builder.Configuration, builder.Environment));
        var splitMode = hosted.Count < available.Length;
        builder.AddShopDiscovery(appName, splitMode, [.. hosted.SelectMany(module => module.RoutePrefixes)]);
        return hosted;
    }

    /// <summary>Middleware and routes for the platform and for each hosted module.</summary>
    public static WebApplication UseShopPlatform(this WebApplication app, IReadOnlyList<ShopModule> hosted)
    {
        app.UseExceptionHandler();
        // Gives empty error responses (401, 403, 404, malformed JSON's 400) a problem details body.
        app.UseStatusCodePages();
        app.Use(JsonCharset.RefuseOtherThanUtf8Async);
        app.UseHttpMetrics();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapShopHealthChecks();
        app.MapMetrics("/metrics");
        app.MapOpenApi();
        app.MapScalarApiReference("/api-docs");
        app.MapGet("/", () => Results.Redirect("/api-docs")).ExcludeFromDescription();

        foreach (var module in hosted)
        {
            module.MapEndpoints(app);
        }

        return app;
    }

    /// <summary>Applies migrations at start-up when <c>Shop:Database:MigrateOnStartup</c> is true (the Development default).</summary>
    public static async Task MigrateOnStartupIfEnabledAsync(this WebApplication app)
    {
        if (MigratesOnStartup(app.Configuration, app.Environment))
        {
            await app.Services.MigrateModuleDatabasesAsync(app.Lifetime.ApplicationStopping);
        }
    }

    /// <summary>
    /// The documented way to set up a deployment outside Development, with the rights to change schema that the
    /// processes themselves do not have: the hosted modules' migrations, Wolverine's message store, and the broker's
    /// exchanges, queues and bindings.
    /// </summary>
    public static async Task MigrateAsync(this WebApplication app)
    {
        await app.Services.MigrateModuleDatabasesAsync();
        await app.SetupResources();
    }

    private static bool MigratesOnStartup(IConfiguration configuration, IHostEnvironment environment) =>
        configuration.GetValue("Shop:Database:MigrateOnStartup", environment.IsDevelopment());
}
