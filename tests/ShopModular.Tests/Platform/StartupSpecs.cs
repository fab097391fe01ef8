using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ShopModular.ServiceDefaults.Security;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Platform;

/// <summary>Outside Development there are no default secrets: the host refuses to start without them, or with known or weak ones.</summary>
public sealed class StartupSpecs
{
    [Theory]
    [InlineData("Shop:Jwt:PrivateKey", "No token signing key")]
    [InlineData("Shop:Admin:Password", "administrator password")]
    public async Task refuses_to_start_in_production_without_a_secret(string missingKey, string message)
    {
        var failure = await ProductionStartupFailureAsync(modules: null, (missingKey, string.Empty));

        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_process_without_users_refuses_to_start_without_the_public_key()
    {
        var failure = await ProductionStartupFailureAsync("orders", ("Shop:Jwt:PublicKey", string.Empty));

        Assert.Contains("No token validation key", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Shop:Jwt:PublicKey")]
    [InlineData("Shop:Jwt:PrivateKey")]
    public async Task refuses_a_key_that_is_not_a_p256_pem(string key)
    {
        var failure = await ProductionStartupFailureAsync(modules: null, (key, "too-short"));

        Assert.Contains("P-256", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task refuses_a_public_key_that_does_not_pair_with_the_private_key()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var failure = await ProductionStartupFailureAsync(modules: null, ("Shop:Jwt:PublicKey", other.ExportSubjectPublicKeyInfoPem()));

        Assert.Contains("not the public half", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task refuses_in_production_the_development_key_pair_committed_in_the_repository()
    {
        var development = TestKeys.DevelopmentSettings();

        var failure = await ProductionStartupFailureAsync(modules: null,
            ("Shop:Jwt:PrivateKey", development["Shop:Jwt:PrivateKey"]!), ("Shop:Jwt:PublicKey", development["Shop:Jwt:PublicKey"]!));

        Assert.Contains("committed in this repository", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task refuses_in_production_the_development_public_key_however_it_is_formatted()
    {
        // The same key with Windows line ends and no final line end: compared as a key, not as text.
        var publicKey = TestKeys.DevelopmentSettings()["Shop:Jwt:PublicKey"]!.Trim().ReplaceLineEndings("\r\n");

        var failure = await ProductionStartupFailureAsync("orders", ("Shop:Jwt:PublicKey", publicKey));

        Assert.Contains("committed in this repository", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("admin-dev-password", "committed in this repository")]
    [InlineData("a", "too weak")]
    [InlineData("elevenchars", "too weak")]
    public async Task refuses_in_production_a_known_or_weak_administrator_password(string password, string message)
    {
        var failure = await ProductionStartupFailureAsync(modules: null, ("Shop:Admin:Password", password));

        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_process_without_users_cannot_issue_tokens()
    {
        var connectionString = await TestDatabase.CreateAsync("startup");

        await using var host = await ShopHost.StartAsync(connectionString, "orders", builder => builder.UseEnvironment("Production"));

        Assert.Null(host.Services.GetService<TokenIssuer>());
        Assert.Equal(string.Empty, host.Services.GetRequiredService<IConfiguration>()["Shop:Jwt:PrivateKey"]);
    }

    [Theory]
    [InlineData("Shop:Users:Login:MaxFailures", "0")]
    [InlineData("Shop:Users:Login:Window", "00:00:00")]
    [InlineData("Shop:Users:Login:TrustedProxies", "gateway")]
    public async Task refuses_sign_in_throttle_settings_it_cannot_work_with(string key, string value)
    {
        var failure = await StartupFailureAsync(modules: null, key, value);

        Assert.Contains("Shop:Users:Login", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:05:00")]
    [InlineData("five minutes")]
    public async Task refuses_a_saga_timeout_that_is_not_a_positive_duration(string value)
    {
        var failure = await StartupFailureAsync(modules: null, "Shop:Orders:SagaTimeout", value);

        Assert.Contains("Shop:Orders:SagaTimeout", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task refuses_an_unknown_module_name()
    {
        var connectionString = await TestDatabase.CreateAsync("startup");

        var failure = await Assert.ThrowsAnyAsync<InvalidOperationException>(async () =>
        {
            await using var host = await ShopHost.StartAsync(connectionString, modules: "Products,Payments");
        });

        Assert.Contains("Payments", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task refuses_local_queues_for_a_process_that_hosts_only_some_modules()
    {
        var failure = await StartupFailureAsync("orders", "Shop:Messaging:Transport", "Local");

        Assert.Contains("would never receive its messages", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_process_that_hosts_only_some_modules_asks_for_the_broker()
    {
        var failure = await StartupFailureAsync("orders", "ConnectionStrings:RabbitMq", string.Empty);

        Assert.Contains("ConnectionStrings:RabbitMq", failure.Message, StringComparison.Ordinal);
    }

    private static async Task<OptionsValidationException> ProductionStartupFailureAsync(string? modules, params (string Key, string Value)[] settings)
    {
        var connectionString = await TestDatabase.CreateAsync("startup");
        return await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var host = await ShopHost.StartAsync(connectionString, modules, builder =>
            {
                builder.UseEnvironment("Production");
                foreach (var (key, value) in settings)
                {
                    builder.UseSetting(key, value);
                }
            });
        });
    }

    private static async Task<InvalidOperationException> StartupFailureAsync(string? modules, string key, string value)
    {
        var connectionString = await TestDatabase.CreateAsync("startup");
        return await Assert.ThrowsAnyAsync<InvalidOperationException>(async () =>
        {
            await using var host = await ShopHost.StartAsync(connectionString, modules, builder => builder.UseSetting(key, value));
        });
    }
}
