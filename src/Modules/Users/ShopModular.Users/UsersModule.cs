using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ShopModular.Platform.Hosting;
using ShopModular.Platform.Http;
using ShopModular.Platform.Messaging;
using ShopModular.Platform.Persistence;
using ShopModular.ServiceDefaults.Configuration;
using ShopModular.ServiceDefaults.Security;

namespace ShopModular.Users;

/// <summary>Accounts, tokens and points. Schema <c>users</c>, routes under /api/users and /api/auth.</summary>
public static class UsersModule
{
    public const string Name = "users";

    /// <summary>Where the accounts' routes are.</summary>
    public const string RoutePrefix = "/api/users";

    /// <summary>Where signing in is: apart from the accounts, since it is open to anyone.</summary>
    public const string SignInRoutePrefix = "/api/auth";

    private const string Tag = "Accounts";

    public static ShopModule Definition { get; } = new(Name, typeof(UsersModule).Assembly, AddUsersModule, MapUsersEndpoints, [RoutePrefix, SignInRoutePrefix]);

    public static void AddUsersModule(WebApplicationBuilder builder)
    {
        // Checked when the host starts, so that it refuses to run without one (Development has its own).
        var environment = builder.Environment;
        builder.Services.AddOptions<AdminSettings>()
            .Bind(builder.Configuration.GetSection(AdminSettings.Section))
            .Validate(admin => !string.IsNullOrWhiteSpace(admin.Password),
                $"No administrator password: set {AdminSettings.Section}:Password, for example Shop__Admin__Password=...")
            .Validate(admin => environment.IsDevelopment() || admin.Password is null || admin.Password.Length >= AdminSettings.MinPasswordLength,
                $"The administrator password ({AdminSettings.Section}:Password) is too weak: outside Development it needs at least {AdminSettings.MinPasswordLength} characters.")
            .Validate(admin => environment.IsDevelopment() || admin.Password is null || !CommittedSecrets.Of(environment).Contains(admin.Password),
                $"The administrator password ({AdminSettings.Section}:Password) is one committed in this repository's appsettings files, which anyone can read: outside Development choose your own.")
            .ValidateOnStart();
        // Users is the one module that signs users in, so its process is the only one that holds the private key.
        builder.AddShopTokenIssuer();
        builder.Services.AddSingleton(services => services.GetRequiredService<IOptions<AdminSettings>>().Value);
        var users = builder.Configuration.GetSection(UsersSettings.Section).Get<UsersSettings>() ?? new UsersSettings();
        users.Login.ThrowIfInvalid();
        // The sign-in throttle keeps the settings it started with; the initial points follow a live change.
        builder.Services.AddSingleton(users);
        builder.Services.AddLiveOptions<UsersSettings>(builder.Configuration.GetSection(UsersSettings.Section))
            .Validate(settings => settings.InitialPoints >= 0, $"{UsersSettings.Section}:InitialPoints must not be negative.");
        builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        builder.Services.AddSingleton<UnknownAccount>();
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddModuleDbContext<UsersDbContext>(builder.Configuration, UsersDbContext.Schema);
        builder.Services.AddSingleton<AdminAccount>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AdminAccount>());
    }

    public static void MapUsersEndpoints(IEndpointRouteBuilder routes)
    {
        // A signed-in caller, except for registering.
        var accounts = routes.MapModuleGroup(RoutePrefix).WithTags(Tag).RequireAuthorization();
        RegisterUser.Map(accounts);
        GetCurrentUser.Map(accounts);
        TopUpPoints.Map(accounts);
        IssueToken.Map(routes.MapModuleGroup(SignInRoutePrefix).WithTags(Tag).AllowAnonymous());
        routes.MapDeadLetters(Name);
    }
}
