using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The test RabbitMQ broker (<see cref="TestServers"/>). Each topology under test gets a virtual host of its own,
/// so test classes running in parallel never consume each other's messages.
/// </summary>
public static class TestBroker
{
    /// <summary>Set by <c>./shop test</c>: the broker's AMQP URI, signed in as its administrator.</summary>
    public const string BrokerVariable = "SHOP_TEST_RABBITMQ";

    /// <summary>Set by <c>./shop test</c>: the broker's management API.</summary>
    public const string ManagementVariable = "SHOP_TEST_RABBITMQ_MANAGEMENT";

    /// <summary>A new, empty virtual host; returns the AMQP URI that connects to it.</summary>
    public static async Task<string> CreateVirtualHostAsync(string purpose)
    {
        var name = $"{purpose}-{Guid.NewGuid():N}";
        using var management = Management();
        (await management.PutAsync($"api/vhosts/{name}", content: null)).EnsureSuccessStatusCode();
        (await management.PutAsJsonAsync($"api/permissions/{name}/{UserOf(TestServers.Broker)}", new { configure = ".*", write = ".*", read = ".*" }))
            .EnsureSuccessStatusCode();
        return new UriBuilder(TestServers.Broker) { Path = "/" + name }.Uri.ToString();
    }

    /// <summary>The user an AMQP URI signs in as.</summary>
    public static string UserOf(string amqpUri) => Uri.UnescapeDataString(new Uri(amqpUri).UserInfo.Split(':')[0]);

    /// <summary>A client of the broker's management API, signed in as the administrator.</summary>
    public static HttpClient Management()
    {
        var client = new HttpClient { BaseAddress = new Uri(TestServers.BrokerManagement.TrimEnd('/') + "/") };
        var userInfo = Uri.UnescapeDataString(new Uri(TestServers.Broker).UserInfo);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo)));
        return client;
    }
}
