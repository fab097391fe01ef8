using System.Security.Cryptography;

namespace ShopModular.AppHost;

/// <summary>
/// The folder a development topology keeps between runs: its databases, the broker's data, development secrets
/// made up on first use and the token key pair. One run at a time owns it (<see cref="Claim"/>).
/// </summary>
public sealed class StateFolder : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly FileStream _lock;

    private StateFolder(string path, FileStream runLock)
    {
        Path = path;
        _lock = runLock;
    }

    public string Path { get; }

    /// <summary>
    /// Takes the folder for this run. Another live run of it is an <see cref="InvalidOperationException"/> naming
    /// its pid: two runs would share one database folder and one broker node.
    /// </summary>
    public static StateFolder Claim(string path)
    {
        Directory.CreateDirectory(path);
        // PostgreSQL runs as its own user, which must reach its data folder in here.
        File.SetUnixFileMode(path, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var pidFile = System.IO.Path.Combine(path, "run.pid");
        FileStream runLock;
        try
        {
            // An advisory lock the kernel drops with the process, however it ends: no stale lock after a kill.
            runLock = new FileStream(System.IO.Path.Combine(path, "run.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var owner = File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : "unknown";
            throw new InvalidOperationException(
                $"./shop run is already running from {path} (pid {owner}): use it, or stop it first (Ctrl-C in its terminal, or kill -TERM {owner}).");
        }

        File.WriteAllText(pidFile, ProcessStamp.Of(Environment.ProcessId) + "\n");
        var folder = new StateFolder(path, runLock);
        folder.StopLeftovers("an earlier run left running", TimeSpan.Zero);
        return folder;
    }

    /// <summary>
    /// Stops the processes the pid files name that still run: at the start, what an earlier run left (one killed before
    /// it could stop them: its orchestrator stops them as soon as it notices, until then they hold the ports and the
    /// database folder); at the end, whatever the orchestrator has not stopped yet, so that nothing outlives the run.
    /// </summary>
    private void StopLeftovers(string which, TimeSpan grace)
    {
        var folder = Combine("pids");
        if (!Directory.Exists(folder))
        {
            return;
        }

        var stamps = Directory.GetFiles(folder).Select(File.ReadAllText).ToList();
        var deadline = DateTime.UtcNow + grace;
        while (stamps.Any(stamp => ProcessStamp.Running(stamp) is not null) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }

        var leftovers = stamps.Select(ProcessStamp.Running).OfType<int>().ToList();
        if (leftovers.Count > 0)
        {
            Console.Error.WriteLine($"[shop] stopping {leftovers.Count} process(es) {which}: {string.Join(' ', leftovers)}");
            ProcessStamp.Stop(leftovers, TimeSpan.FromSeconds(10));
        }

        Directory.Delete(folder, recursive: true);
    }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>
    /// A development password, made up on first use and kept in <c>secrets/NAME</c> (readable by its owner only), so
    /// that a second run signs in with the first run's credentials. 24 characters, safe in URIs and connection strings.
    /// </summary>
    public string Secret(string name)
    {
        var folder = Combine("secrets");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, OwnerOnly);
        var file = System.IO.Path.Combine(folder, name);
        if (!File.Exists(file) || new FileInfo(file).Length == 0)
        {
            var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
            File.WriteAllText(file, secret + "\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return File.ReadAllText(file).Trim();
    }

    /// <summary>
    /// The token key pair (ES256) of the split topology, made once and kept in <c>split-keys/</c>, so that tokens
    /// outlive a restart. Only the Users processes get the private key.
    /// </summary>
    public (string PrivateKey, string PublicKey) TokenKeys()
    {
        var folder = Combine("split-keys");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, OwnerOnly);
        var privateFile = System.IO.Path.Combine(folder, "private.pem");
        var publicFile = System.IO.Path.Combine(folder, "public.pem");
        if (!File.Exists(privateFile) || !File.Exists(publicFile))
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            File.WriteAllText(privateFile, key.ExportPkcs8PrivateKeyPem() + "\n");
            File.SetUnixFileMode(privateFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(publicFile, key.ExportSubjectPublicKeyInfoPem() + "\n");
        }

        return (File.ReadAllText(privateFile), File.ReadAllText(publicFile));
    }

    public void Dispose()
    {
        StopLeftovers("the orchestrator had not stopped within 10 s", TimeSpan.FromSeconds(10));
        File.Delete(Combine("run.pid"));
        _lock.Dispose();
    }
}
