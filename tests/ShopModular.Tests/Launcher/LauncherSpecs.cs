using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Launcher;

/// <summary>
/// <c>./shop run</c> (the monolith, and split once) as an operator meets it: the README's first order right after the banner, a stop
/// that leaves nothing behind, a second run that says the first one is there, and options it does not know. Each spec
/// starts its own run in its own state folder; they wait generously and assert what is left, not how long it took.
/// </summary>
public sealed class LauncherSpecs
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task the_readme_first_order_completes_right_after_the_banner_and_sigterm_twice_stops_everything_it_started()
    {
        await using var run = ShopRun.InNewState();
        await run.StartAsync();

        var walkthrough = await ReadmeWalkthrough.RunAsync(run.Url);
        Assert.True(walkthrough.ExitCode == 0, $"The README's walk-through failed ({walkthrough.ExitCode}):\n{walkthrough.Output}\n{walkthrough.Error}");
        Assert.Equal("Completed", walkthrough.Order.GetProperty("status").GetString());

        var tracked = run.TrackedProcesses();
        Assert.True(tracked.Count >= 4, $"Expected the app host, its orchestrator, the host and PostgreSQL in the pid files, found {string.Join(", ", tracked)}");
        var listeners = (await SocketTable.ListenersAsync()).Where(listener => listener.Pids.Intersect(tracked).Any()).ToList();
        Assert.Contains(listeners, listener => listener.Port == run.Port);
        Assert.All(listeners, listener => Assert.True(listener.IsLoopback, $"{listener} is not on loopback"));

        await run.SignalAsync("TERM");
        // An impatient operator's second Ctrl-C, while the app host stops its processes: it must not cut that short.
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        if (!run.Process.HasExited)
        {
            await run.SignalAsync("TERM");
        }

        await run.ExitCodeAsync();

        await Eventually.UntilAsync(
            async () => !tracked.Any(ShopRun.IsAlive) && !await ShopRun.ListensAsync(run.Port) && !await ShopRun.ListensAsync(run.PostgresPort),
            StopTimeout,
            () => $"Still running after the app host ended: {string.Join(", ", tracked.Where(ShopRun.IsAlive))}\n{run.Output}");
        Assert.Empty(run.TrackedProcesses());
    }

    [Fact]
    public async Task sigterm_to_a_split_run_with_orders_in_flight_stops_every_process_it_started_and_the_orders_end_after_the_next_start()
    {
        await using var run = ShopRun.SplitInNewState();
        await run.StartAsync("--split");
        var walkthrough = await ReadmeWalkthrough.RunAsync(run.Url);
        Assert.True(walkthrough.ExitCode == 0, $"The README's walk-through failed ({walkthrough.ExitCode}):\n{walkthrough.Output}\n{walkthrough.Error}");
        // The dashboard whose address the banner printed shows the walk-through's order as one trace across the processes.
        using var dashboard = await DashboardTelemetry.SignInAsync(run.Output);
        await dashboard.TraceOfAsync("POST", "/api/orders", ["gateway", "orders", "products", "users"]);

        using var api = new HttpClient { BaseAddress = new Uri(run.Url) };
        // Ada, signed up by the walk-through, orders the rest of the mugs and more, right up to the stop.
        var ada = await SendAsync(api, HttpMethod.Post, "/api/auth/token", token: null, new { email = "ada@example.org", password = "correct-horse" });
        var token = ada.GetProperty("accessToken").GetString();
        var mug = walkthrough.Order.GetProperty("items")[0].GetProperty("productId").GetGuid();
        var inFlight = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
            (await SendAsync(api, HttpMethod.Post, "/api/orders", token, new { items = new[] { new { productId = mug, quantity = 1 } } })).GetProperty("id").GetGuid()));
        var tracked = run.TrackedProcesses();
        Assert.True(tracked.Count >= 10, $"Expected the app host, its orchestrator, PostgreSQL, epmd, the broker, the registry, the config server, three modules and the gateway, found {string.Join(", ", tracked)}");
        var ports = run.OtherPorts.Values.Append(run.Port).Append(run.PostgresPort).ToList();
        Assert.All((await SocketTable.ListenersAsync()).Where(listener => listener.Pids.Intersect(tracked).Any()),
            listener => Assert.True(listener.IsLoopback, $"{listener} is not on loopback"));

        await run.SignalAsync("TERM");
        await run.ExitCodeAsync();

        await Eventually.UntilAsync(
            async () => !tracked.Any(ShopRun.IsAlive) && !(await SocketTable.ListenersAsync()).Any(listener => ports.Contains(listener.Port)),
            StopTimeout,
            () => $"Still running after the app host ended: {string.Join(", ", tracked.Where(ShopRun.IsAlive))}\n{run.Output}");
        Assert.Empty(run.TrackedProcesses());

        // What was in flight stayed in the durable stores: every order ends once the topology runs again.
        await using var next = run.Again();
        await next.StartAsync("--split");
        var statuses = new List<string?>();
        await Eventually.UntilAsync(
            async () =>
            {
                statuses = [];
                foreach (var order in inFlight)
                {
                    using var answer = await api.SendAsync(Request(HttpMethod.Get, $"/api/orders/{order}", token, body: null));
                    statuses.Add(answer.IsSuccessStatusCode ? (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString() : null);
                }

                return statuses.All(status => status is "Completed" or "Cancelled");
            },
            StopTimeout,
            () => $"Orders in flight at the stop have not ended after the next start: {string.Join(", ", statuses)}\n{next.Output}");
        // Each completed order took its mug and its points once (ten mugs at 1500, two sold by the walk-through; Ada's
        // points run out first), and a cancelled one gave back whatever it had taken.
        var completed = statuses.Count(status => status == "Completed");
        Assert.InRange(completed, 1, 8);
        var product = await SendAsync(api, HttpMethod.Get, $"/api/products/{mug}", token: null, body: null);
        Assert.Equal(8 - completed, product.GetProperty("stock").GetInt32());
        var me = await SendAsync(api, HttpMethod.Get, "/api/users/me", token, body: null);
        Assert.Equal(ShopHost.InitialPoints - (1500 * (2 + completed)), me.GetProperty("points").GetInt64());
    }

    private static HttpRequestMessage Request(HttpMethod method, string url, string? token, object? body)
    {
        var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    private static async Task<JsonElement> SendAsync(HttpClient api, HttpMethod method, string url, string? token, object? body)
    {
        using var request = Request(method, url, token, body);
        using var answer = await api.SendAsync(request);
        Assert.True(answer.IsSuccessStatusCode, $"{method} {url}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        return await answer.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task a_second_run_on_the_same_state_says_the_first_one_runs_and_exits_non_zero_without_a_banner()
    {
        await using var first = ShopRun.InNewState();
        await first.StartAsync();

        await using var second = first.Again();
        second.Start();

        Assert.NotEqual(0, await second.ExitCodeAsync());
        Assert.Contains("already running", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(ShopRun.Banner, second.Output, StringComparison.Ordinal);
        Assert.False(first.Process.HasExited, "The first run must keep running");
        using var client = new HttpClient { BaseAddress = new Uri(first.Url) };
        Assert.True(await Eventually.AnswersAsync(client, "/health/ready"), "The first run must still serve");
    }

    [Fact]
    public async Task a_run_whose_app_host_was_killed_leaves_state_the_next_run_takes_over_and_stops()
    {
        await using var first = ShopRun.InNewState();
        await first.StartAsync();
        var left = first.TrackedProcesses().Where(pid => pid != first.Process.Id).ToList();
        await first.SignalAsync("KILL");
        await first.ExitCodeAsync();
        try
        {
            await using var next = first.Again();
            await next.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(next.Url) };
            Assert.True(await Eventually.AnswersAsync(client, "/health/ready"), $"The next run must serve:\n{next.Output}");

            await next.SignalAsync("TERM");
            await next.ExitCodeAsync();
            await Eventually.UntilAsync(
                async () => !left.Any(ShopRun.IsAlive) && !await ShopRun.ListensAsync(next.Port) && !await ShopRun.ListensAsync(next.PostgresPort),
                StopTimeout,
                () => $"Left running: {string.Join(", ", left.Where(ShopRun.IsAlive))}\n{next.Output}");
        }
        finally
        {
            // Whatever happened above, nothing the killed app host started outlives the spec.
            foreach (var pid in left.Where(ShopRun.IsAlive))
            {
                try
                {
                    await SocketTable.RunAsync("kill", "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                catch (InvalidOperationException)
                {
                    // gone meanwhile
                }
            }
        }
    }

    [Theory]
    [InlineData("run", "--spilt")]
    [InlineData("run", "--split", "--no-biuld")]
    [InlineData("bench", "--orders")]
    [InlineData("bench", "--orders", "--split")]
    public async Task an_unknown_option_or_a_missing_value_is_an_error_that_starts_nothing(params string[] arguments)
    {
        await using var run = ShopRun.InNewState();
        using var shop = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(Repository.Root(), "shop"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["SHOP_STATE_DIR"] = run.StateDirectory, ["SHOP_PORT"] = run.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        })!;
        var error = await shop.StandardError.ReadToEndAsync();
        await shop.WaitForExitAsync();

        Assert.Equal(2, shop.ExitCode);
        Assert.Contains("error:", error, StringComparison.Ordinal);
        Assert.Contains(arguments[^1] == "--split" ? "--orders" : arguments[^1], error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(run.StateDirectory, "run.pid")), "Nothing may have been started");
    }
}
