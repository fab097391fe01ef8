using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;

namespace ShopModular.Users;

/// <summary>
/// A sign-in for an email no account has is checked against a password hash all the same, made once by the same
/// hasher with the same parameters: it costs what a wrong password for a real account costs, so the time of the
/// answer does not tell whether the account exists (it did: about 4 ms against 99 ms).
/// </summary>
public sealed class UnknownAccount
{
    private static readonly User Nobody = new() { Email = string.Empty, Name = string.Empty, PasswordHash = string.Empty };

    private readonly IPasswordHasher<User> _passwordHasher;
    private readonly string _hash;

    public UnknownAccount(IPasswordHasher<User> passwordHasher)
    {
        _passwordHasher = passwordHasher;
        // A password nobody knows: the check below always fails, after the same work as a real one.
        _hash = passwordHasher.HashPassword(Nobody, RandomNumberGenerator.GetHexString(32));
    }

    /// <summary>Spends on <paramref name="password"/> what checking a real account's would; never a match.</summary>
    public void CheckPassword(string password) => _passwordHasher.VerifyHashedPassword(Nobody, _hash, password);
}
