using ShopModular.Users;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Users;

public sealed class UsersSpecs(ShopHost monolith) : ShopSpec(monolith), IClassFixture<ShopHost>
{
    [Fact]
    public async Task registers_an_account_with_the_initial_points()
    {
        var result = await Api.Scenario(s =>
        {
            s.Post.Json(new { email = "Ada@Example.org ", password = "correct-horse", name = "Ada" }).ToUrl("/api/users");
            s.StatusCodeShouldBe(201);
        });

        var user = (await result.ReadAsJsonAsync<UserBody>())!;
        Assert.Equal("ada@example.org", user.Email);
        Assert.Equal("Ada", user.Name);
        Assert.Equal(ShopHost.InitialPoints, user.Points);
        Assert.Equal($"/api/users/{user.Id}", result.Context.Response.Headers.Location.ToString());
    }

    [Fact]
    public async Task rejects_an_email_that_is_already_taken_in_any_case()
    {
        await RegisterCustomerAsync("taken@example.org");

        var result = await Api.Scenario(s =>
        {
            s.Post.Json(new { email = "TAKEN@example.org", password = "another-password", name = "Other" }).ToUrl("/api/users");
            s.StatusCodeShouldBe(409);
        });

        Assert.Equal(409, (await ReadProblemAsync(result)).Status);
    }

    public static TheoryData<string, string> InvalidRegistrations => new()
    {
        { """{"password":"long-enough","name":"No email"}""", "email" },
        { """{"email":"not-an-email","password":"long-enough","name":"Bad email"}""", "email" },
        { """{"email":"short@example.org","password":"short","name":"Short password"}""", "password" },
        { """{"email":"noname@example.org","password":"long-enough"}""", "name" },
        { """{"email":"blank@example.org","password":"long-enough","name":"   "}""", "name" },
        { $$"""{"email":"long@example.org","password":"long-enough","name":"{{new string('n', 101)}}"}""", "name" },
        { $$"""{"email":"{{new string('e', 250)}}@example.org","password":"long-enough","name":"Long email"}""", "email" },
        { $$"""{"email":"longpw@example.org","password":"{{new string('p', 129)}}","name":"Long password"}""", "password" },
        { """{"email":42,"password":"long-enough","name":"Number"}""", "" },
        // Control characters and broken Unicode: NUL is what PostgreSQL refuses (a 500 before); the others forge lines.
        { """{"email":"nul\u0000@example.org","password":"long-enough","name":"Nul"}""", "email" },
        { """{"email":"nul@example.org","password":"long-enough","name":"N\u0000ul"}""", "name" },
        { """{"email":"nul@example.org","password":"long-\u0000enough","name":"Nul"}""", "password" },
        { """{"email":"cr@example.org","password":"long-enough","name":"Line\r\nBcc: x@example.org"}""", "name" },
        { """{"email":"del@example.org","password":"long-enough","name":"Del\u007f"}""", "name" },
        { """{"email":"c1@example.org","password":"long-enough","name":"C1\u009b"}""", "name" },
        // Not text at all: the JSON reader refuses it before any field is looked at.
        { """{"email":"surrogate@example.org","password":"long-enough","name":"Half \ud800"}""", "" },
    };

    [Theory]
    [MemberData(nameof(InvalidRegistrations))]
    public async Task rejects_an_invalid_registration_and_stores_nothing(string body, string field)
    {
        var result = await SendRawJsonAsync(Api, HttpMethod.Post, "/api/users", body, 400);

        var problem = await ReadProblemAsync(result);
        if (field.Length > 0)
        {
            Assert.Contains(field, problem.Errors!.Keys);
        }

        Assert.Equal(1, await CountUsersAsync()); // only the administrator
    }

    [Theory]
    [InlineData("{\"email\":")]
    [InlineData("not json")]
    [InlineData("null")]
    public async Task rejects_malformed_json_with_a_problem(string body)
    {
        var result = await SendRawJsonAsync(Api, HttpMethod.Post, "/api/users", body, 400);

        Assert.Equal(400, (await ReadProblemAsync(result)).Status);
        Assert.Equal(1, await CountUsersAsync());
    }

    [Fact]
    public async Task issues_a_bearer_token_for_the_right_password()
    {
        var customer = await RegisterCustomerAsync();

        var result = await Api.Scenario(s =>
        {
            s.Post.Json(new { email = customer.Email.ToUpperInvariant(), password = customer.Password }).ToUrl("/api/auth/token");
            s.StatusCodeShouldBe(200);
        });

        var token = (await result.ReadAsJsonAsync<TokenBody>())!;
        Assert.Equal("Bearer", token.TokenType);
        Assert.True(token.ExpiresIn > 0);
        Assert.Equal(3, token.AccessToken.Split('.').Length);
    }

    [Fact]
    public async Task answers_a_wrong_password_and_an_unknown_email_alike()
    {
        var customer = await RegisterCustomerAsync();

        var wrongPassword = await Api.Scenario(s =>
        {
            s.Post.Json(new { email = customer.Email, password = "wrong-password" }).ToUrl("/api/auth/token");
            s.StatusCodeShouldBe(401);
        });
        var unknownEmail = await Api.Scenario(s =>
        {
            s.Post.Json(new { email = "nobody@example.org", password = "wrong-password" }).ToUrl("/api/auth/token");
            s.StatusCodeShouldBe(401);
        });

        var first = await ReadProblemAsync(wrongPassword);
        var second = await ReadProblemAsync(unknownEmail);
        Assert.Equal(first.Title, second.Title);
        Assert.Equal(first.Detail, second.Detail);
    }

    [Fact]
    public async Task rejects_a_token_request_without_a_password()
    {
        var result = await Api.Scenario(s =>
        {
            s.Post.Json(new { email = "someone@example.org" }).ToUrl("/api/auth/token");
            s.StatusCodeShouldBe(400);
        });

        Assert.Contains("password", (await ReadProblemAsync(result)).Errors!.Keys);
    }

    [Fact]
    public async Task shows_the_signed_in_account()
    {
        var customer = await RegisterCustomerAsync();

        var result = await Api.Scenario(s =>
        {
            s.Get.Url("/api/users/me");
            s.WithBearerToken(customer.Token);
            s.StatusCodeShouldBe(200);
        });

        var me = (await result.ReadAsJsonAsync<UserBody>())!;
        Assert.Equal(customer.Id, me.Id);
        Assert.Equal(customer.Email, me.Email);
        Assert.Equal(ShopHost.InitialPoints, me.Points);
        Assert.Empty(me.Roles!);
    }

    [Fact]
    public async Task gives_the_seeded_administrator_the_admin_role()
    {
        var token = await SignInAsAdminAsync();

        var result = await Api.Scenario(s =>
        {
            s.Get.Url("/api/users/me");
            s.WithBearerToken(token);
            s.StatusCodeShouldBe(200);
        });

        var me = (await result.ReadAsJsonAsync<UserBody>())!;
        Assert.Equal(ShopHost.AdminEmail, me.Email);
        Assert.Equal(["admin"], me.Roles!);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-jwt")]
    [InlineData("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmVkLXdpdGgtYW5vdGhlci1rZXk")]
    public async Task refuses_the_account_without_a_valid_token(string? token)
    {
        var result = await Api.Scenario(s =>
        {
            s.Get.Url("/api/users/me");
            if (token is not null)
            {
                s.WithBearerToken(token);
            }

            s.StatusCodeShouldBe(401);
        });

        Assert.Equal(401, (await ReadProblemAsync(result)).Status);
    }

    [Fact]
    public async Task tops_up_points_and_returns_the_new_balance()
    {
        var customer = await RegisterCustomerAsync();

        var result = await Api.Scenario(s =>
        {
            s.Post.Json(new { amount = 2_500 }).ToUrl("/api/users/me/points");
            s.WithBearerToken(customer.Token);
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal(ShopHost.InitialPoints + 2_500, (await result.ReadAsJsonAsync<PointsBody>())!.Points);
        Assert.Equal(ShopHost.InitialPoints + 2_500, await PointsOfAsync(customer));
    }

    [Fact]
    public async Task concurrent_top_ups_all_count()
    {
        var customer = await RegisterCustomerAsync();

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Api.Scenario(s =>
        {
            s.Post.Json(new { amount = 10 }).ToUrl("/api/users/me/points");
            s.WithBearerToken(customer.Token);
            s.StatusCodeShouldBe(200);
        })));

        Assert.Equal(ShopHost.InitialPoints + 200, await PointsOfAsync(customer));
    }

    [Theory]
    [InlineData("""{"amount":0}""")]
    [InlineData("""{"amount":-5}""")]
    [InlineData("""{"amount":1000000000000}""")]
    [InlineData("""{}""")]
    [InlineData("""{"amount":"ten"}""")]
    [InlineData("""{"amount":1.5}""")]
    public async Task rejects_an_invalid_top_up_and_keeps_the_balance(string body)
    {
        var customer = await RegisterCustomerAsync();

        await SendRawJsonAsync(Api, HttpMethod.Post, "/api/users/me/points", body, 400, customer.Token);

        Assert.Equal(ShopHost.InitialPoints, await PointsOfAsync(customer));
    }

    [Fact]
    public async Task refuses_an_anonymous_top_up()
    {
        await Api.Scenario(s =>
        {
            s.Post.Json(new { amount = 10 }).ToUrl("/api/users/me/points");
            s.StatusCodeShouldBe(401);
        });
    }

    private async Task<long> CountUsersAsync() =>
        (await TestDatabase.QueryAsync(Topology.ConnectionStringOf(UsersModule.Name), "select count(*) from users.users", reader => reader.GetInt64(0)))[0];
}
