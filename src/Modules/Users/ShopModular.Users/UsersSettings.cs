namespace ShopModular.Users;

/// <summary>Settings under <c>Shop:Users</c> and <c>Shop:Admin</c>.</summary>
public sealed class UsersSettings
{
    public const string Section = "Shop:Users";

    /// <summary>Points a new account starts with.</summary>
    public long InitialPoints { get; set; } = 10_000;
}

public sealed class AdminSettings
{
    public const string Section = "Shop:Admin";

    /// <summary>Outside Development: a shorter administrator password is too easily guessed.</summary>
    public const int MinPasswordLength = 12;

    public string Email { get; set; } = "admin@shopmodular.local";

    /// <summary>No default outside Development: the host refuses to start without one.</summary>
    public string? Password { get; set; }

    public string Name { get; set; } = "Administrator";
}
