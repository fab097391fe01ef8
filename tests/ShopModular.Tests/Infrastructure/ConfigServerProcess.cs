using System.Diagnostics;
using System.Net.Http.Headers;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// Our development config server as a real process on a free loopback port, serving a configuration repository in a
/// temporary folder that the spec writes (<see cref="Write"/>; the server reads the files on every request), with a
/// fresh pair of credentials. Optionally registered in a registry, for discovery-first.
/// </summary>
public sealed class ConfigServerProcess : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, string> _settings;
    private Process _process = null!;

    public ConfigServerProcess()
        : this([])
    {
    }

    private ConfigServerProcess(Dictionary<string, string> settings) => _settings = settings;

    /// <summary>A server with more settings of its process, as environment variables (<c>spring__cloud__config__server__prefix</c>).</summary>
    public static ConfigServerProcess With(Dictionary<string, string> settings) => new(settings);

    public int Port { get; } = Repository.FreePort();

    public string UserName { get; } = "shop";

    public string Password { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>Puts its credentials in its registry metadata (<c>user</c>, <c>password</c>), where discovery-first clients read them.</summary>
    public void PublishCredentialsInMetadata()
    {
        _settings["eureka__instance__metadataMap__user"] = UserName;
        _settings["eureka__instance__metadataMap__password"] = Password;
    }

    /// <summary>The configuration repository the server serves.</summary>
    public DirectoryInfo Folder { get; } = Directory.CreateTempSubdirectory("shop-config-");

    /// <summary>The server's address, without credentials.</summary>
    public string Uri => $"http://127.0.0.1:{Port}";

    /// <summary>The server's address with the credentials as its userinfo.</summary>
    public string UriWithCredentials => $"http://{UserName}:{Password}@127.0.0.1:{Port}";

    /// <summary>Writes a file of the repository (<c>users.yml</c>, <c>v2/users.yml</c>), served from the next request on.</summary>
    public void Write(string path, string content)
    {
        var file = Path.Combine(Folder.FullName, path);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        // Written aside and renamed, so that the server never reads half a file.
        File.WriteAllText(file + ".tmp", content);
        File.Move(file + ".tmp", file, overwrite: true);
    }

    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "ShopModular.ConfigServer.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_URLS"] = Uri;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["spring__cloud__config__server__native__searchLocations"] = Folder.FullName;
        start.Environment["spring__security__user__name"] = UserName;
        start.Environment["spring__security__user__password"] = Password;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in _settings)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
        // Nobody reads its output otherwise, and a full pipe would block the server.
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = new System.Uri(Uri) };
        await Eventually.UntilAsync(
            async () => _process.HasExited || await Eventually.AnswersAsync(client, "/actuator/health"),
            StartTimeout,
            () => "The config server did not start.");
        Assert.False(_process.HasExited, "The config server exited at start-up.");
    }

    /// <summary>A client of the server with its credentials.</summary>
    public HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = new System.Uri(Uri) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{UserName}:{Password}")));
        return client;
    }

    public Task DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        Folder.Delete(recursive: true);
        return Task.CompletedTask;
    }
}
