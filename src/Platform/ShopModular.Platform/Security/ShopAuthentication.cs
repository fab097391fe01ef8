using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ShopModular.Platform.Security;

/// <summary>Settings under <c>Shop:Jwt</c>. Every process that validates tokens shares the signing key.</summary>
public sealed class JwtSettings
{
    public const string Section = "Shop:Jwt";

    /// <summary>The HMAC-SHA256 key, at least 32 bytes. No default outside Development.</summary>
    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "shopmodular";

    public string Audience { get; set; } = "shopmodular-api";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    internal SymmetricSecurityKey CreateKey() => new(Encoding.UTF8.GetBytes(SigningKey!));
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

/// <summary>Issues the tokens that every module validates.</summary>
public sealed class TokenIssuer(JwtSettings settings, TimeProvider clock)
{
    private readonly JsonWebTokenHandler _handler = new();

    public IssuedToken Issue(Guid userId, string email, IEnumerable<string> roles)
    {
        var claims = new Dictionary<string, object>
        {
            [ShopClaims.UserId] = userId.ToString(),
            [ShopClaims.Email] = email,
            [ShopClaims.Role] = roles.ToArray(),
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
            SigningCredentials = new SigningCredentials(settings.CreateKey(), SecurityAlgorithms.HmacSha256),
        });
        return new IssuedToken(token, (int)settings.TokenLifetime.TotalSeconds);
    }
}

public sealed record IssuedToken(string AccessToken, int ExpiresInSeconds);

public static class ShopAuthenticationExtensions
{
    private const int MinimumKeyBytes = 32;

    /// <summary>
    /// JWT bearer validation with the shared key from <c>Shop:Jwt:SigningKey</c>. The key is checked when the host
    /// starts (it refuses to start without one), not when it is built, so that <c>migrate</c> needs no secrets.
    /// </summary>
    public static WebApplicationBuilder AddShopAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<JwtSettings>()
            .Bind(builder.Configuration.GetSection(JwtSettings.Section))
            .Validate(settings => !string.IsNullOrWhiteSpace(settings.SigningKey),
                $"No token signing key: set {JwtSettings.Section}:SigningKey (at least {MinimumKeyBytes} bytes), for example Shop__Jwt__SigningKey=...")
            .Validate(settings => settings.SigningKey is null || Encoding.UTF8.GetByteCount(settings.SigningKey) >= MinimumKeyBytes,
                $"{JwtSettings.Section}:SigningKey must be at least {MinimumKeyBytes} bytes.")
            .ValidateOnStart();
        builder.Services.AddSingleton(services => services.GetRequiredService<IOptions<JwtSettings>>().Value);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TokenIssuer>();

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
                    IssuerSigningKey = settings.CreateKey(),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    NameClaimType = ShopClaims.UserId,
                    RoleClaimType = ShopClaims.Role,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ShopRoles.AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(ShopRoles.Admin));
        return builder;
    }
}
