using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.ConfigServer;

/// <summary>
/// Our development config server as a real process on a free loopback port, outside Development (so with its
/// credentials), serving a fresh copy of the specs' repository (<c>ConfigServer/repo</c>), which a spec may change.
/// What the process logs is kept in <see cref="Output"/>.
/// </summary>
public sealed class ConfigServerProcess : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly IReadOnlyDictionary<string, string?> _settings;

    private readonly bool _emptyRepository;

    private Process _process = null!;

    public ConfigServerProcess()
        : this(new Dictionary<string, string?>())
    {
    }

    /// <summary>A server with more settings (its environment; null removes one), for a spec that starts its own.</summary>
    internal ConfigServerProcess(IReadOnlyDictionary<string, string?> settings, bool emptyRepository = false)
    {
        _settings = settings;
        _emptyRepository = emptyRepository;
    }

    public int Port { get; } = Repository.FreePort();

    public string UserName { get; } = "shop";

    public string Password { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The absolute path of this server's copy of the repository, without a trailing slash.</summary>
    public string Repo { get; } = Path.Combine(Path.GetTempPath(), "shop-config-repo-" + Guid.NewGuid().ToString("N"));

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The address with the credentials as userinfo, as a client's <c>spring:cloud:config:uri</c> carries them.</summary>
    public string UrlWithCredentials => $"http://{UserName}:{Password}@127.0.0.1:{Port}";

    /// <summary>A client with the server's credentials.</summary>
    public HttpClient Client { get; private set; } = null!;

    public ConcurrentQueue<string> Output { get; } = new();

    public bool HasExited => _process.HasExited;

    public static AuthenticationHeaderValue BasicHeader(string userName, string password) => RegistryProcess.BasicHeader(userName, password);

    /// <summary>Starts a config server process; <paramref name="settings"/> become its environment (null removes one).</summary>
    public static Process Start(int port, IReadOnlyDictionary<string, string?> settings, ConcurrentQueue<string> output)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "ShopModular.ConfigServer.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, line) => output.Enqueue(line.Data ?? string.Empty);
        process.ErrorDataReceived += (_, line) => output.Enqueue(line.Data ?? string.Empty);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Repo);
        if (!_emptyRepository)
        {
            CopyDirectory(Path.Combine(AppContext.BaseDirectory, "ConfigServer", "repo"), Repo);
        }

        var environment = new Dictionary<string, string?>
        {
            ["spring__cloud__config__server__native__searchLocations"] = "file:" + Repo,
            ["SPRING__SECURITY__USER__NAME"] = UserName,
            ["SPRING__SECURITY__USER__PASSWORD"] = Password,
        };
        foreach (var (key, value) in _settings)
        {
            environment[key] = value;
        }

        _process = Start(Port, environment, Output);
        Client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        Client.DefaultRequestHeaders.Authorization = BasicHeader(UserName, Password);
        await Eventually.UntilAsync(
            async () => _process.HasExited || await Eventually.AnswersAsync(Client, "/actuator/health"),
            StartTimeout,
            () => "The config server did not start.");
        Assert.False(_process.HasExited, "The config server exited at start-up: " + string.Join('\n', Output));
    }

    /// <summary>The Environment document for a path such as <c>/orders/Development</c>, which must answer 200.</summary>
    public async Task<JsonObject> EnvironmentAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Writes a file of this server's repository (relative path), as someone editing the folder would.</summary>
    public Task WriteAsync(string relativePath, string content)
    {
        var path = Path.Combine(Repo, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return File.WriteAllTextAsync(path, content);
    }

    /// <summary>The value a client that lets the first source win sees for <paramref name="key"/> (null: none).</summary>
    public static JsonNode? Resolve(JsonObject environment, string key) =>
        environment["propertySources"]!.AsArray()
            .Select(source => source!["source"]!.AsObject())
            .FirstOrDefault(source => source.ContainsKey(key))?[key];

    /// <summary>A started server whose repository has no file at all; the caller disposes it.</summary>
    public static async Task<ConfigServerProcess> StartWithEmptyRepositoryAsync()
    {
        var server = new ConfigServerProcess(new Dictionary<string, string?>(), emptyRepository: true);
        try
        {
            await server.InitializeAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        if (Directory.Exists(Repo))
        {
            Directory.Delete(Repo, recursive: true);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
