using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Users;

public sealed class MonolithTokenSpecs(ShopHost monolith) : TokenSpecs(monolith), IClassFixture<ShopHost>;

/// <summary>Through the gateway, which checks tokens itself before any module sees them.</summary>
public sealed class SplitTokenSpecs(SplitShop split) : TokenSpecs(split), IClassFixture<SplitShop>;

/// <summary>Only Users can sign a token (ES256, its private key); everyone else checks them with the public key.</summary>
public abstract class TokenSpecs(IShopTopology topology) : ShopSpec(topology)
{
    /// <summary>The HMAC key every process used to share, committed in appsettings.Development.json.</summary>
    private const string OldSharedKey = "development-only-signing-key-do-not-use-in-production";

    public static TheoryData<string> ProtectedRoutes => new() { "/api/users/me", "/api/orders" };

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task refuses_an_administrator_token_signed_with_an_hmac_key(string route)
    {
        // The key every process used to share, and the public key (everyone has it) used as an HMAC secret: the
        // confusion of algorithms a validator that trusts the token's alg header falls for.
        foreach (var secret in new[] { OldSharedKey, TestKeys.PublicKeyPem })
        {
            var forged = Sign(new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
                Guid.NewGuid().ToString());

            await ExpectUnauthorizedAsync(route, forged);
        }
    }

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task refuses_a_token_signed_with_the_development_key_or_any_key_but_users(string route)
    {
        var development = TestKeys.DevelopmentSettings()["Shop:Jwt:PrivateKey"]!;
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        await ExpectUnauthorizedAsync(route, TestKeys.SignedWith(development, Guid.NewGuid(), "forger@shop.test", "admin"));
        await ExpectUnauthorizedAsync(route, TestKeys.SignedWith(stranger.ExportPkcs8PrivateKeyPem(), Guid.NewGuid(), "forger@shop.test", "admin"));
    }

    [Theory]
    [InlineData("/api/users/me", "not-a-guid")]
    [InlineData("/api/orders", "not-a-guid")]
    [InlineData("/api/users/me/points", "")]
    [InlineData("/api/orders", "00000000-0000-0000-0000-00000000000g")]
    public async Task refuses_a_correctly_signed_token_whose_subject_is_not_a_user_id(string route, string subject)
    {
        var signedByUsers = Sign(new SigningCredentials(new ECDsaSecurityKey(ImportTestKey()), SecurityAlgorithms.EcdsaSha256), subject);

        var result = await Api.Scenario(s =>
        {
            if (route.EndsWith("/points", StringComparison.Ordinal))
            {
                s.Post.Json(new { amount = 10 }).ToUrl(route);
            }
            else
            {
                s.Get.Url(route);
            }

            s.WithBearerToken(signedByUsers);
            s.StatusCodeShouldBe(401);
        });

        Assert.Equal(401, (await ReadProblemAsync(result)).Status);
    }

    [Fact]
    public async Task a_token_names_itself_with_a_jti_of_its_own()
    {
        var first = new JsonWebToken(await SignInAsAdminAsync());
        var second = new JsonWebToken(await SignInAsAdminAsync());

        Assert.False(string.IsNullOrEmpty(first.Id));
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal("ES256", first.Alg);
    }

    [Fact]
    public async Task the_token_answer_may_not_be_stored_by_any_cache()
    {
        var result = await Api.Scenario(s =>
        {
            s.Post.Json(new { email = ShopHost.AdminEmail, password = ShopHost.AdminPassword }).ToUrl("/api/auth/token");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal("no-store", result.Context.Response.Headers.CacheControl.ToString());
        Assert.Equal("no-cache", result.Context.Response.Headers.Pragma.ToString());
    }

    [Fact]
    public async Task repeated_failed_sign_ins_for_an_account_are_refused_with_429_and_retry_after()
    {
        var customer = await RegisterCustomerAsync();
        // The default: five failures per account within five minutes.
        for (var i = 0; i < 5; i++)
        {
            await Api.Scenario(s =>
            {
                s.Post.Json(new { email = customer.Email, password = "guessed-wrong" }).ToUrl("/api/auth/token");
                s.StatusCodeShouldBe(401);
            });
        }

        var refused = await Api.Scenario(s =>
        {
            s.Post.Json(new { email = customer.Email, password = customer.Password }).ToUrl("/api/auth/token");
            s.StatusCodeShouldBe(429);
        });

        Assert.InRange(int.Parse(refused.Context.Response.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture), 1, 300);
        Assert.Equal(429, (await ReadProblemAsync(refused)).Status);
    }

    [Fact]
    public async Task failed_sign_ins_from_one_client_lock_that_client_whatever_x_forwarded_for_it_sends()
    {
        var attacker = IPAddress.Parse("203.0.113.9");
        // The default: twenty failures per client address within five minutes, whichever accounts they name.
        for (var i = 0; i < 20; i++)
        {
            await SignInFromAsync(attacker, $"victim-{i}@example.org", forwardedFor: $"192.0.2.{i}", expectedStatus: 401);
        }

        await SignInFromAsync(attacker, "another-victim@example.org", forwardedFor: "192.0.2.200", expectedStatus: 429);
        // Through the gateway every request reaches Users from the gateway's address: the others are not refused.
        await SignInFromAsync(IPAddress.Parse("198.51.100.2"), "another-victim@example.org", forwardedFor: null, expectedStatus: 401);
    }

    private Task SignInFromAsync(IPAddress client, string email, string? forwardedFor, int expectedStatus) =>
        Api.Scenario(s =>
        {
            s.Post.Json(new { email, password = "guessed-wrong" }).ToUrl("/api/auth/token");
            s.ConfigureHttpContext(context => context.Connection.RemoteIpAddress = client);
            if (forwardedFor is not null)
            {
                s.WithRequestHeader("X-Forwarded-For", forwardedFor);
            }

            s.StatusCodeShouldBe(expectedStatus);
        });

    private async Task ExpectUnauthorizedAsync(string route, string token) =>
        await Api.Scenario(s =>
        {
            s.Get.Url(route);
            s.WithBearerToken(token);
            s.StatusCodeShouldBe(401);
        });

    /// <summary>A token with every claim Users puts in one, the subject as given.</summary>
    private static string Sign(SigningCredentials credentials, string subject) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "shopmodular",
            Audience = "shopmodular-api",
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = subject,
                [JwtRegisteredClaimNames.Email] = "forger@shop.test",
                ["role"] = new[] { "admin" },
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            },
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = credentials,
        });

    private static ECDsa ImportTestKey()
    {
        var key = ECDsa.Create();
        key.ImportFromPem(TestKeys.PrivateKeyPem);
        return key;
    }
}
