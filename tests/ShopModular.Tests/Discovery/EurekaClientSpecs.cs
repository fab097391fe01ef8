using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ShopModular.ServiceDefaults.Discovery;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Discovery;

/// <summary>
/// Our Eureka client, in a split-mode process (Products alone), against our registry running as a real process:
/// it registers, renews, registers again when forgotten, finds other services, fails over to the next registry
/// URL, and deregisters when the process stops. Registry state lives in another process, so these specs poll it
/// with a deadline.
/// </summary>
public sealed class EurekaClientSpecs(RegistryProcess registry) : IClassFixture<RegistryProcess>
{
    private const string InstanceId = "127.0.0.1:products:5082";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task a_split_process_registers_with_the_genuine_fields_and_leaves_on_shutdown()
    {
        await using (var products = await StartProductsAsync(registry.ServiceUrl))
        {
            var instance = await ExpectAsync(() => registry.InstanceAsync("PRODUCTS", InstanceId));

            Assert.Equal("UP", instance["status"]!.GetValue<string>());
            Assert.Equal(5082, instance["port"]!["$"]!.GetValue<long>());
            Assert.Equal("http://127.0.0.1:5082/health/ready", instance["healthCheckUrl"]!.GetValue<string>());
            Assert.Equal("5082", instance["metadata"]!["prometheus.port"]!.GetValue<string>());
            Assert.Equal("/metrics", instance["metadata"]!["prometheus.path"]!.GetValue<string>());
        }

        Assert.Null(await registry.InstanceAsync("PRODUCTS", InstanceId));
    }

    [Fact]
    public async Task with_prefer_ip_address_it_registers_its_address_as_host_name()
    {
        await using var products = await StartProductsAsync(registry.ServiceUrl, builder =>
        {
            builder.UseSetting("eureka:instance:preferIpAddress", "true");
            builder.UseSetting("eureka:instance:ipAddress", "127.0.0.2");
        });

        var instance = await ExpectAsync(() => registry.InstanceAsync("PRODUCTS", "127.0.0.2:products:5082"));

        Assert.Equal("127.0.0.2", instance["hostName"]!.GetValue<string>());
        Assert.Equal("127.0.0.2", instance["ipAddr"]!.GetValue<string>());
        Assert.Equal("http://127.0.0.2:5082/", instance["homePageUrl"]!.GetValue<string>());
    }

    [Fact]
    public async Task registers_again_when_the_registry_forgets_it_and_renews_its_lease()
    {
        await using var products = await StartProductsAsync(registry.ServiceUrl);
        await ExpectAsync(() => registry.InstanceAsync("PRODUCTS", InstanceId));

        // As after a registry restart: the next heartbeat gets 404, and the client registers again.
        await registry.Client.DeleteAsync($"/eureka/apps/PRODUCTS/{InstanceId}");
        var again = await ExpectAsync(() => registry.InstanceAsync("PRODUCTS", InstanceId));
        var renewed = await ExpectAsync(async () =>
            await registry.InstanceAsync("PRODUCTS", InstanceId) is { } now
            && now["leaseInfo"]!["lastRenewalTimestamp"]!.GetValue<long>() > again["leaseInfo"]!["lastRenewalTimestamp"]!.GetValue<long>()
                ? now
                : null);

        Assert.Equal("UP", renewed["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task taken_out_of_service_by_an_operator_and_back_it_registers_again_as_up()
    {
        await using var products = await StartProductsAsync(registry.ServiceUrl);
        await ExpectAsync(() => registry.InstanceAsync("PRODUCTS", InstanceId));

        (await registry.Client.PutAsync($"/eureka/apps/PRODUCTS/{InstanceId}/status?value=OUT_OF_SERVICE", null)).EnsureSuccessStatusCode();
        Assert.Equal("OUT_OF_SERVICE", (await registry.InstanceAsync("PRODUCTS", InstanceId))!["status"]!.GetValue<string>());
        (await registry.Client.DeleteAsync($"/eureka/apps/PRODUCTS/{InstanceId}/status")).EnsureSuccessStatusCode();

        // The override gone, its status is UNKNOWN: the next heartbeat gets 404 and the client registers again, UP.
        await ExpectAsync(async () =>
            await registry.InstanceAsync("PRODUCTS", InstanceId) is { } instance && instance["status"]!.GetValue<string>() == "UP" ? instance : null);
    }

    [Fact]
    public async Task finds_the_up_instances_of_another_service_and_notices_when_they_leave()
    {
        await using var products = await StartProductsAsync(registry.ServiceUrl);
        var discovery = products.Services.GetRequiredService<EurekaClient>();

        await registry.RegisterAsync("ORDERS", 5081, "UP");
        await registry.RegisterAsync("ORDERS", 5091, "DOWN");
        var found = await ExpectAsync(() => Task.FromResult(discovery.UpInstances("orders") is { Count: > 0 } up ? up : null));
        await registry.Client.DeleteAsync("/eureka/apps/ORDERS/127.0.0.1:orders:5081");
        await ExpectAsync(() => Task.FromResult(discovery.UpInstances("orders") is { Count: 0 } none ? none : null));

        Assert.Equal([new ServiceInstance("127.0.0.1:orders:5081", "UP", new Uri("http://127.0.0.1:5081/"))], found);
    }

    [Fact]
    public async Task fails_over_to_the_next_registry_when_the_first_does_not_answer()
    {
        var nobody = $"http://127.0.0.1:{Repository.FreePort()}/eureka/";

        await using var products = await StartProductsAsync($"{nobody},{registry.ServiceUrl}");

        Assert.Equal("UP", (await ExpectAsync(() => registry.InstanceAsync("PRODUCTS", InstanceId)))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task sends_the_credentials_of_the_registry_urls_userinfo_with_every_call()
    {
        await using var stub = await StubRegistry.StartAsync();

        // Percent-encoded in the URL, as a password with ':' or '@' must be; sent decoded, as Basic wants.
        await using var products = await StartProductsAsync(stub.ServiceUrl("shop%40dev:p%3Ass%20word"));
        await Eventually.UntilAsync(() => Task.FromResult(stub.Authorizations.Count >= 4), Timeout, () => "The client called the registry too few times.");

        var expected = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("shop@dev:p:ss word"));
        Assert.All(stub.Authorizations, header => Assert.Equal(expected, header));
    }

    private static async Task<IAlbaHost> StartProductsAsync(string serviceUrls, Action<IWebHostBuilder>? configure = null) =>
        await ShopHost.StartAsync(await TestDatabase.CreateAsync("discovery"), "products", builder =>
        {
            builder.UseSetting("eureka:client:enabled", "true");
            builder.UseSetting("eureka:client:serviceUrl:defaultZone", serviceUrls);
            builder.UseSetting("eureka:client:registryFetchIntervalSeconds", "1");
            builder.UseSetting("eureka:instance:hostName", "127.0.0.1");
            builder.UseSetting("eureka:instance:port", "5082");
            builder.UseSetting("eureka:instance:leaseRenewalIntervalInSeconds", "1");
            configure?.Invoke(builder);
        });

    private static Task<T> ExpectAsync<T>(Func<Task<T?>> probe)
        where T : class =>
        Eventually.ValueAsync(probe, Timeout, "The registry never showed what was expected.");
}
