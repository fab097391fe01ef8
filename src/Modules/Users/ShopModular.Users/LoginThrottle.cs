using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http;

namespace ShopModular.Users;

/// <summary>
/// Counts failed sign-ins per account and per client address, and refuses further attempts once either has failed
/// too often within the window, until the oldest of those failures is older than the window: guessing a password
/// becomes slow, and the owner of an account an attacker has locked gets in again after the window. Unknown emails
/// are counted like known ones, so a refusal tells nothing about which accounts exist.
/// The counts live in this process's memory: each Users process counts on its own, and a restart forgets them.
/// </summary>
public sealed class LoginThrottle(UsersSettings settings, TimeProvider clock)
{
    /// <summary>How many failures are recorded between two sweeps of entries whose failures have all expired.</summary>
    private const int SweepEvery = 1_000;

    private readonly LoginSettings _settings = settings.Login;
    private readonly IReadOnlyList<IPNetwork> _trustedProxies = settings.Login.TrustedProxyNetworks();
    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);
    private int _recordedSinceSweep;

    /// <summary>How long the attempt must wait, or null when it may go ahead.</summary>
    public TimeSpan? RetryAfter(string email, HttpContext http)
    {
        var now = clock.GetUtcNow();
        var account = LockedFor(AccountKey(email), _settings.MaxFailures, now);
        var client = LockedFor(ClientKey(http), _settings.MaxFailuresPerClient, now);
        return account is null || client > account ? client : account;
    }

    public void Failed(string email, HttpContext http)
    {
        var now = clock.GetUtcNow();
        Record(AccountKey(email), _settings.MaxFailures, now);
        Record(ClientKey(http), _settings.MaxFailuresPerClient, now);
        if (Interlocked.Increment(ref _recordedSinceSweep) % SweepEvery == 0)
        {
            Sweep(now);
        }
    }

    /// <summary>The owner got in: the account's failures are forgotten (the client's are not, or one account of an attacker's would clear them).</summary>
    public void Succeeded(string email) => _failures.TryRemove(AccountKey(email), out _);

    /// <summary>Forgets every failure (as a restart does).</summary>
    public void Forget() => _failures.Clear();

    /// <summary>
    /// The client's address: the connection's, or, when the connection comes from a trusted proxy, the last address
    /// of its X-Forwarded-For, the one the proxy itself saw (earlier entries are whatever the client wrote).
    /// </summary>
    private string ClientAddressOf(HttpContext http)
    {
        var peer = http.Connection.RemoteIpAddress;
        if (peer is { IsIPv4MappedToIPv6: true })
        {
            peer = peer.MapToIPv4();
        }

        if (peer is not null && _trustedProxies.Any(network => network.Contains(peer))
            && http.Request.Headers["X-Forwarded-For"].ToString().Split(',').LastOrDefault()?.Trim() is { Length: > 0 } forwarded
            && IPAddress.TryParse(forwarded, out var client))
        {
            return client.ToString();
        }

        return peer?.ToString() ?? "unknown";
    }

    private static string AccountKey(string email) => "account:" + email;

    private string ClientKey(HttpContext http) => "client:" + ClientAddressOf(http);

    private TimeSpan? LockedFor(string key, int max, DateTimeOffset now) =>
        _failures.TryGetValue(key, out var failures) ? failures.LockedFor(max, _settings.Window, now) : null;

    private void Record(string key, int max, DateTimeOffset now) =>
        _failures.GetOrAdd(key, _ => new Failures()).Record(max, _settings.Window, now);

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, failures) in _failures)
        {
            if (failures.AllOlderThan(now - _settings.Window))
            {
                _failures.TryRemove(KeyValuePair.Create(key, failures));
            }
        }
    }

    /// <summary>The times of the latest failures of one account or client, at most as many as are allowed.</summary>
    private sealed class Failures
    {
        private readonly Queue<DateTimeOffset> _times = new();

        public TimeSpan? LockedFor(int max, TimeSpan window, DateTimeOffset now)
        {
            lock (_times)
            {
                Expire(window, now);
                return _times.Count >= max ? _times.Peek() + window - now : null;
            }
        }

        public void Record(int max, TimeSpan window, DateTimeOffset now)
        {
            lock (_times)
            {
                Expire(window, now);
                _times.Enqueue(now);
                while (_times.Count > max)
                {
                    _times.Dequeue();
                }
            }
        }

        public bool AllOlderThan(DateTimeOffset time)
        {
            lock (_times)
            {
                return _times.All(at => at <= time);
            }
        }

        private void Expire(TimeSpan window, DateTimeOffset now)
        {
            while (_times.Count > 0 && _times.Peek() <= now - window)
            {
                _times.Dequeue();
            }
        }
    }
}
