using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Launcher;

/// <summary>
/// The first order of the README ("## Two commands"), as written there: the fenced sh block that starts with
/// <c>api=</c>, run by bash with only the port changed.
/// </summary>
public static partial class ReadmeWalkthrough
{
    private const string ReadmePort = "http://127.0.0.1:5080";

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        /// <summary>The last JSON value the walk-through printed: the order as it ended.</summary>
        public JsonElement Order
        {
            get
            {
                var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(Output), new JsonReaderOptions { AllowMultipleValues = true });
                JsonElement? last = null;
                while (reader.Read())
                {
                    last = JsonElement.ParseValue(ref reader);
                }

                return last ?? throw new InvalidOperationException($"The walk-through printed no JSON:\n{Output}\n{Error}");
            }
        }
    }

    public static string Script()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root(), "README.md"));
        var section = Section().Match(readme);
        Assert.True(section.Success, "README.md has no '## Two commands' section");
        var script = ShBlocks().Matches(section.Value).Select(block => block.Groups[1].Value)
            .SingleOrDefault(block => block.StartsWith("api=", StringComparison.Ordinal));
        Assert.True(script is not null, "'## Two commands' has no sh block starting with api=");
        Assert.Contains(ReadmePort, script, StringComparison.Ordinal);
        return script;
    }

    /// <summary>
    /// Runs the walk-through against <paramref name="url"/> with errexit and pipefail: any failing step fails it.
    /// <paramref name="replacements"/> change more than the port, for a topology whose administrator is not the
    /// README's (the split fixture's).
    /// </summary>
    public static async Task<Result> RunAsync(string url, params (string Old, string New)[] replacements)
    {
        var script = Script().Replace(ReadmePort, url, StringComparison.Ordinal);
        foreach (var (old, replacement) in replacements)
        {
            Assert.Contains(old, script, StringComparison.Ordinal);
            script = script.Replace(old, replacement, StringComparison.Ordinal);
        }

        var start = new System.Diagnostics.ProcessStartInfo("bash", ["-e", "-o", "pipefail", "-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var bash = System.Diagnostics.Process.Start(start)!;
        var output = bash.StandardOutput.ReadToEndAsync();
        var error = bash.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await bash.WaitForExitAsync(timeout.Token);
        return new Result(bash.ExitCode, await output, await error);
    }

    [GeneratedRegex(@"^## Two commands\n.*?(?=^## )", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex Section();

    [GeneratedRegex(@"^```sh\n(.*?)^```$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex ShBlocks();
}
