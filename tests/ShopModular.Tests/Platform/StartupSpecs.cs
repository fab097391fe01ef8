using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Platform;

/// <summary>Outside Development there are no default secrets: the host refuses to start without them.</summary>
public sealed class StartupSpecs
{
    [Theory]
    [InlineData("Shop:Jwt:SigningKey", "SigningKey")]
    [InlineData("Shop:Admin:Password", "administrator password")]
    public async Task refuses_to_start_in_production_without_a_secret(string missingKey, string message)
    {
        var connectionString = await TestDatabase.CreateAsync("startup");

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var host = await ShopHost.StartAsync(connectionString, modules: null, builder =>
            {
                builder.UseEnvironment("Production");
                builder.UseSetting(missingKey, string.Empty);
            });
        });

        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task refuses_a_signing_key_shorter_than_32_bytes()
    {
        var connectionString = await TestDatabase.CreateAsync("startup");

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var host = await ShopHost.StartAsync(connectionString, modules: null,
                builder => builder.UseSetting("Shop:Jwt:SigningKey", "too-short"));
        });

        Assert.Contains("at least 32 bytes", failure.Message, StringComparison.Ordinal);
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

    private static async Task<InvalidOperationException> StartupFailureAsync(string modules, string key, string value)
    {
        var connectionString = await TestDatabase.CreateAsync("startup");
        return await Assert.ThrowsAnyAsync<InvalidOperationException>(async () =>
        {
            await using var host = await ShopHost.StartAsync(connectionString, modules, builder => builder.UseSetting(key, value));
        });
    }
}
