using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ShopModular.ServiceDefaults.Discovery;

namespace ShopModular.ServiceDefaults.Configuration;

/// <summary>
/// Discovery-first: the config servers are the UP instances of <c>spring:cloud:config:discovery:serviceId</c> in
/// the Eureka registry (<c>eureka:client:serviceUrl:defaultZone</c>), each at its address plus its metadata
/// <c>configPath</c>, with the Basic credentials of its metadata <c>user</c> (default <c>user</c>) and
/// <c>password</c>, as Steeltoe reads them. It uses the platform's Eureka client, only to read: this process
/// registers later, once its host runs.
/// </summary>
internal sealed class ConfigServerDiscovery : IDisposable
{
    private readonly HttpClient _http;
    private readonly EurekaClient _registry;
    private readonly string _serviceId;

    public ConfigServerDiscovery(EurekaClientSettings registry, string serviceId)
    {
        _serviceId = serviceId;
        Registries = string.Join(", ", registry.ServerUrls);
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        _registry = new EurekaClient(new SingleHttpClient(_http), Options.Create(registry), TimeProvider.System, NullLogger<EurekaClient>.Instance);
    }

    /// <summary>The registries asked, for messages (without credentials).</summary>
    public string Registries { get; }

    public async Task<IReadOnlyList<ConfigServerAddress>> FindAsync(CancellationToken cancellationToken)
    {
        await _registry.FetchRegistryAsync(cancellationToken);
        return [.. _registry.UpInstances(_serviceId).Select(ToAddress)];
    }

    private static ConfigServerAddress ToAddress(ServiceInstance instance)
    {
        var url = instance.BaseAddress;
        if (instance.Metadata.TryGetValue("configPath", out var path) && !string.IsNullOrEmpty(path))
        {
            url = new Uri(url, url.AbsolutePath.TrimEnd('/') + "/" + path.TrimStart('/'));
        }

        var password = instance.Metadata.GetValueOrDefault("password");
        return new ConfigServerAddress(url, ConfigServerAddress.Basic(instance.Metadata.GetValueOrDefault("user") ?? "user", password));
    }

    public void Dispose() => _http.Dispose();

    private sealed class SingleHttpClient(HttpClient http) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => http;
    }
}
