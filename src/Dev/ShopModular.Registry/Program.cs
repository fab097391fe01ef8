namespace ShopModular.Registry;

/// <summary>
/// A development registry that speaks the Eureka protocol, for machines without Docker; the compose deployment
/// runs the genuine Eureka server instead. Fast timings by default; see <see cref="RegistrySettings"/> for the
/// genuine ones. (A named class rather than top-level statements: the test project also references the shop's
/// host, whose top-level <c>Program</c> would clash.)
/// </summary>
public static class RegistryProgram
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var section = builder.Configuration.GetSection(RegistrySettings.Section);
        var settings = section.Get<RegistrySettings>() ?? new RegistrySettings();
        RegistryAccess.RequireCredentials(settings);
        builder.Services.Configure<RegistrySettings>(section);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = settings.MaxRequestBodySize);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EurekaRegistry>();
        builder.Services.AddHostedService<LeaseEviction>();

        var app = builder.Build();
        app.UseRegistryAccess();
        app.MapEureka();
        app.MapStatusPage();
        app.MapGet("/health", () => Results.Ok(new { status = "UP" }));
        await app.RunAsync();
    }
}
