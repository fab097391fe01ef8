using System.Diagnostics;
using System.Text.Json.Nodes;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Discovery;

/// <summary>
/// Compatibility with an independent Eureka client: eureka-js-client (npm) registers with our registry,
/// heartbeats, finds an instance registered after its first full fetch (so through a delta), and deregisters, all
/// with the registry's credentials (which it sends with every call).
/// The registry runs as a real process, as in <c>./shop run --split</c>; the peer is installed on first use (<see cref="NodePeers"/>).
/// </summary>
public sealed class EurekaJsClientSpecs(RegistryProcess registry) : IClassFixture<RegistryProcess>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task eureka_js_client_registers_heartbeats_finds_our_instance_and_deregisters()
    {
        using var peer = StartPeer(lookFor: "ORDERS");
        await ExpectAsync(peer, "registered");
        // Registered after the peer's first full fetch, so the peer learns of it from a delta.
        await registry.RegisterAsync("ORDERS", 5081);
        var found = await ExpectAsync(peer, "found");
        var registered = await PeerRegistrationAsync();
        var firstRenewal = registered!["leaseInfo"]!["lastRenewalTimestamp"]!.GetValue<long>();
        await Eventually.UntilAsync(
            async () => (await PeerRegistrationAsync())!["leaseInfo"]!["lastRenewalTimestamp"]!.GetValue<long>() != firstRenewal,
            Timeout,
            () => "The peer's heartbeats never renewed its lease.");

        await peer.StandardInput.WriteLineAsync("stop");
        await ExpectAsync(peer, "stopped");

        Assert.Equal(["127.0.0.1:orders:5081"], found["instances"]!.AsArray().Select(id => id!.GetValue<string>()));
        Assert.Equal("UP", registered["status"]!.GetValue<string>());
        Assert.Equal("JSPEER", registered["app"]!.GetValue<string>());
        Assert.Null(await PeerRegistrationAsync());
    }

    private Task<JsonNode?> PeerRegistrationAsync() => registry.InstanceAsync("JSPEER", "peer-host:jspeer:7001");

    private Process StartPeer(string lookFor)
    {
        var peers = NodePeers.Folder;
        return Process.Start(new ProcessStartInfo("node", [Path.Combine(peers, "eureka-js-peer.js"), "127.0.0.1", registry.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), lookFor, registry.UserName, registry.Password])
        {
            WorkingDirectory = peers,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
    }

    /// <summary>The peer's next JSON line, which must report <paramref name="expected"/>.</summary>
    private static async Task<JsonNode> ExpectAsync(Process peer, string expected)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (await peer.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith('{') && JsonNode.Parse(line) is { } report)
            {
                Assert.Equal(expected, report["event"]!.GetValue<string>());
                return report;
            }
        }

        throw new InvalidOperationException($"The peer ended before '{expected}': {await peer.StandardError.ReadToEndAsync()}");
    }
}
