using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using ShopModular.ServiceDefaults.Security;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The specs' own token key pair, made once per test run (never one committed in the repository): the private key for
/// the hosts that run Users, the public key for every other host and the gateway.
/// </summary>
public static class TestKeys
{
    private static readonly ECDsa Pair = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static string PrivateKeyPem { get; } = Pair.ExportPkcs8PrivateKeyPem();

    public static string PublicKeyPem { get; } = Pair.ExportSubjectPublicKeyInfoPem();

    /// <summary>A token every host under test accepts, as Users would issue it.</summary>
    public static string TokenFor(Guid userId, string email, params string[] roles) => SignedWith(PrivateKeyPem, userId, email, roles);

    /// <summary>A token as Users issues them, but signed with <paramref name="privateKeyPem"/>.</summary>
    public static string SignedWith(string privateKeyPem, Guid userId, string email, params string[] roles) =>
        new TokenIssuer(new JwtSettings { PrivateKey = privateKeyPem }, TimeProvider.System).Issue(userId, email, roles).AccessToken;

    /// <summary>The development key pair committed in the host's appsettings.Development.json.</summary>
    public static IConfiguration DevelopmentSettings() =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Repository.Root(), "src", "Host", "ShopModular.Host", "appsettings.Development.json"))
            .Build();
}
