using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ShopModular.ServiceDefaults.Configuration;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.ConfigClient;

/// <summary>
/// The config client against our development config server, a real process serving a folder each spec writes:
/// what a host's configuration holds once the client has loaded, and how it behaves when the server is away,
/// refuses it, or changes. Each spec uses an application name of its own, so specs share the server but not files.
/// </summary>
public sealed class ConfigClientSpecs(ConfigServerProcess server) : IClassFixture<ConfigServerProcess>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public void server_values_win_over_local_ones_and_the_most_specific_file_wins()
    {
        server.Write("application.yml", "shop:\n  greeting: from-application\n  colour: blue\n  size: 1\n");
        server.Write("precedence.yml", "shop:\n  greeting: from-app\n  size: 2\n");
        server.Write("precedence-Development.yml", "shop:\n  greeting: from-app-profile\n");

        var configuration = Load("precedence", new() { ["shop:greeting"] = "local", ["shop:localOnly"] = "kept" });

        Assert.Equal("from-app-profile", configuration["shop:greeting"]);
        Assert.Equal("2", configuration["shop:size"]);
        Assert.Equal("blue", configuration["shop:colour"]);
        Assert.Equal("kept", configuration["shop:localOnly"]);
    }

    [Fact]
    public void lists_and_dotted_keys_arrive_as_configuration_keys_that_bind()
    {
        server.Write("lists.yml", "shop:\n  hosts:\n    - alpha\n    - beta\n  routes:\n    - path: /a\n      port: 1\n    - path: /b\n      port: 2\n");
        server.Write("lists.properties", "shop.limits.max=7\nshop.tags[0]=x\nshop.tags[1]=y\n");

        var configuration = Load("lists", []);

        Assert.Equal(["alpha", "beta"], configuration.GetSection("shop:hosts").Get<string[]>()!);
        Assert.Equal("/b", configuration["shop:routes:1:path"]);
        Assert.Equal(2, configuration.GetValue<int>("shop:routes:1:port"));
        Assert.Equal(7, configuration.GetValue<int>("shop:limits:max"));
        Assert.Equal(["x", "y"], configuration.GetSection("shop:tags").Get<string[]>()!);
    }

    [Fact]
    public void labels_are_tried_in_order_and_an_unknown_label_moves_to_the_next()
    {
        server.Write("labelled.yml", "shop:\n  release: default\n");
        server.Write("v2/labelled.yml", "shop:\n  release: two\n");

        var configuration = Load("labelled", new() { ["spring:cloud:config:label"] = "no-such-label,v2" });

        Assert.Equal("two", configuration["shop:release"]);
    }

    [Fact]
    public void a_server_that_does_not_answer_is_skipped_for_the_next_uri()
    {
        server.Write("failover.yml", "shop:\n  served: by-the-second\n");
        var nobody = $"http://127.0.0.1:{Repository.FreePort()}";

        var configuration = Load("failover", new() { ["spring:cloud:config:uri"] = $"{nobody},{server.UrlWithCredentials}" });

        Assert.Equal("by-the-second", configuration["shop:served"]);
    }

    [Fact]
    public void credentials_come_from_the_uri_userinfo_or_from_the_options_which_win()
    {
        server.Write("credentials.yml", "shop:\n  secret: shown\n");

        var fromUserInfo = Load("credentials", []);
        var fromOptions = Load("credentials", new()
        {
            ["spring:cloud:config:uri"] = $"http://wrong:wrong@127.0.0.1:{server.Port}",
            ["spring:cloud:config:username"] = server.UserName,
            ["spring:cloud:config:password"] = server.Password,
        });

        Assert.Equal("shown", fromUserInfo["shop:secret"]);
        Assert.Equal("shown", fromOptions["shop:secret"]);
    }

    [Fact]
    public void wrong_credentials_stop_the_start_with_an_error_naming_the_server_and_401()
    {
        var error = Assert.Throws<ConfigServerException>(() => Load("credentials", new()
        {
            ["spring:cloud:config:uri"] = server.BaseUrl,
            ["spring:cloud:config:username"] = server.UserName,
            ["spring:cloud:config:password"] = "not-the-password",
        }));

        Assert.Contains(server.BaseUrl, error.Message, StringComparison.Ordinal);
        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void with_fail_fast_an_unreachable_server_stops_the_start_after_its_retries()
    {
        var nobody = $"http://127.0.0.1:{Repository.FreePort()}";
        var clock = Stopwatch.StartNew();

        var error = Assert.Throws<ConfigServerException>(() => Load("anything", new()
        {
            ["spring:cloud:config:uri"] = nobody,
            ["spring:cloud:config:failFast"] = "true",
            ["spring:cloud:config:retry:enabled"] = "true",
            ["spring:cloud:config:retry:maxAttempts"] = "3",
            ["spring:cloud:config:retry:initialInterval"] = "200",
            ["spring:cloud:config:retry:multiplier"] = "2",
        }));

        // Waits of 200 and 400 ms between the three attempts.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(600), $"It gave up after {clock.Elapsed}.");
        Assert.Contains("after 3 attempt(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains(nobody, error.Message, StringComparison.Ordinal);
        Assert.Contains("failFast", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task without_fail_fast_an_unreachable_server_leaves_local_values_not_ready_and_one_warning_per_cycle()
    {
        var nobody = $"http://127.0.0.1:{Repository.FreePort()}";
        await using var host = await ClientHost.StartAsync(new()
        {
            ["spring:cloud:config:uri"] = nobody,
            ["spring:cloud:config:pollingInterval"] = "00:00:00.500",
            ["shop:greeting"] = "local",
        });

        var started = DateTime.UtcNow;
        for (var request = 0; request < 20; request++)
        {
            using var ready = await host.Http.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var cycles = 1 + (int)((DateTime.UtcNow - started) / TimeSpan.FromMilliseconds(500));
        var warnings = host.Logs.Warnings(nameof(ConfigServerClient));

        Assert.Equal("local", host.Configuration["shop:greeting"]);
        // One at start-up and one per polling cycle, whatever the number of requests.
        Assert.InRange(warnings.Count, 2, cycles + 1);
        Assert.All(warnings, warning => Assert.Contains(nobody, warning, StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_process_that_started_without_its_server_becomes_ready_once_a_poll_reaches_it()
    {
        server.Write("late.yml", "shop:\n  greeting: from-server\n");
        // At start-up the server has no such label yet (404): the host starts on its local values.
        await using var host = await ClientHost.StartAsync(Settings("late", new()
        {
            ["spring:cloud:config:label"] = "late-label",
            ["spring:cloud:config:pollingInterval"] = "00:00:00.300",
            ["shop:greeting"] = "local",
        }));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await host.Http.GetAsync("/health/ready")).StatusCode);

        server.Write("late-label/late.yml", "shop:\n  greeting: from-server\n");

        await Eventually.UntilAsync(async () => (await host.Http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, Timeout,
            () => "The host did not become ready once the config server had its configuration.");
        Assert.Equal("from-server", host.Configuration["shop:greeting"]);
    }

    [Fact]
    public async Task a_fetch_raises_the_change_token_only_when_a_value_changed()
    {
        server.Write("reload.yml", "shop:\n  greeting: first\n  other: same\n");
        await using var host = await ClientHost.StartAsync(Settings("reload", []));
        var raised = 0;
        using var subscription = Microsoft.Extensions.Primitives.ChangeToken.OnChange(host.Configuration.GetReloadToken, () => Interlocked.Increment(ref raised));

        Assert.False(await host.Client.RefreshAsync(CancellationToken.None));
        Assert.False(await host.Client.RefreshAsync(CancellationToken.None));
        Assert.Equal(0, raised);

        server.Write("reload.yml", "shop:\n  greeting: second\n  other: same\n");
        Assert.True(await host.Client.RefreshAsync(CancellationToken.None));
        Assert.False(await host.Client.RefreshAsync(CancellationToken.None));

        Assert.Equal(1, raised);
        Assert.Equal("second", host.Configuration["shop:greeting"]);
    }

    [Fact]
    public async Task polling_brings_a_changed_value_to_options_monitor_consumers()
    {
        server.Write("polled.yml", "sample:\n  limit: 5\n");
        await using var host = await ClientHost.StartAsync(
            Settings("polled", new() { ["spring:cloud:config:pollingInterval"] = "00:00:00.300" }),
            builder => builder.Services.AddLiveOptions<SampleSettings>(builder.Configuration.GetSection("sample")));
        var monitor = host.App.Services.GetRequiredService<IOptionsMonitor<SampleSettings>>();
        var told = new List<int>();
        using var listener = monitor.OnChange(settings => told.Add(settings.Limit));
        Assert.Equal(5, monitor.CurrentValue.Limit);

        server.Write("polled.yml", "sample:\n  limit: 9\n");

        await Eventually.UntilAsync(() => Task.FromResult(monitor.CurrentValue.Limit == 9), Timeout, () => "The new value did not arrive.");
        Assert.Equal([9], told);
    }

    [Fact]
    public async Task a_live_value_that_fails_validation_is_refused_and_the_old_one_stays_with_a_warning()
    {
        server.Write("validated.yml", "sample:\n  limit: 5\n");
        await using var host = await ClientHost.StartAsync(
            Settings("validated", []),
            builder => builder.Services.AddLiveOptions<SampleSettings>(builder.Configuration.GetSection("sample"))
                .Validate(settings => settings.Limit >= 0, "sample:limit must not be negative."));
        var monitor = host.App.Services.GetRequiredService<IOptionsMonitor<SampleSettings>>();
        Assert.Equal(5, monitor.CurrentValue.Limit);

        server.Write("validated.yml", "sample:\n  limit: -3\n");
        await host.Client.RefreshAsync(CancellationToken.None);

        Assert.Equal("-3", host.Configuration["sample:limit"]);
        Assert.Equal(5, monitor.CurrentValue.Limit);
        Assert.Contains(host.Logs.Warnings("LastValidOptionsMonitor"), warning => warning.Contains("sample:limit must not be negative", StringComparison.Ordinal));

        server.Write("validated.yml", "sample:\n  limit: 12\n");
        await host.Client.RefreshAsync(CancellationToken.None);

        Assert.Equal(12, monitor.CurrentValue.Limit);
    }

    [Fact]
    public void without_uri_enabled_or_discovery_the_client_is_off()
    {
        var builder = ClientHost.Builder([]);

        Assert.DoesNotContain(builder.Services, service => service.ServiceType == typeof(ConfigServerClient));
    }

    /// <summary>The configuration of a builder that asks the server for <paramref name="name"/> (in Development), over <paramref name="local"/> settings.</summary>
    private IConfiguration Load(string name, Dictionary<string, string?> local) => ClientHost.Builder(Settings(name, local)).Configuration;

    /// <summary>Local settings that ask this server, with its credentials, for <paramref name="name"/>; <paramref name="local"/> adds to them or overrides them.</summary>
    private Dictionary<string, string?> Settings(string name, Dictionary<string, string?> local)
    {
        var settings = new Dictionary<string, string?>
        {
            ["spring:cloud:config:uri"] = server.UrlWithCredentials,
            ["spring:cloud:config:name"] = name,
        };
        foreach (var (key, value) in local)
        {
            settings[key] = value;
        }

        return settings;
    }
}

public sealed class SampleSettings
{
    public int Limit { get; set; }
}
