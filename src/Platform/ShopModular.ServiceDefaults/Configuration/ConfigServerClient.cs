using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ShopModular.ServiceDefaults.Configuration;

/// <summary>
/// A Spring Cloud Config client (protocol notes, section 3.2, Steeltoe's behaviour): fetches
/// <c>GET {uri}/{name}/{profile}[/{label}]</c> from the configured servers in turn (or from those found in the
/// registry), tries the labels in order, and hands the values to its configuration provider.
/// <para>It works before the host has a logger: what it has to say until then is kept and written once the host
/// starts (<see cref="AttachLogger"/>).</para>
/// </summary>
public sealed class ConfigServerClient : IDisposable
{
    /// <summary>How often a process that started without its remote configuration tries again when no polling interval is set.</summary>
    public static readonly TimeSpan RetryUntilLoadedInterval = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly ConfigServerDiscovery? _discovery;
    private readonly Lock _logLock = new();
    private readonly List<Action<ILogger>> _pendingLogs = [];
    private ILogger? _logger;
    private ConfigServerConfigurationProvider? _provider;
    private long _lastLoadedTicks = -1;

    internal ConfigServerClient(ConfigServerClientSettings settings, string name, string profile, ConfigServerDiscovery? discovery)
    {
        Settings = settings;
        Name = name;
        Profile = profile;
        _discovery = discovery;
        var handler = new SocketsHttpHandler
        {
            // Credentials and the token must not follow a redirect to wherever it points.
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        if (!settings.ValidateCertificates)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }

        _http = new HttpClient(handler) { Timeout = settings.RequestTimeout };
    }

    public ConfigServerClientSettings Settings { get; }

    /// <summary>The application asked for: the <c>{name}</c> of the request.</summary>
    public string Name { get; }

    /// <summary>The profile asked for: the <c>{profile}</c> of the request.</summary>
    public string Profile { get; }

    /// <summary>When the config server last gave this process its configuration; null: never.</summary>
    public DateTimeOffset? LastLoaded =>
        Interlocked.Read(ref _lastLoadedTicks) is >= 0 and var ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>Why the last fetch gave nothing; null when it succeeded.</summary>
    public string? LastError { get; private set; }

    /// <summary>Where the configuration comes from, for messages (never with credentials).</summary>
    public string Servers => _discovery is null
        ? string.Join(", ", Settings.Uris.Select(uri => ConfigServerAddress.From(uri, null, null).ToString()))
        : $"the '{Settings.Discovery.ServiceId}' instances in the registry";

    /// <summary>The first load, while the host is being built: with failFast, retries and then throws; without, warns once.</summary>
    internal void LoadAtStartup(ConfigServerConfigurationProvider provider)
    {
        _provider = provider;
        var failFast = Settings.FailFast;
        var attempts = failFast && Settings.Retry.Enabled ? Math.Max(1, Settings.Retry.MaxAttempts) : 1;
        var wait = TimeSpan.FromMilliseconds(Settings.Retry.InitialInterval);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Configuration providers load synchronously; there is no synchronization context while a host is built.
                var data = FetchAsync(CancellationToken.None).GetAwaiter().GetResult();
                provider.Apply(data);
                MarkLoaded();
                Log(logger => logger.LogInformation("Loaded {Count} settings for {Name}/{Profile} from the config server ({Servers})", data.Count, Name, Profile, Servers));
                return;
            }
            catch (ConfigServerException exception) when (!exception.CredentialsRefused)
            {
                LastError = exception.Message;
                if (attempt < attempts)
                {
                    Thread.Sleep(wait);
                    wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * Settings.Retry.Multiplier, Settings.Retry.MaxInterval));
                    continue;
                }

                if (failFast)
                {
                    throw new ConfigServerException(
                        $"{exception.Message} Gave up after {attempt} attempt(s): {ConfigServerClientSettings.Section}:failFast is on, so this process does not start without its configuration.",
                        inner: exception);
                }

                Log(logger => logger.LogWarning(
                    "Starting with the local configuration only: {Error} Trying again every {Interval}; /health/ready answers 503 until then",
                    exception.Message, RetryInterval));
                return;
            }
        }
    }

    /// <summary>
    /// One polling cycle: fetches, and hands the values to the provider, which raises the change token only when they
    /// differ. A cycle that fails keeps the values held and logs one warning.
    /// </summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var data = await FetchAsync(cancellationToken);
            var changed = _provider?.Apply(data) ?? false;
            MarkLoaded();
            if (changed)
            {
                Log(logger => logger.LogInformation("The config server gave new values for {Name}/{Profile}", Name, Profile));
            }

            return changed;
        }
        catch (ConfigServerException exception)
        {
            LastError = exception.Message;
            Log(logger => logger.LogWarning("Keeping the configuration held ({Since}): {Error}",
                LastLoaded is { } loaded ? $"loaded {loaded:O}" : "local values only", exception.Message));
            return false;
        }
    }

    /// <summary>
    /// How long the polling waits between cycles: the polling interval; without one, <see cref="RetryUntilLoadedInterval"/>
    /// until the first success, and then null (no more polling).
    /// </summary>
    public TimeSpan? RetryInterval =>
        Settings.PollingInterval > TimeSpan.Zero ? Settings.PollingInterval
        : LastLoaded is null ? RetryUntilLoadedInterval
        : null;

    /// <summary>The host's logger: what was said before it existed is written now.</summary>
    public void AttachLogger(ILogger logger)
    {
        List<Action<ILogger>> pending;
        lock (_logLock)
        {
            _logger = logger;
            pending = [.. _pendingLogs];
            _pendingLogs.Clear();
        }

        foreach (var write in pending)
        {
            write(logger);
        }
    }

    /// <summary>
    /// Fetches the configuration of <see cref="Name"/>/<see cref="Profile"/>: for each label in order, each server in
    /// turn until one answers; a 404 moves to the next label.
    /// </summary>
    /// <exception cref="ConfigServerException">No server gave it.</exception>
    public async Task<Dictionary<string, string?>> FetchAsync(CancellationToken cancellationToken)
    {
        var servers = await ServersAsync(cancellationToken);
        var notFound = new List<string>();
        foreach (var label in Settings.Labels)
        {
            var failures = new List<string>();
            foreach (var server in servers)
            {
                var answer = await AskAsync(server, label, sendToken: servers.Count == 1, cancellationToken);
                if (answer.Data is { } data)
                {
                    return data;
                }

                if (answer.Failure is { } failure)
                {
                    failures.Add(failure);
                    continue;
                }

                // 404: this label is unknown (Steeltoe does not ask the other servers for it either).
                break;
            }

            if (failures.Count == servers.Count)
            {
                throw new ConfigServerException($"No config server gave the configuration of {Name}/{Profile}: {string.Join("; ", failures)}.");
            }

            notFound.Add(label.Length == 0 ? "(default)" : label);
        }

        throw new ConfigServerException($"The config server has none of the labels {string.Join(", ", notFound)} for {Name}/{Profile} (404).");
    }

    /// <summary>Asks one server for one label: the data, or why this server gave none (a failure), or neither (404).</summary>
    /// <exception cref="ConfigServerException">The server refused our credentials.</exception>
    private async Task<(Dictionary<string, string?>? Data, string? Failure)> AskAsync(
        ConfigServerAddress server, string label, bool sendToken, CancellationToken cancellationToken)
    {
        var url = EnvironmentUrl(server.Url, Name, Profile, label);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("application/json");
        if (server.BasicCredentials is { } credentials)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials);
        }

        if (sendToken && !string.IsNullOrEmpty(Settings.Token))
        {
            request.Headers.Add("X-Config-Token", Settings.Token);
        }

        foreach (var (header, value) in Settings.Headers)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    using (var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken))
                    {
                        return (ConfigServerEnvironment.ToData(document.RootElement), null);
                    }

                case HttpStatusCode.NotFound:
                    return (null, null);
                case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                    throw new ConfigServerException(
                        $"The config server {server} refused our credentials for {Name}/{Profile} ({(int)response.StatusCode} {response.StatusCode}): "
                        + $"check {ConfigServerClientSettings.Section}:username and :password, or the userinfo of {ConfigServerClientSettings.Section}:uri.",
                        credentialsRefused: true);
                default:
                    return (null, $"{server}: {(int)response.StatusCode} {response.ReasonPhrase} for {url.AbsolutePath}");
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException)
        {
            return (null, $"{server}: {exception.Message}");
        }
        catch (JsonException exception)
        {
            return (null, $"{server}: {url.AbsolutePath} answered with no Environment document ({exception.Message})");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"{server}: no answer within {Settings.RequestTimeout.TotalSeconds:0.###} s");
        }
    }

    /// <summary><c>{server}/{name}/{profile}[/{label}]</c>, a <c>/</c> in a name or label written <c>(_)</c>.</summary>
    public static Uri EnvironmentUrl(Uri server, string name, string profile, string label)
    {
        static string Segment(string value) => Uri.EscapeDataString(value).Replace("%2F", "(_)", StringComparison.Ordinal);
        var path = $"{server.AbsolutePath.TrimEnd('/')}/{Segment(name)}/{Segment(profile)}";
        if (label.Length > 0)
        {
            path += $"/{Segment(label)}";
        }

        return new UriBuilder(server) { Path = path, Query = string.Empty, UserName = string.Empty, Password = string.Empty }.Uri;
    }

    private async Task<IReadOnlyList<ConfigServerAddress>> ServersAsync(CancellationToken cancellationToken)
    {
        if (_discovery is null)
        {
            return [.. Settings.Uris.Select(uri => ConfigServerAddress.From(uri, Settings.Username, Settings.Password))];
        }

        var found = await _discovery.FindAsync(cancellationToken);
        return found.Count > 0
            ? [.. found.Select(instance => instance with { BasicCredentials = instance.BasicCredentials ?? ConfigServerAddress.Basic(Settings.Username, Settings.Password) })]
            : throw new ConfigServerException($"No UP instance of '{Settings.Discovery.ServiceId}' in the registry ({_discovery.Registries}).");
    }

    private void MarkLoaded()
    {
        LastError = null;
        Interlocked.Exchange(ref _lastLoadedTicks, DateTimeOffset.UtcNow.UtcTicks);
    }

    private void Log(Action<ILogger> write)
    {
        ILogger? logger;
        lock (_logLock)
        {
            logger = _logger;
            if (logger is null)
            {
                _pendingLogs.Add(write);
                return;
            }
        }

        write(logger);
    }

    public void Dispose()
    {
        _http.Dispose();
        _discovery?.Dispose();
    }
}
