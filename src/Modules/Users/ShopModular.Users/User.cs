namespace ShopModular.Users;

public sealed class User
{
    public Guid Id { get; init; }

    /// <summary>Trimmed and lower-cased, so that one address cannot register twice in another case.</summary>
    public required string Email { get; init; }

    public required string Name { get; set; }

    public required string PasswordHash { get; set; }

    /// <summary>Balance in whole points; changed only by conditional SQL updates so it never goes below zero.</summary>
    public long Points { get; set; }

    public bool IsAdmin { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public IReadOnlyList<string> Roles => IsAdmin ? [ShopModular.ServiceDefaults.Security.ShopRoles.Admin] : [];

    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();
}
