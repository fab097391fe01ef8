using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ShopModular.Platform.Persistence;

namespace ShopModular.Users;

/// <summary>Creates the administrator from configuration at start-up, once: an existing account is left as it is.</summary>
public sealed class AdminAccount(
    IServiceScopeFactory scopes,
    AdminSettings settings,
    IOptionsMonitor<UsersSettings> users,
    IPasswordHasher<User> passwordHasher,
    ILogger<AdminAccount> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<UsersDbContext>();
        await EnsureExistsAsync(db, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task EnsureExistsAsync(UsersDbContext db, CancellationToken cancellationToken)
    {
        var email = User.NormalizeEmail(settings.Email);
        if (await db.Users.AnyAsync(u => u.Email == email, cancellationToken))
        {
            return;
        }

        var admin = new User
        {
            Id = Guid.CreateVersion7(),
            Email = email,
            Name = settings.Name,
            PasswordHash = string.Empty,
            Points = users.CurrentValue.InitialPoints,
            IsAdmin = true,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        admin.PasswordHash = passwordHasher.HashPassword(admin, settings.Password!);
        db.Users.Add(admin);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Created the administrator account {Email}", email);
        }
        catch (DbUpdateException exception) when (exception.IsUniqueViolation())
        {
            // Another instance created it at the same moment.
        }
    }
}
