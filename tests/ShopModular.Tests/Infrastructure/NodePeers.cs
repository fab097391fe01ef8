using System.Diagnostics;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The independent protocol clients of <c>tests/peers</c> (npm's eureka-js-client, cloud-config-client …), installed
/// with <c>npm ci</c> the first time a spec needs them when their installation is missing or older than the lock
/// file: so that <c>dotnet test</c> needs no step of its own before it (Node.js and npm come from the OS packages).
/// </summary>
public static class NodePeers
{
    private static readonly Lazy<string> Installed = new(Install);

    public static string Folder => Installed.Value;

    private static string Install()
    {
        var folder = Path.Combine(Repository.Root(), "tests", "peers");
        var installed = Path.Combine(folder, "node_modules", ".package-lock.json");
        if (File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(Path.Combine(folder, "package-lock.json")))
        {
            return folder;
        }

        using var npm = Start(new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        });
        var output = npm.StandardOutput.ReadToEndAsync();
        var error = npm.StandardError.ReadToEnd();
        npm.WaitForExit();
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci in {folder} failed:\n{output.Result}{error}");
        }

        return folder;
    }

    private static Process Start(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception missing)
        {
            throw new InvalidOperationException("npm is not installed (apt-get install npm), or run the specs with ./shop test, which installs it.", missing);
        }
    }
}
