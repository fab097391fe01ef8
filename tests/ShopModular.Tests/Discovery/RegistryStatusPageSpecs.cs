using System.Net;
using System.Text.RegularExpressions;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Discovery;

/// <summary>
/// The development registry's page at <c>/</c>, as the genuine Eureka server has one: a person sees every application
/// and instance, its status, when it last renewed its lease and its metadata, on the registry process as
/// <c>./shop run --split</c> starts it.
/// </summary>
public sealed class RegistryStatusPageSpecs(RegistryProcess registry) : IClassFixture<RegistryProcess>
{
    [Fact]
    public async Task lists_every_instance_with_its_status_lease_age_and_metadata()
    {
        var orders = await registry.RegisterAsync("pageorders", 5101);
        var products = await registry.RegisterAsync("pageproducts", 5102);
        await SucceedsAsync(registry.Client.PutAsync($"/eureka/apps/PAGEPRODUCTS/{products}/status?value=OUT_OF_SERVICE", content: null));
        await SucceedsAsync(registry.Client.PutAsync($"/eureka/apps/PAGEORDERS/{orders}/metadata?prometheus.port=9101&zone=local", content: null));

        var (response, page) = await GetPageAsync(registry.AnonymousClient());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Matches(RowOf(orders, "UP", "127.0.0.1:5101"), page);
        Assert.Matches(RowOf(products, "OUT_OF_SERVICE", "127.0.0.1:5102"), page);
        Assert.Contains("<li>prometheus.port = 9101</li>", page, StringComparison.Ordinal);
        Assert.Contains("<li>zone = local</li>", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task shows_what_a_client_sent_as_text_never_as_markup()
    {
        var id = await registry.RegisterAsync("pagehostile", 5103);
        const string Script = "<script>alert('registry')</script>";
        await SucceedsAsync(registry.Client.PutAsync(
            $"/eureka/apps/PAGEHOSTILE/{id}/metadata?note={Uri.EscapeDataString(Script)}", content: null));

        var (response, page) = await GetPageAsync(registry.AnonymousClient());

        Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<li>note = &lt;script&gt;alert(&#39;registry&#39;)&lt;/script&gt;</li>", page, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task says_so_when_no_instance_is_registered()
    {
        var empty = new RegistryProcess();
        await empty.InitializeAsync();
        try
        {
            var (response, page) = await GetPageAsync(empty.AnonymousClient());

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("<p>No instances registered.</p>", page, StringComparison.Ordinal);
            Assert.Contains("<tr><th>Instances</th><td>0</td></tr>", page, StringComparison.Ordinal);
        }
        finally
        {
            await empty.DisposeAsync();
        }
    }

    /// <summary>
    /// The instance's row: its id, its status, its address, and its last renewal a few seconds ago, well within its
    /// lease (RegistryProcess registers with the default 90 s).
    /// </summary>
    private static Regex RowOf(string instanceId, string status, string address) => new(
        $"<td>{Regex.Escape(instanceId)}</td><td class=\"{status}\">{status}[^<]*</td><td>{Regex.Escape(address)}</td><td>\\d{{1,2}} s ago, lease 1 min 30 s</td>");

    private static async Task<(HttpResponseMessage Response, string Page)> GetPageAsync(HttpClient client)
    {
        using (client)
        {
            client.DefaultRequestHeaders.Accept.Clear();
            client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
            var response = await client.GetAsync("/");
            return (response, await response.Content.ReadAsStringAsync());
        }
    }

    private static async Task SucceedsAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        response.EnsureSuccessStatusCode();
    }
}
