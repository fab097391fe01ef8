using Alba;
using Wolverine;
using Wolverine.Tracking;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// Base of the HTTP specs: resets the data before each test and signs users in through the public API.
/// Every call goes through the topology's public API, so a spec runs unchanged in every topology.
/// </summary>
public abstract class ShopSpec(IShopTopology topology) : IAsyncLifetime
{
    protected static readonly TimeSpan SagaTimeout = TimeSpan.FromSeconds(60);

    protected IShopTopology Topology { get; } = topology;

    /// <summary>The public API, where a client calls it: the monolith, or the gateway of the split topology.</summary>
    protected IAlbaHost Api => Topology.Api;

    public Task InitializeAsync() => Topology.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    protected async Task<string> SignInAsync(string email, string password)
    {
        var result = await Api.Scenario(s =>
        {
            s.Post.Json(new { email, password }).ToUrl("/api/auth/token");
            s.StatusCodeShouldBe(200);
        });
        return (await result.ReadAsJsonAsync<TokenBody>())!.AccessToken;
    }

    protected Task<string> SignInAsAdminAsync() => SignInAsync(ShopHost.AdminEmail, ShopHost.AdminPassword);

    /// <summary>Registers a new account through the API and signs it in.</summary>
    protected async Task<Customer> RegisterCustomerAsync(string? email = null)
    {
        email ??= $"customer-{Guid.NewGuid():N}@shop.test";
        const string password = "customer-password";
        var result = await Api.Scenario(s =>
        {
            s.Post.Json(new { email, password, name = "Customer" }).ToUrl("/api/users");
            s.StatusCodeShouldBe(201);
        });
        var user = (await result.ReadAsJsonAsync<UserBody>())!;
        return new Customer(user.Id, email, password, await SignInAsync(email, password));
    }

    /// <summary>Runs <paramref name="action"/> and waits until every message it caused, in every module, is handled.</summary>
    protected Task<ITrackedSession> SettleAsync(Func<Task> action) => SettleAsync(_ => action(), failOnExceptions: true);

    protected Task<ITrackedSession> SettleAsync(Func<IMessageContext, Task> action, bool failOnExceptions)
    {
        var hosts = Topology.Hosts;
        var tracking = hosts[0].TrackActivity().Timeout(SagaTimeout);
        if (Topology.OverBroker)
        {
            tracking = tracking.AlsoTrack([.. hosts.Skip(1)]).IncludeExternalTransports().WaitForCondition(new EveryDeliveryHandled());
        }

        if (!failOnExceptions)
        {
            tracking = tracking.DoNotAssertOnExceptionsDetected();
        }

        return tracking.ExecuteAndWaitAsync(action);
    }

    /// <summary>Adds a product and waits until every module that keeps a copy of the catalog has it.</summary>
    protected async Task<ProductBody> AddProductAsync(string adminToken, string name, long price, int stock)
    {
        IScenarioResult? result = null;
        await SettleAsync(async () =>
            result = await Api.Scenario(s =>
            {
                s.Post.Json(new { name, price, stock }).ToUrl("/api/products");
                s.WithBearerToken(adminToken);
                s.StatusCodeShouldBe(201);
            }));
        return (await result!.ReadAsJsonAsync<ProductBody>())!;
    }

    protected async Task<ProductBody> GetProductAsync(Guid id)
    {
        var result = await Api.Scenario(s =>
        {
            s.Get.Url($"/api/products/{id}");
            s.StatusCodeShouldBe(200);
        });
        return (await result.ReadAsJsonAsync<ProductBody>())!;
    }

    protected async Task<long> PointsOfAsync(Customer customer)
    {
        var result = await Api.Scenario(s =>
        {
            s.Get.Url("/api/users/me");
            s.WithBearerToken(customer.Token);
            s.StatusCodeShouldBe(200);
        });
        return (await result.ReadAsJsonAsync<UserBody>())!.Points;
    }

    /// <summary>Sends a body exactly as given, for malformed JSON.</summary>
    protected static Task<IScenarioResult> SendRawJsonAsync(IAlbaHost host, HttpMethod method, string url, string body, int expectedStatus, string? token = null) =>
        host.Scenario(s =>
        {
            s.ConfigureHttpContext(context =>
            {
                context.Request.Method = method.Method;
                context.Request.Path = url;
                context.Request.ContentType = "application/json";
                var bytes = System.Text.Encoding.UTF8.GetBytes(body);
                context.Request.Body = new MemoryStream(bytes);
                context.Request.ContentLength = bytes.Length;
            });
            if (token is not null)
            {
                s.WithBearerToken(token);
            }

            s.StatusCodeShouldBe(expectedStatus);
        });

    protected static async Task<ProblemBody> ReadProblemAsync(IScenarioResult result)
    {
        Assert.Equal("application/problem+json", result.Context.Response.ContentType);
        return (await result.ReadAsJsonAsync<ProblemBody>())!;
    }
}

public sealed record Customer(Guid Id, string Email, string Password, string Token);

public sealed record TokenBody(string AccessToken, string TokenType, int ExpiresIn);

public sealed record UserBody(Guid Id, string Email, string Name, long Points, string[]? Roles);

public sealed record ProductBody(Guid Id, string Name, long Price, int Stock);

public sealed record ProblemBody(int Status, string? Title, string? Detail, Dictionary<string, string[]>? Errors);

public sealed record PointsBody(long Points);
