using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace ShopModular.AppHost;

/// <summary>
/// A private PostgreSQL cluster from the Debian packages, as one resource of the app host: initialised on first use
/// in the state folder, listening on loopback only, durable (fsync on), and run as the postgres user (it refuses root).
/// </summary>
public sealed class LocalPostgres(string dataDirectory, int port)
{
    public string DataDirectory { get; } = dataDirectory;

    public int Port { get; } = port;

    /// <summary>As its superuser over its socket (local connections trust the OS user running them: root or postgres).</summary>
    public string SuperuserConnection =>
        $"Host={DataDirectory};Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=postgres;Pooling=false";

    public static string Binaries() =>
        (Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(version => Path.Combine(version, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "initdb"))).OrderByDescending(bin => bin, StringComparer.Ordinal).FirstOrDefault()
            : null)
        ?? throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql): ./shop run and ./shop test install it.");

    /// <summary>Creates the cluster the first time; later runs find it there with their data.</summary>
    public void Initialise()
    {
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            return;
        }

        Directory.CreateDirectory(DataDirectory);
        Processes.Run("chown", "postgres:postgres", DataDirectory);
        File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Processes.Run("runuser", "-u", "postgres", "--", Path.Combine(Binaries(), "initdb"), "-D", DataDirectory, "-U", "postgres",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8");
    }

    /// <summary>
    /// The server in the foreground, as the postgres user. The app host stops a resource with SIGTERM, which is
    /// PostgreSQL's smart shutdown (it waits for every client to leave); the wrapper makes it a fast shutdown (SIGINT).
    /// </summary>
    public (string Command, string[] Arguments) Command()
    {
        var server = string.Join(' ', new[]
        {
            "setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--",
            Path.Combine(Binaries(), "postgres"), "-D", DataDirectory, "-p", Port.ToString(CultureInfo.InvariantCulture), "-k", DataDirectory,
            "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=400", "-c", "shared_buffers=256MB",
        }.Select(Quote));
        return Processes.Supervised(server, stopSignal: "INT");
    }

    public async Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(SuperuserConnection);
            await connection.OpenAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception failure) when (failure is NpgsqlException or InvalidOperationException or IOException)
        {
            return HealthCheckResult.Unhealthy(failure.Message);
        }
    }

    /// <summary>Runs statements as the superuser, on <paramref name="database"/>.</summary>
    public async Task ExecuteAsync(string database, string sql, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnectionStringBuilder(SuperuserConnection) { Database = database };
        await using var session = new NpgsqlConnection(connection.ConnectionString);
        await session.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, session);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> DatabaseExistsAsync(string database, CancellationToken cancellationToken)
    {
        await using var session = new NpgsqlConnection(SuperuserConnection);
        await session.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("select 1 from pg_database where datname = @name", session);
        command.Parameters.AddWithValue("name", database);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>Short commands the app host runs before or beside its resources.</summary>
public static class Processes
{
    /// <summary>Exit status of a server that ended without the app host asking it to: started again.</summary>
    public const int EndedUnasked = 75;

    /// <summary>
    /// A server's command line wrapped so that the app host's stop (SIGTERM) reaches it as <paramref name="stopSignal"/>,
    /// and so that a server that ends without being asked (an operator's <c>pg_ctl stop</c> or <c>rabbitmqctl stop</c>,
    /// a crash) exits with <see cref="EndedUnasked"/>, which <see cref="RestartWhenKilled"/> starts again.
    /// </summary>
    public static (string Command, string[] Arguments) Supervised(string commandLine, string stopSignal) =>
        ("bash", ["-c", $"""
            {commandLine} &
            server=$!
            trap 'asked=1; kill -{stopSignal} $server' TERM INT
            wait $server
            [ -n "$asked" ] || exit {EndedUnasked}
            wait $server
            """]);

    public static void Run(params string[] command) => Run(command, new Dictionary<string, string>());

    public static void Run(string[] command, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} failed:\n{output.Result}{error.Result}");
        }
    }
}
