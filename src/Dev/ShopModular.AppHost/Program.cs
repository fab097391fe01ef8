using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ShopModular.AppHost;

// Private servers from Debian's packages, run as their own users: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// The development topologies of ShopModular (./shop run hands over to this): `--topology monolith` (the default) or
// `--topology split`, their ports and state folder from the SHOP_* variables (DevelopmentSettings).
var root = FindCheckout(AppContext.BaseDirectory);
DevelopmentSettings settings;
try
{
    RefuseUnknownArguments(args);
    settings = DevelopmentSettings.Read(new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build(), root);
}
catch (ArgumentException invalid)
{
    Console.Error.WriteLine($"[shop] error: {invalid.Message}");
    return 2;
}

StateFolder state;
try
{
    state = StateFolder.Claim(settings.StateDirectory);
}
catch (InvalidOperationException taken)
{
    Console.Error.WriteLine($"[shop] error: {taken.Message}");
    return 1;
}

using (state)
{
    // The dashboard on loopback over plain HTTP (a development machine's own browser), behind a login token made here
    // so the banner can print the address to open. Given as the app host's configuration, not its environment, which
    // every process it starts inherits.
    var dashboardToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    var dashboard = $"http://127.0.0.1:{settings.DashboardPort.ToString(CultureInfo.InvariantCulture)}";
    var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
    {
        Args =
        [
            $"--ASPNETCORE_URLS={dashboard}",
            $"--ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://127.0.0.1:{settings.DashboardOtlpPort.ToString(CultureInfo.InvariantCulture)}",
            $"--ASPIRE_DASHBOARD_FRONTEND_BROWSERTOKEN={dashboardToken}",
            "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
            // The terminal shows what needs a look (a process started again, a failure) and the banner; the rest of the
            // orchestration's log, and every health check that fails while a server is still starting, stay out of it.
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks=None",
        ],
        DisableDashboard = settings.WithoutDashboard,
        DashboardApplicationName = $"ShopModular ({settings.Topology.ToString().ToLowerInvariant()})",
    });
    builder.Services.AddSingleton(state);
    builder.Services.AddHostedService<ResourceLogFiles>();
    builder.Services.AddHostedService<ResourcePidFiles>();

    IResourceBuilder<ExecutableResource> api;
    try
    {
        api = builder.AddShop(settings, state);
    }
    catch (InvalidOperationException cannot)
    {
        Console.Error.WriteLine($"[shop] error: {cannot.Message}");
        return 1;
    }

    builder.Eventing.Subscribe<ResourceReadyEvent>(api.Resource, (_, _) =>
    {
        Console.Error.WriteLine(Banner.Text(settings, state, settings.WithoutDashboard ? null : $"{dashboard}/login?t={dashboardToken}"));
        return Task.CompletedTask;
    });
    await builder.Build().RunAsync();
    return 0;
}

static string FindCheckout(string from)
{
    for (var folder = new DirectoryInfo(from); folder is not null; folder = folder.Parent)
    {
        if (File.Exists(Path.Combine(folder.FullName, "ShopModular.sln")))
        {
            return folder.FullName;
        }
    }

    throw new InvalidOperationException($"No ShopModular checkout above {from}.");
}

static void RefuseUnknownArguments(string[] arguments)
{
    if (arguments.Length is not (0 or 2) || (arguments.Length == 2 && arguments[0] != "--topology"))
    {
        throw new ArgumentException($"unknown arguments '{string.Join(' ', arguments)}': the app host takes --topology monolith|split only.");
    }
}
