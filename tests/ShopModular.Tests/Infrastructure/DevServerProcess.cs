using System.Diagnostics;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// What starting one of our development servers (<c>ShopModular.Registry</c>, <c>ShopModular.ConfigServer</c>) as a
/// real process has in common: <c>dotnet {assembly}.dll</c> from the tests' output, on a loopback port, logging
/// warnings and worse, and waited for until its health page answers.
/// </summary>
internal static class DevServerProcess
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The start of <paramref name="assembly"/> on 127.0.0.1:<paramref name="port"/> in <paramref name="environment"/>, its output redirected.</summary>
    public static ProcessStartInfo StartInfo(string assembly, int port, string environment)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, assembly + ".dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        return start;
    }

    /// <summary>Waits until <paramref name="healthPath"/> answers; fails when the process exits first, with <paramref name="output"/> when given.</summary>
    public static async Task WaitUntilAnswersAsync(Process process, HttpClient client, string healthPath, string name, Func<string>? output = null)
    {
        await Eventually.UntilAsync(
            async () => process.HasExited || await Eventually.AnswersAsync(client, healthPath),
            StartTimeout,
            () => $"The {name} did not start.");
        Assert.False(process.HasExited, $"The {name} exited at start-up{(output is null ? "." : ": " + output())}");
    }
}
