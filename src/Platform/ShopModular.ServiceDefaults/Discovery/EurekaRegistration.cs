using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ShopModular.ServiceDefaults.Discovery;

/// <summary>
/// This process in the registry: registers once the server listens, heartbeats on the lease's renewal interval
/// (registering again when the registry answers 404), keeps the registry copy fresh, and deregisters on a
/// graceful shutdown so that clients stop routing to it at once rather than when its lease lapses.
/// </summary>
internal sealed class EurekaRegistration(
    EurekaClient client,
    IOptions<EurekaClientSettings> clientSettings,
    IOptions<EurekaInstanceSettings> instanceSettings,
    DiscoveryIdentity identity,
    IServer server,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<EurekaRegistration> logger) : BackgroundService
{
    private Registration? _registration;
    private bool _registered;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The port is known only once the server listens.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(started.SetResult))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        var loops = new List<Task>();
        if (clientSettings.Value.ShouldRegisterWithEureka)
        {
            _registration = BuildRegistration();
            loops.Add(KeepRegisteredAsync(_registration, stoppingToken));
        }

        if (clientSettings.Value.ShouldFetchRegistry)
        {
            loops.Add(KeepFetchingAsync(stoppingToken));
        }

        try
        {
            await Task.WhenAll(loops);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_registered && _registration is not null)
        {
            await client.CancelAsync(_registration.App, _registration.InstanceId, cancellationToken);
            logger.LogInformation("Deregistered {InstanceId} from the registry", _registration.InstanceId);
        }
    }

    private async Task KeepRegisteredAsync(Registration registration, CancellationToken stoppingToken)
    {
        var (app, id, lastDirty, instance) = registration;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(instanceSettings.Value.LeaseRenewalIntervalInSeconds), clock);
        do
        {
            try
            {
                if (!_registered || await client.RenewAsync(app, id, lastDirty, stoppingToken) == false)
                {
                    _registered = await client.RegisterAsync(instance, stoppingToken);
                    if (_registered)
                    {
                        logger.LogInformation("Registered {InstanceId} as {App}", id, app);
                    }
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever went wrong, the next tick tries again: a loop that ended would let our lease lapse for good.
                logger.LogError(exception, "Registering {InstanceId} failed; trying again at the next renewal", id);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task KeepFetchingAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(clientSettings.Value.RegistryFetchIntervalSeconds), clock);
        do
        {
            try
            {
                await client.FetchRegistryAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever the registry sent, the next interval fetches again: a loop that ended would leave this
                // process routing by a frozen copy, with nothing but staleness to show for it.
                logger.LogError(exception, "Fetching the registry failed; trying again in {Interval} s", clientSettings.Value.RegistryFetchIntervalSeconds);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private Registration BuildRegistration()
    {
        var settings = instanceSettings.Value;
        var app = (settings.AppName ?? identity.AppName).ToUpperInvariant();
        var ipAddress = settings.IpAddress ?? MachineAddress();
        var hostName = settings.PreferIpAddress ? ipAddress : settings.HostName ?? Dns.GetHostName();
        var port = settings.Port ?? ListeningPort()
            ?? throw new InvalidOperationException("The Eureka registration needs this process's port: set eureka:instance:port.");
        var baseUrl = $"http://{hostName}:{port}";
        var instanceId = settings.InstanceId ?? $"{hostName}:{app.ToLowerInvariant()}:{port}";
        var nowMilliseconds = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var now = nowMilliseconds.ToString(CultureInfo.InvariantCulture);
        var metadata = new JsonObject
        {
            // For Prometheus' eureka_sd_configs: where this process's metrics are.
            ["prometheus.scrape"] = "true",
            ["prometheus.port"] = port.ToString(CultureInfo.InvariantCulture),
            ["prometheus.path"] = "/metrics",
        };
        foreach (var (key, value) in settings.MetadataMap)
        {
            metadata[key] = value;
        }

        if (identity.RoutePrefixes.Count > 0)
        {
            // After the configured map: which paths this process serves is what its code maps, not a setting.
            metadata[RoutePrefixes.MetadataKey] = RoutePrefixes.Format(identity.RoutePrefixes);
        }

        return new Registration(app, instanceId, nowMilliseconds, new JsonObject
        {
            ["instanceId"] = instanceId,
            ["hostName"] = hostName,
            ["app"] = app,
            ["ipAddr"] = ipAddress,
            ["status"] = "UP",
            ["overriddenStatus"] = "UNKNOWN",
            ["port"] = new JsonObject { ["$"] = port, ["@enabled"] = "true" },
            ["securePort"] = new JsonObject { ["$"] = 443, ["@enabled"] = "false" },
            ["countryId"] = 1,
            ["dataCenterInfo"] = new JsonObject { ["@class"] = "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", ["name"] = "MyOwn" },
            ["leaseInfo"] = new JsonObject
            {
                ["renewalIntervalInSecs"] = settings.LeaseRenewalIntervalInSeconds,
                ["durationInSecs"] = settings.LeaseExpirationDurationInSeconds,
            },
            ["metadata"] = metadata,
            ["homePageUrl"] = baseUrl + settings.HomePageUrlPath,
            ["statusPageUrl"] = baseUrl + settings.StatusPageUrlPath,
            ["healthCheckUrl"] = baseUrl + settings.HealthCheckUrlPath,
            ["vipAddress"] = app.ToLowerInvariant(),
            ["secureVipAddress"] = app.ToLowerInvariant(),
            ["isCoordinatingDiscoveryServer"] = "false",
            ["lastUpdatedTimestamp"] = now,
            ["lastDirtyTimestamp"] = now,
        });
    }

    private int? ListeningPort() =>
        server.Features.Get<IServerAddressesFeature>()?.Addresses
            .Select(address => new Uri(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal)))
            .Where(address => address.Scheme == "http")
            .Select(address => (int?)address.Port)
            .FirstOrDefault();

    private static string MachineAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(network => network.OperationalStatus == OperationalStatus.Up && network.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(network => network.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .FirstOrDefault(address => address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address))
            ?.ToString() ?? IPAddress.Loopback.ToString();

    /// <summary>What this process registers: the instance document, and the fields the heartbeat sends again.</summary>
    private sealed record Registration(string App, string InstanceId, long LastDirtyTimestamp, JsonObject Instance);
}

/// <summary>The name this process registers under unless <c>eureka:instance:appName</c> says otherwise, and the public path prefixes it serves.</summary>
internal sealed record DiscoveryIdentity(string AppName, IReadOnlyList<string> RoutePrefixes);
