using ShopModular.Products;
using Alba;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Products;

public sealed class ProductsSpecs(ShopHost monolith) : ShopSpec(monolith), IClassFixture<ShopHost>
{
    [Fact]
    public async Task an_administrator_adds_a_product()
    {
        var admin = await SignInAsAdminAsync();

        IScenarioResult? result = null;
        await SettleAsync(async () => result = await Api.Scenario(s =>
        {
            s.Post.Json(new { name = "Mug", price = 1500, stock = 10 }).ToUrl("/api/products");
            s.WithBearerToken(admin);
            s.StatusCodeShouldBe(201);
        }));

        var product = (await result!.ReadAsJsonAsync<ProductBody>())!;
        Assert.Equal(new ProductBody(product.Id, "Mug", 1500, 10), product);
        Assert.Equal($"/api/products/{product.Id}", result.Context.Response.Headers.Location.ToString());
        Assert.Equal(product, await GetProductAsync(product.Id));
    }

    [Fact]
    public async Task refuses_to_add_a_product_anonymously()
    {
        await Api.Scenario(s =>
        {
            s.Post.Json(new { name = "Mug", price = 1500, stock = 10 }).ToUrl("/api/products");
            s.StatusCodeShouldBe(401);
        });

        Assert.Equal(0, await CountProductsAsync());
    }

    [Fact]
    public async Task forbids_a_customer_to_add_a_product()
    {
        var customer = await RegisterCustomerAsync();

        var result = await Api.Scenario(s =>
        {
            s.Post.Json(new { name = "Mug", price = 1500, stock = 10 }).ToUrl("/api/products");
            s.WithBearerToken(customer.Token);
            s.StatusCodeShouldBe(403);
        });

        Assert.Equal(403, (await ReadProblemAsync(result)).Status);
        Assert.Equal(0, await CountProductsAsync());
    }

    public static TheoryData<string, string> InvalidProducts => new()
    {
        { """{"price":10,"stock":1}""", "name" },
        { $$"""{"name":"{{new string('x', 201)}}","price":10,"stock":1}""", "name" },
        { """{"name":"Mug","price":-1,"stock":1}""", "price" },
        { """{"name":"Mug","stock":1}""", "price" },
        { """{"name":"Mug","price":10,"stock":-1}""", "stock" },
        { """{"name":"Mug","price":10}""", "stock" },
        { """{"name":"Mug","price":10000000000000,"stock":1}""", "price" },
        { """{"name":"Mug","price":"ten","stock":1}""", "" },
        { """{"name":"Mug","price":10,"stock":99999999999}""", "" },
        { """{"name":"Mug","price":10,""", "" },
        { """{"name":"M\u0000ug","price":10,"stock":1}""", "name" },
        { """{"name":"Mug\n","price":10,"stock":1}""", "name" },
    };

    [Theory]
    [MemberData(nameof(InvalidProducts))]
    public async Task rejects_an_invalid_product_and_stores_nothing(string body, string field)
    {
        var admin = await SignInAsAdminAsync();

        var result = await SendRawJsonAsync(Api, HttpMethod.Post, "/api/products", body, 400, admin);

        var problem = await ReadProblemAsync(result);
        if (field.Length > 0)
        {
            Assert.Contains(field, problem.Errors!.Keys);
        }

        Assert.Equal(0, await CountProductsAsync());
    }

    [Fact]
    public async Task lists_the_catalog_a_page_at_a_time_in_the_order_products_were_added()
    {
        var admin = await SignInAsAdminAsync();
        var added = new List<ProductBody>();
        for (var i = 1; i <= 5; i++)
        {
            added.Add(await AddProductAsync(admin, $"Product {i}", price: i * 100, stock: i));
        }

        var firstPage = await ListAsync("/api/products?page=1&pageSize=2");
        var lastPage = await ListAsync("/api/products?page=3&pageSize=2");
        var beyond = await ListAsync("/api/products?page=4&pageSize=2");
        var defaults = await ListAsync("/api/products");

        Assert.Equal(added[..2], firstPage);
        Assert.Equal(added[4..], lastPage);
        Assert.Empty(beyond);
        Assert.Equal(added, defaults);
    }

    [Theory]
    [InlineData("pageSize=0")]
    [InlineData("pageSize=10000")]
    [InlineData("page=0")]
    [InlineData("page=-1")]
    [InlineData("page=abc")]
    public async Task rejects_an_invalid_page(string query)
    {
        var result = await Api.Scenario(s =>
        {
            s.Get.Url($"/api/products?{query}");
            s.StatusCodeShouldBe(400);
        });

        Assert.Equal(400, (await ReadProblemAsync(result)).Status);
    }

    [Fact]
    public async Task answers_404_for_an_unknown_product()
    {
        var result = await Api.Scenario(s =>
        {
            s.Get.Url($"/api/products/{Guid.NewGuid()}");
            s.StatusCodeShouldBe(404);
        });

        Assert.Equal(404, (await ReadProblemAsync(result)).Status);
    }

    [Fact]
    public async Task answers_404_for_an_id_that_is_not_a_guid()
    {
        var result = await Api.Scenario(s =>
        {
            s.Get.Url("/api/products/not-a-guid");
            s.StatusCodeShouldBe(404);
        });

        Assert.Equal(404, (await ReadProblemAsync(result)).Status);
    }

    [Fact]
    public async Task an_administrator_changes_the_price()
    {
        var admin = await SignInAsAdminAsync();
        var product = await AddProductAsync(admin, "Mug", price: 1500, stock: 10);

        IScenarioResult? result = null;
        await SettleAsync(async () => result = await Api.Scenario(s =>
        {
            s.Put.Json(new { price = 1800 }).ToUrl($"/api/products/{product.Id}/price");
            s.WithBearerToken(admin);
            s.StatusCodeShouldBe(200);
        }));

        Assert.Equal(product with { Price = 1800 }, await result!.ReadAsJsonAsync<ProductBody>());
        Assert.Equal(1800, (await GetProductAsync(product.Id)).Price);
    }

    [Fact]
    public async Task rejects_a_negative_price_and_keeps_the_old_one()
    {
        var admin = await SignInAsAdminAsync();
        var product = await AddProductAsync(admin, "Mug", price: 1500, stock: 10);

        var result = await Api.Scenario(s =>
        {
            s.Put.Json(new { price = -1 }).ToUrl($"/api/products/{product.Id}/price");
            s.WithBearerToken(admin);
            s.StatusCodeShouldBe(400);
        });

        Assert.Contains("price", (await ReadProblemAsync(result)).Errors!.Keys);
        Assert.Equal(1500, (await GetProductAsync(product.Id)).Price);
    }

    [Theory]
    [InlineData("PUT", "price", """{"price":1}""")]
    [InlineData("POST", "stock", """{"quantity":1}""")]
    public async Task catalog_changes_need_an_administrator_and_a_known_product(string method, string route, string body)
    {
        var admin = await SignInAsAdminAsync();
        var customer = await RegisterCustomerAsync();
        var product = await AddProductAsync(admin, "Mug", price: 1500, stock: 10);
        var httpMethod = new HttpMethod(method);

        await SendRawJsonAsync(Api, httpMethod, $"/api/products/{product.Id}/{route}", body, 401);
        await SendRawJsonAsync(Api, httpMethod, $"/api/products/{product.Id}/{route}", body, 403, customer.Token);
        await SendRawJsonAsync(Api, httpMethod, $"/api/products/{Guid.NewGuid()}/{route}", body, 404, admin);

        Assert.Equal(product, await GetProductAsync(product.Id));
    }

    [Fact]
    public async Task an_administrator_restocks_a_product()
    {
        var admin = await SignInAsAdminAsync();
        var product = await AddProductAsync(admin, "Mug", price: 1500, stock: 10);

        var result = await Api.Scenario(s =>
        {
            s.Post.Json(new { quantity = 5 }).ToUrl($"/api/products/{product.Id}/stock");
            s.WithBearerToken(admin);
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal(product with { Stock = 15 }, await result.ReadAsJsonAsync<ProductBody>());
    }

    [Fact]
    public async Task concurrent_restocks_all_count()
    {
        var admin = await SignInAsAdminAsync();
        var product = await AddProductAsync(admin, "Mug", price: 1500, stock: 0);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Api.Scenario(s =>
        {
            s.Post.Json(new { quantity = 3 }).ToUrl($"/api/products/{product.Id}/stock");
            s.WithBearerToken(admin);
            s.StatusCodeShouldBe(200);
        })));

        Assert.Equal(60, (await GetProductAsync(product.Id)).Stock);
    }

    [Theory]
    [InlineData("""{"quantity":0}""")]
    [InlineData("""{"quantity":-3}""")]
    [InlineData("""{}""")]
    [InlineData("""{"quantity":"many"}""")]
    public async Task rejects_an_invalid_restock_and_keeps_the_stock(string body)
    {
        var admin = await SignInAsAdminAsync();
        var product = await AddProductAsync(admin, "Mug", price: 1500, stock: 10);

        await SendRawJsonAsync(Api, HttpMethod.Post, $"/api/products/{product.Id}/stock", body, 400, admin);

        Assert.Equal(10, (await GetProductAsync(product.Id)).Stock);
    }

    private async Task<List<ProductBody>> ListAsync(string url)
    {
        var result = await Api.Scenario(s =>
        {
            s.Get.Url(url);
            s.StatusCodeShouldBe(200);
        });
        return (await result.ReadAsJsonAsync<List<ProductBody>>())!;
    }

    private async Task<long> CountProductsAsync() =>
        (await TestDatabase.QueryAsync(Topology.ConnectionStringOf(ProductsModule.Name), "select count(*) from products.products", reader => reader.GetInt64(0)))[0];
}
