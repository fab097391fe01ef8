using System.Net.Mail;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ShopModular.Platform.Http;
using ShopModular.Platform.Persistence;
using ShopModular.Users.Contracts;
using Wolverine.EntityFrameworkCore;

namespace ShopModular.Users;

public sealed record RegisterUserRequest(string? Email, string? Password, string? Name);

public sealed record UserResponse(Guid Id, string Email, string Name, long Points);

public static class RegisterUser
{
    public const int MaxEmailLength = 254;
    public const int MaxNameLength = 100;
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 128;

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("", Handle)
            .WithSummary("Register an account")
            .AllowAnonymous();

    public static RequestErrors Validate(RegisterUserRequest request)
    {
        var errors = new RequestErrors()
            .RequireText(request.Email, "email", MaxEmailLength)
            .RequireText(request.Password, "password", MaxPasswordLength, MinPasswordLength)
            .RequireText(request.Name, "name", MaxNameLength);
        if (!string.IsNullOrWhiteSpace(request.Email))
        {
            errors.Check(IsEmailAddress(request.Email.Trim()), "email", "email is not a valid address.");
        }

        return errors;
    }

    public static async Task<IResult> Handle(
        RegisterUserRequest request,
        IDbContextOutbox<UsersDbContext> outbox,
        IPasswordHasher<User> passwordHasher,
        IOptionsMonitor<UsersSettings> settings,
        CancellationToken cancellationToken)
    {
        var errors = Validate(request);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var email = User.NormalizeEmail(request.Email!);
        if (await outbox.DbContext.Users.AnyAsync(u => u.Email == email, cancellationToken))
        {
            return EmailTaken();
        }

        var user = new User
        {
            Id = Guid.CreateVersion7(),
            Email = email,
            Name = request.Name!.Trim(),
            PasswordHash = string.Empty,
            Points = settings.CurrentValue.InitialPoints,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        user.PasswordHash = passwordHasher.HashPassword(user, request.Password!);
        outbox.DbContext.Users.Add(user);
        await outbox.PublishAsync(new UserRegistered(user.Id, user.Email, user.Name));
        try
        {
            await outbox.SaveChangesAndFlushMessagesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsUniqueViolation())
        {
            // Two registrations of one address raced past the check above; the unique index decided.
            return EmailTaken();
        }

        return TypedResults.Created($"/api/users/{user.Id}", new UserResponse(user.Id, user.Email, user.Name, user.Points));
    }

    private static IResult EmailTaken() => Problems.Conflict("An account with this email already exists.");

    private static bool IsEmailAddress(string value) =>
        MailAddress.TryCreate(value, out var address) && address.Address == value && !value.Contains(' ', StringComparison.Ordinal);
}
