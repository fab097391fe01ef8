using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ShopModular.ServiceDefaults.Security;

/// <summary>
/// Settings under <c>Shop:Jwt</c>. Tokens are signed with ES256: only the process that issues them (Users) holds the
/// private key; every other process, and the gateway, holds the public key and can check a token but never make one.
/// </summary>
public sealed class JwtSettings
{
    public const string Section = "Shop:Jwt";

    /// <summary>PEM of a P-256 private key; only the Users process has it. No default outside Development.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>PEM of the matching public key; the issuer may leave it out (it is derived from the private key).</summary>
    public string? PublicKey { get; set; }

    public string Issuer { get; set; } = "shopmodular";

    public string Audience { get; set; } = "shopmodular-api";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    internal bool HasPrivateKey => !string.IsNullOrWhiteSpace(PrivateKey);

    internal bool HasPublicKey => !string.IsNullOrWhiteSpace(PublicKey);

    internal ECDsaSecurityKey CreateSigningKey() => new(EcKeys.Read(PrivateKey!));

    /// <summary>The key that checks tokens: the configured public key, or the public half of the private key.</summary>
    internal ECDsaSecurityKey CreateValidationKey() =>
        new(HasPublicKey ? EcKeys.Read(PublicKey!) : EcKeys.PublicHalf(EcKeys.Read(PrivateKey!)));
}

public static class ShopRoles
{
    public const string Admin = "admin";

    /// <summary>Authorization policy for administrator routes: 401 when anonymous, 403 when signed in without the role.</summary>
    public const string AdminPolicy = "admin";
}

/// <summary>Claims our tokens carry; names are JWT's registered ones so other services can read them.</summary>
public static class ShopClaims
{
    public const string UserId = JwtRegisteredClaimNames.Sub;
    public const string Email = JwtRegisteredClaimNames.Email;
    public const string Role = "role";

    public static Guid GetUserId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(UserId), out var id)
            ? id
            : throw new InvalidOperationException("The signed-in principal carries no user id; the route must require authorization.");

    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(ShopRoles.Admin);
}

/// <summary>Issues the tokens that every module validates; only a process with <c>Shop:Jwt:PrivateKey</c> has one.</summary>
public sealed class TokenIssuer(JwtSettings settings, TimeProvider clock)
{
    private readonly JsonWebTokenHandler _handler = new();
    private readonly SigningCredentials _credentials = new(settings.CreateSigningKey(), SecurityAlgorithms.EcdsaSha256);

    public IssuedToken Issue(Guid userId, string email, IEnumerable<string> roles)
    {
        var claims = new Dictionary<string, object>
        {
            [ShopClaims.UserId] = userId.ToString(),
            [ShopClaims.Email] = email,
            [ShopClaims.Role] = roles.ToArray(),
            // Names each token, so that a log line or a future revocation list can point at one.
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
        };
        var now = clock.GetUtcNow().UtcDateTime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + settings.TokenLifetime,
            SigningCredentials = _credentials,
        });
        return new IssuedToken(token, (int)settings.TokenLifetime.TotalSeconds);
    }
}

public sealed record IssuedToken(string AccessToken, int ExpiresInSeconds);

public static class ShopAuthenticationExtensions
{
    /// <summary>
    /// JWT bearer validation (ES256) with the public key from <c>Shop:Jwt:PublicKey</c>. The keys are checked when the
    /// host starts (it refuses to start without one, or, outside Development, with one committed in this repository),
    /// not when it is built, so that <c>migrate</c> needs no secrets.
    /// </summary>
    public static WebApplicationBuilder AddShopAuthentication(this WebApplicationBuilder builder)
    {
        var environment = builder.Environment;
        builder.Services.AddOptions<JwtSettings>()
            .Bind(builder.Configuration.GetSection(JwtSettings.Section))
            .Validate(settings => settings.HasPublicKey || settings.HasPrivateKey,
                $"No token validation key: set {JwtSettings.Section}:PublicKey to the PEM of the P-256 public key of the tokens' issuer, for example Shop__Jwt__PublicKey=\"$(cat public.pem)\".")
            .Validate(settings => !settings.HasPublicKey || EcKeys.IsP256(settings.PublicKey!, out _),
                $"{JwtSettings.Section}:PublicKey is not the PEM of a P-256 (ES256) key.")
            .Validate(settings => !settings.HasPrivateKey || EcKeys.IsP256(settings.PrivateKey!, out _),
                $"{JwtSettings.Section}:PrivateKey is not the PEM of a P-256 (ES256) private key.")
            .Validate(settings => !settings.HasPrivateKey || !settings.HasPublicKey || EcKeys.ArePair(settings.PrivateKey!, settings.PublicKey!),
                $"{JwtSettings.Section}:PublicKey is not the public half of {JwtSettings.Section}:PrivateKey.")
            .Validate(settings => environment.IsDevelopment() || !UsesCommittedKey(settings, CommittedSecrets.Of(environment)),
                $"A {JwtSettings.Section} key is one committed in this repository's appsettings files, which anyone can read: outside Development generate a key pair of your own (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256).")
            .ValidateOnStart();
        builder.Services.AddSingleton(services => services.GetRequiredService<IOptions<JwtSettings>>().Value);
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.Services
            .AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<JwtSettings>((options, settings) =>
            {
                options.MapInboundClaims = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = settings.Issuer,
                    ValidAudience = settings.Audience,
                    IssuerSigningKey = settings.CreateValidationKey(),
                    // Only ES256: a token signed with an HMAC key (the old shared one) or with none is refused.
                    ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
                    NameClaimType = ShopClaims.UserId,
                    RoleClaimType = ShopClaims.Role,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                options.Events = new JwtBearerEvents
                {
                    // Every route reads the user id from sub: a token whose sub is no id is not a valid token (401),
                    // rather than a signed-in principal that breaks the route (500).
                    OnTokenValidated = context =>
                    {
                        if (!Guid.TryParse(context.Principal?.FindFirstValue(ShopClaims.UserId), out _))
                        {
                            context.Fail("The token's sub is not a user id.");
                        }

                        return Task.CompletedTask;
                    },
                };
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ShopRoles.AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(ShopRoles.Admin));
        return builder;
    }

    /// <summary>
    /// Lets this process issue tokens (<see cref="TokenIssuer"/>): only the module that signs users in calls it, so no
    /// other process needs, or gets, the private key.
    /// </summary>
    public static WebApplicationBuilder AddShopTokenIssuer(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<JwtSettings>()
            .Validate(settings => settings.HasPrivateKey,
                $"No token signing key: set {JwtSettings.Section}:PrivateKey to the PEM of a P-256 private key (only in the process that hosts Users), for example Shop__Jwt__PrivateKey=\"$(cat private.pem)\".");
        builder.Services.AddSingleton<TokenIssuer>();
        return builder;
    }

    private static bool UsesCommittedKey(JwtSettings settings, CommittedSecrets committed) =>
        (settings.HasPrivateKey && committed.ContainsKey(settings.PrivateKey!))
        || (settings.HasPublicKey && committed.ContainsKey(settings.PublicKey!));
}

/// <summary>P-256 keys from PEM, compared by their public half.</summary>
internal static class EcKeys
{
    public static ECDsa Read(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return key;
    }

    public static ECDsa PublicHalf(ECDsa key)
    {
        var publicKey = ECDsa.Create();
        publicKey.ImportSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _);
        return publicKey;
    }

    /// <summary>Whether <paramref name="pem"/> is a P-256 key; if so, its public half (SubjectPublicKeyInfo) for comparing keys.</summary>
    public static bool IsP256(string pem, out byte[] publicKeyInfo)
    {
        publicKeyInfo = [];
        try
        {
            using var key = Read(pem);
            if (key.KeySize != 256)
            {
                return false;
            }

            publicKeyInfo = key.ExportSubjectPublicKeyInfo();
            return true;
        }
        catch (Exception exception) when (exception is ArgumentException or CryptographicException)
        {
            return false;
        }
    }

    public static bool ArePair(string privatePem, string publicPem) =>
        IsP256(privatePem, out var fromPrivate) && IsP256(publicPem, out var fromPublic) && fromPrivate.AsSpan().SequenceEqual(fromPublic);
}
