using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Launcher;

/// <summary>
/// The development app host (<c>./shop run</c> hands over to it) asked for what it cannot do: it stops at once with a
/// message that names the problem, and starts nothing.
/// </summary>
public sealed class AppHostSpecs
{
    [Theory]
    [InlineData("--topology galaxy", "", "galaxy")]
    [InlineData("--topology split --verbose", "", "--verbose")]
    [InlineData("--topology split", "SHOP_INSTANCES=12", "SHOP_INSTANCES=12")]
    [InlineData("", "SHOP_PORT=http", "SHOP_PORT=http")]
    [InlineData("", "SHOP_DASHBOARD=maybe", "SHOP_DASHBOARD=maybe")]
    public async Task an_unknown_topology_or_setting_stops_it_with_a_message_naming_it(string arguments, string variable, string named)
    {
        using var state = new TemporaryState();
        var environment = new Dictionary<string, string> { ["SHOP_STATE_DIR"] = state.Path };
        if (variable.Length > 0)
        {
            environment[variable.Split('=')[0]] = variable.Split('=')[1];
        }

        var (exitCode, error) = await RunAsync(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), environment);

        Assert.Equal(2, exitCode);
        Assert.Contains("error:", error, StringComparison.Ordinal);
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(state.Path, "run.pid")), "Nothing may have been started");
    }

    [Fact]
    public async Task a_port_already_taken_is_reported_with_the_process_that_holds_it()
    {
        using var state = new TemporaryState();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        var (exitCode, error) = await RunAsync([], new Dictionary<string, string>
        {
            ["SHOP_STATE_DIR"] = state.Path,
            ["SHOP_PORT"] = taken,
            ["SHOP_PG_PORT"] = Repository.FreePort().ToString(CultureInfo.InvariantCulture),
        });

        Assert.Equal(1, exitCode);
        Assert.Contains($"port {taken} (SHOP_PORT) is in use by pid {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(state.Path, "pg", "postmaster.pid")), "PostgreSQL may not have been started");
    }

    private static async Task<(int ExitCode, string Error)> RunAsync(string[] arguments, Dictionary<string, string> environment)
    {
        var appHost = Path.Combine(Repository.Root(), "src", "Dev", "ShopModular.AppHost", "bin", "Release", "net10.0", "ShopModular.AppHost.dll");
        var start = new ProcessStartInfo("dotnet", [appHost, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(patience.Token);
        return (process.ExitCode, error + await output);
    }

    private sealed class TemporaryState : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"shop-apphost-{Guid.NewGuid():N}"[..24]);

        public void Dispose()
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
    }
}
