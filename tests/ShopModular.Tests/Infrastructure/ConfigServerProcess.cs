using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// Our development config server as a real process on a free loopback port, outside Development (so with a fresh pair
/// of credentials), serving a repository in a temporary folder of its own: empty, for specs that write their files
/// (<see cref="Write"/>; the server reads the files on every request), or a copy of a folder of the specs
/// (<see cref="SpecRepositoryConfigServer"/>). What the process logs is kept in <see cref="Output"/>.
/// </summary>
public class ConfigServerProcess : IAsyncLifetime
{
    private readonly Dictionary<string, string?> _settings;

    /// <summary>The folder whose files the repository starts with; null: it starts empty.</summary>
    private readonly string? _copyOf;

    private Process _process = null!;

    public ConfigServerProcess()
        : this(copyOf: null, new Dictionary<string, string?>())
    {
    }

    /// <param name="copyOf">The folder whose files the repository starts with; null: it starts empty.</param>
    /// <param name="settings">More settings of the process (its environment; null removes one).</param>
    protected ConfigServerProcess(string? copyOf, IReadOnlyDictionary<string, string?> settings)
    {
        _copyOf = copyOf;
        _settings = new Dictionary<string, string?>(settings);
    }

    public int Port { get; } = Repository.FreePort();

    public string UserName { get; } = "shop";

    public string Password { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The absolute path of the folder the server serves, without a trailing slash.</summary>
    public string RepositoryFolder { get; } = Path.Combine(Path.GetTempPath(), "shop-config-repo-" + Guid.NewGuid().ToString("N"));

    /// <summary>The server's address, without credentials.</summary>
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The address with the credentials as userinfo, as a client's <c>spring:cloud:config:uri</c> carries them.</summary>
    public string UrlWithCredentials => $"http://{UserName}:{Password}@127.0.0.1:{Port}";

    /// <summary>A client of the server with its credentials.</summary>
    public HttpClient Client { get; private set; } = null!;

    public ConcurrentQueue<string> Output { get; } = new();

    /// <summary>
    /// A server under <c>/config</c> that registers in <paramref name="registry"/> as <c>CONFIGSERVER</c>, as the split
    /// topology runs it for discovery-first clients; its repository starts as a copy of <paramref name="copyOf"/>, or empty.
    /// </summary>
    public static ConfigServerProcess RegisteredIn(RegistryProcess registry, string? copyOf = null) => new(
        copyOf,
        new Dictionary<string, string?>
        {
            ["spring__cloud__config__server__prefix"] = "/config",
            ["eureka__client__enabled"] = "true",
            ["eureka__client__serviceUrl__defaultZone"] = registry.ServiceUrl,
            ["eureka__instance__hostName"] = "127.0.0.1",
            ["eureka__instance__ipAddress"] = "127.0.0.1",
        });

    /// <summary>A started server whose repository has no file at all; the caller disposes it.</summary>
    public static async Task<ConfigServerProcess> StartWithEmptyRepositoryAsync()
    {
        var server = new ConfigServerProcess();
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

    /// <summary>
    /// Starts a config server process outside Development with nothing but <paramref name="settings"/> (its
    /// environment; null removes one), its output going to <paramref name="output"/>: for a spec that watches it refuse
    /// to start, or starts it in Development.
    /// </summary>
    public static Process Start(int port, IReadOnlyDictionary<string, string?> settings, ConcurrentQueue<string> output)
    {
        var start = DevServerProcess.StartInfo("ShopModular.ConfigServer", port, "Production");
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        // Read in any case: a full pipe would block the server.
        process.OutputDataReceived += (_, line) => output.Enqueue(line.Data ?? string.Empty);
        process.ErrorDataReceived += (_, line) => output.Enqueue(line.Data ?? string.Empty);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Puts its credentials in its registry metadata (<c>user</c>, <c>password</c>), where discovery-first clients read them.</summary>
    public void PublishCredentialsInMetadata()
    {
        _settings["eureka__instance__metadataMap__user"] = UserName;
        _settings["eureka__instance__metadataMap__password"] = Password;
    }

    /// <summary>Writes a file of the repository (<c>users.yml</c>, <c>v2/users.yml</c>), served from the next request on.</summary>
    public void Write(string relativePath, string content)
    {
        var file = Path.Combine(RepositoryFolder, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        // Written aside and renamed, so that the server never reads half a file.
        File.WriteAllText(file + ".tmp", content);
        File.Move(file + ".tmp", file, overwrite: true);
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(RepositoryFolder);
        if (_copyOf is not null)
        {
            CopyDirectory(_copyOf, RepositoryFolder);
        }

        var environment = new Dictionary<string, string?>
        {
            ["spring__cloud__config__server__native__searchLocations"] = "file:" + RepositoryFolder,
            ["SPRING__SECURITY__USER__NAME"] = UserName,
            ["SPRING__SECURITY__USER__PASSWORD"] = Password,
        };
        foreach (var (key, value) in _settings)
        {
            environment[key] = value;
        }

        _process = Start(Port, environment, Output);
        Client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        Client.DefaultRequestHeaders.Authorization = RegistryProcess.BasicHeader(UserName, Password);
        await DevServerProcess.WaitUntilAnswersAsync(_process, Client, "/actuator/health", "config server", () => string.Join('\n', Output));
    }

    /// <summary>The Environment document for a path such as <c>/orders/Development</c>, which must answer 200.</summary>
    public async Task<JsonObject> EnvironmentAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>The value a client that lets the first source win sees for <paramref name="key"/> (null: none).</summary>
    public static JsonNode? Resolve(JsonObject environment, string key) =>
        environment["propertySources"]!.AsArray()
            .Select(source => source!["source"]!.AsObject())
            .FirstOrDefault(source => source.ContainsKey(key))?[key];

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        if (Directory.Exists(RepositoryFolder))
        {
            Directory.Delete(RepositoryFolder, recursive: true);
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

/// <summary>
/// The config server's own specs' fixture: a fresh copy of their repository (<c>ConfigServer/repo</c>, the files the
/// golden documents were written for), which a spec may add to.
/// </summary>
public sealed class SpecRepositoryConfigServer : ConfigServerProcess
{
    /// <summary>The repository of the config server's specs, as the build copies it next to the tests.</summary>
    public static readonly string SpecRepository = Path.Combine(AppContext.BaseDirectory, "ConfigServer", "repo");

    public SpecRepositoryConfigServer()
        : base(SpecRepository, new Dictionary<string, string?>())
    {
    }
}
