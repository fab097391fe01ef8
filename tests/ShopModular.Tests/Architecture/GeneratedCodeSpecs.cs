using System.Diagnostics;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Architecture;

/// <summary>
/// The message handlers' adapters that Wolverine would otherwise compile at run time are generated ahead of time into
/// the deployable (<c>src/Host/ShopModular.Host/Internal/Generated</c>, by <c>ShopModular.Host codegen write</c>).
/// </summary>
public sealed class GeneratedCodeSpecs
{
    private static readonly string Committed = Path.Combine(Repository.Root(), "src", "Host", "ShopModular.Host", "Internal", "Generated");

    [Fact]
    public async Task the_committed_handler_code_is_what_codegen_writes_today()
    {
        var contentRoot = Directory.CreateTempSubdirectory("shop-codegen-");
        try
        {
            await WriteGeneratedCodeAsync(contentRoot.FullName);
            var written = Path.Combine(contentRoot.FullName, "Internal", "Generated");

            // A handler, message or middleware changed without its adapter being written again: the process would
            // compile it at run time instead (see the README, "Generated code").
            Assert.Equal(Files(written).Keys.Order(), Files(Committed).Keys.Order());
            foreach (var (name, text) in Files(written))
            {
                Assert.True(text == Files(Committed)[name], $"{name} differs from what `codegen write` writes now.");
            }
        }
        finally
        {
            contentRoot.Delete(recursive: true);
        }
    }

    private static Dictionary<string, string> Files(string directory) =>
        Directory.GetFiles(directory, "*.cs", SearchOption.AllDirectories)
            .ToDictionary(path => Path.GetRelativePath(directory, path), File.ReadAllText);

    /// <summary>Runs the documented command on the built host, writing under <paramref name="contentRoot"/>.</summary>
    private static async Task WriteGeneratedCodeAsync(string contentRoot)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "ShopModular.Host.dll"), "codegen", "write"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_CONTENTROOT"] = contentRoot;
        // Read by the module set-up, never opened: generating code needs no database.
        start.Environment["ConnectionStrings__Shop"] = "Host=127.0.0.1;Database=codegen";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"codegen write failed ({process.ExitCode}): {await output}{error}");
    }
}
