using System.Text.Json;
using ShopModular.ServiceDefaults.Configuration;

namespace ShopModular.Tests.ConfigClient;

/// <summary>
/// The parts of the config client that need no server: Spring's keys as .NET keys (Steeltoe's conversion), the
/// Environment document as configuration data (the first property source wins), and the request URL.
/// </summary>
public sealed class ConfigClientProtocolSpecs
{
    [Theory]
    [InlineData("Shop.Users.InitialPoints", "Shop:Users:InitialPoints")]
    [InlineData("feature.flags[0]", "feature:flags:0")]
    [InlineData("a.b[0].c", "a:b:0:c")]
    [InlineData("matrix[1][2]", "matrix:1:2")]
    [InlineData("Logging__LogLevel__Default", "Logging:LogLevel:Default")]
    [InlineData(@"host\.name.port", "host.name:port")]
    [InlineData("ConnectionStrings:Shop", "ConnectionStrings:Shop")]
    [InlineData("single", "single")]
    public void spring_keys_become_configuration_keys(string springKey, string configurationKey) =>
        Assert.Equal(configurationKey, SpringKeys.ToConfigurationKey(springKey));

    [Fact]
    public void the_first_property_source_wins_and_lists_become_indexed_keys()
    {
        using var environment = JsonDocument.Parse("""
            {"name":"users","profiles":["Development"],"label":null,"version":"v7","state":null,
             "propertySources":[
              {"name":"file:/config/users-Development.yml","source":{"Shop.Users.InitialPoints":250,"Shop.Flags[0]":"dev"}},
              {"name":"file:/config/users.yml","source":{"Shop.Users.InitialPoints":500,"Shop.Users.Login.MaxFailures":7}},
              {"name":"file:/config/application.yml","source":{"Shop.Users.InitialPoints":1000,"Shop.Flags[0]":"a","Shop.Flags[1]":"b","Shop.Enabled":true,"Shop.Ratio":0.25,"Shop.Nothing":null}}]}
            """);

        var data = ConfigServerEnvironment.ToData(environment.RootElement);

        Assert.Equal("250", data["Shop:Users:InitialPoints"]);
        Assert.Equal("7", data["Shop:Users:Login:MaxFailures"]);
        Assert.Equal("dev", data["Shop:Flags:0"]);
        Assert.Equal("b", data["Shop:Flags:1"]);
        Assert.Equal("true", data["Shop:Enabled"]);
        Assert.Equal("0.25", data["Shop:Ratio"]);
        Assert.Null(data["Shop:Nothing"]);
        Assert.Equal("v7", data[ConfigServerEnvironment.VersionKey]);
        Assert.False(data.ContainsKey(ConfigServerEnvironment.StateKey));
    }

    [Fact]
    public void an_unknown_application_gives_no_values()
    {
        using var environment = JsonDocument.Parse("""{"name":"nobody","profiles":["Production"],"label":null,"version":null,"state":null,"propertySources":[]}""");

        Assert.Empty(ConfigServerEnvironment.ToData(environment.RootElement));
    }

    [Fact]
    public void a_document_without_property_sources_is_refused() =>
        Assert.Throws<JsonException>(() => ConfigServerEnvironment.ToData(JsonDocument.Parse("""{"status":"UP"}""").RootElement));

    [Theory]
    [InlineData("http://127.0.0.1:8888", "users", "Development", "", "http://127.0.0.1:8888/users/Development")]
    [InlineData("http://127.0.0.1:8888/", "users", "Development", "main", "http://127.0.0.1:8888/users/Development/main")]
    [InlineData("http://127.0.0.1:8888/config", "users", "Production", "release/1.0", "http://127.0.0.1:8888/config/users/Production/release(_)1.0")]
    [InlineData("http://shop:secret@127.0.0.1:8888", "my app", "Development", "", "http://127.0.0.1:8888/my%20app/Development")]
    public void the_request_names_the_application_profile_and_label(string server, string name, string profile, string label, string expected) =>
        Assert.Equal(expected, ConfigServerClient.EnvironmentUrl(new Uri(server), name, profile, label).AbsoluteUri);
}
