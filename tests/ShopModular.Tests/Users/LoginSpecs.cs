using System.Buffers.Binary;
using System.Net;
using Alba;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using ShopModular.Tests.Infrastructure;
using ShopModular.Users;

namespace ShopModular.Tests.Users;

/// <summary>
/// The monolith with a short sign-in window (3 failures per account, 6 per client address, 2 s), and its password
/// hasher (the real one) counting the hashes it is asked to check.
/// </summary>
public sealed class ShopHostWithShortLoginWindow : ShopHost
{
    public const int MaxFailures = 3;
    public const int MaxFailuresPerClient = 6;

    public CountingPasswordHasher PasswordHasher { get; } = new();

    protected override string Purpose => "login";

    public override async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync(Purpose);
        Host = await StartAsync(ConnectionString, Modules, builder =>
        {
            builder.UseSetting("Shop:Users:Login:MaxFailures", MaxFailures.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting("Shop:Users:Login:MaxFailuresPerClient", MaxFailuresPerClient.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting("Shop:Users:Login:Window", "00:00:02");
            builder.ConfigureServices(services => services.AddSingleton<IPasswordHasher<User>>(PasswordHasher));
        });
    }
}

/// <summary>ASP.NET Core Identity's hasher, as the host uses it, remembering every hash it checked a password against.</summary>
public sealed class CountingPasswordHasher : IPasswordHasher<User>
{
    private readonly PasswordHasher<User> _hasher = new();
    private readonly List<string> _checkedHashes = [];

    public IReadOnlyList<string> CheckedHashes
    {
        get
        {
            lock (_checkedHashes)
            {
                return [.. _checkedHashes];
            }
        }
    }

    public string HashPassword(User user, string password) => _hasher.HashPassword(user, password);

    public PasswordVerificationResult VerifyHashedPassword(User user, string hashedPassword, string providedPassword)
    {
        lock (_checkedHashes)
        {
            _checkedHashes.Add(hashedPassword);
        }

        return _hasher.VerifyHashedPassword(user, hashedPassword, providedPassword);
    }
}

public sealed class LoginSpecs(ShopHostWithShortLoginWindow monolith) : ShopSpec(monolith), IClassFixture<ShopHostWithShortLoginWindow>
{
    private static readonly TimeSpan WindowAndMargin = TimeSpan.FromSeconds(10);

    private readonly CountingPasswordHasher _hasher = monolith.PasswordHasher;

    [Fact]
    public async Task an_unknown_email_costs_a_password_check_with_the_same_parameters_as_a_real_account()
    {
        var customer = await RegisterCustomerAsync();
        var checkedBefore = _hasher.CheckedHashes.Count;

        await SignInAsync("nobody@example.org", "wrong-password", expectedStatus: 401);
        await SignInAsync(customer.Email, "wrong-password", expectedStatus: 401);

        var checkedHashes = _hasher.CheckedHashes.Skip(checkedBefore).ToList();
        Assert.Equal(2, checkedHashes.Count);
        // Identity's format: a version byte, then the PRF, the iteration count and the salt length; only the salt
        // and the subkey differ between two hashes made alike.
        var forUnknownEmail = Convert.FromBase64String(checkedHashes[0]);
        var forRealAccount = Convert.FromBase64String(checkedHashes[1]);
        Assert.Equal(forRealAccount[..13], forUnknownEmail[..13]);
        Assert.Equal(forRealAccount.Length, forUnknownEmail.Length);
        Assert.True(BinaryPrimitives.ReadUInt32BigEndian(forUnknownEmail.AsSpan(5)) >= 100_000, "The iteration count is the hasher's own.");
    }

    [Fact]
    public async Task failed_sign_ins_lock_the_account_for_the_window_then_the_owner_gets_in()
    {
        var customer = await RegisterCustomerAsync();
        for (var i = 0; i < ShopHostWithShortLoginWindow.MaxFailures; i++)
        {
            await SignInAsync(customer.Email, "guessed-wrong", expectedStatus: 401);
        }

        var checkedBefore = _hasher.CheckedHashes.Count;
        var locked = await SignInAsync(customer.Email, customer.Password, expectedStatus: 429);

        var retryAfter = int.Parse(locked.Context.Response.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 2);
        Assert.Equal(429, (await ReadProblemAsync(locked)).Status);
        // Refused before any work: no password hash was checked.
        Assert.Equal(checkedBefore, _hasher.CheckedHashes.Count);
        await Eventually.UntilAsync(
            async () => (await SignInAsync(customer.Email, customer.Password, expectedStatus: null)).Context.Response.StatusCode == 200,
            WindowAndMargin,
            () => "The owner was still refused after the window.");
    }

    [Fact]
    public async Task an_unknown_email_is_locked_like_a_known_one()
    {
        for (var i = 0; i < ShopHostWithShortLoginWindow.MaxFailures; i++)
        {
            await SignInAsync("nobody@example.org", "guessed-wrong", expectedStatus: 401);
        }

        await SignInAsync("nobody@example.org", "guessed-wrong", expectedStatus: 429);
    }

    [Fact]
    public async Task failed_sign_ins_from_one_address_lock_that_address_whichever_accounts_they_name()
    {
        var attacker = IPAddress.Parse("203.0.113.7");
        for (var i = 0; i < ShopHostWithShortLoginWindow.MaxFailuresPerClient; i++)
        {
            await SignInAsync($"victim-{i}@example.org", "guessed-wrong", expectedStatus: 401, from: attacker);
        }

        await SignInAsync("another-victim@example.org", "guessed-wrong", expectedStatus: 429, from: attacker);
        // Someone else, from another address, is not refused.
        await SignInAsync(ShopHost.AdminEmail, ShopHost.AdminPassword, expectedStatus: 200, from: IPAddress.Parse("198.51.100.1"));
    }

    [Fact]
    public async Task an_x_forwarded_for_from_a_client_that_is_no_trusted_proxy_changes_nothing()
    {
        var attacker = IPAddress.Parse("203.0.113.8");
        for (var i = 0; i < ShopHostWithShortLoginWindow.MaxFailuresPerClient; i++)
        {
            await SignInAsync($"victim-{i}@example.org", "guessed-wrong", expectedStatus: 401, from: attacker, forwardedFor: $"192.0.2.{i}");
        }

        await SignInAsync("another-victim@example.org", "guessed-wrong", expectedStatus: 429, from: attacker, forwardedFor: "192.0.2.200");
    }

    private Task<IScenarioResult> SignInAsync(string email, string password, int? expectedStatus, IPAddress? from = null, string? forwardedFor = null) =>
        Api.Scenario(s =>
        {
            s.Post.Json(new { email, password }).ToUrl("/api/auth/token");
            if (from is not null)
            {
                s.ConfigureHttpContext(context => context.Connection.RemoteIpAddress = from);
            }

            if (forwardedFor is not null)
            {
                s.WithRequestHeader("X-Forwarded-For", forwardedFor);
            }

            if (expectedStatus is { } status)
            {
                s.StatusCodeShouldBe(status);
            }
            else
            {
                s.IgnoreStatusCode();
            }
        });
}
