using System.Xml.Linq;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Architecture;

/// <summary>
/// The reference rules of STYLE.md, checked on every project of the solution from its declared
/// project references: one theory over the project list, not a copy per module.
/// </summary>
public sealed class ReferenceRulesSpecs
{
    private static readonly string[] Modules = ["Users", "Products", "Orders"];

    public static TheoryData<string> Projects()
    {
        var data = new TheoryData<string>();
        foreach (var project in SourceProjects())
        {
            data.Add(project.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void a_project_references_only_what_its_layer_may(string project)
    {
        var allowed = AllowedReferences(project);
        var actual = SourceProjects().Single(p => p.Name == project).References;

        var forbidden = actual.Where(reference => !allowed.Contains(reference)).ToList();

        Assert.True(forbidden.Count == 0, $"{project} must not reference {string.Join(", ", forbidden)}.");
    }

    [Fact]
    public void every_module_has_a_module_project_and_a_contracts_project()
    {
        var names = SourceProjects().Select(p => p.Name).ToHashSet();

        foreach (var module in Modules)
        {
            Assert.Contains($"ShopModular.{module}", names);
            Assert.Contains($"ShopModular.{module}.Contracts", names);
        }
    }

    [Fact]
    public void the_rules_themselves_catch_a_module_referencing_another_module()
    {
        Assert.DoesNotContain("ShopModular.Products", AllowedReferences("ShopModular.Orders"));
        Assert.DoesNotContain("ShopModular.Platform", AllowedReferences("ShopModular.Orders.Contracts"));
        Assert.DoesNotContain("ShopModular.Users.Contracts", AllowedReferences("ShopModular.Platform"));
    }

    /// <summary>The table of STYLE.md: who may reference whom.</summary>
    private static HashSet<string> AllowedReferences(string project)
    {
        var contracts = Modules.Select(m => $"ShopModular.{m}.Contracts");
        var modules = Modules.Select(m => $"ShopModular.{m}");
        return project switch
        {
            "ShopModular.Host" => ["ShopModular.Platform", .. modules],
            "ShopModular.Gateway" => ["ShopModular.Platform"],
            "ShopModular.Registry" => [],
            // The development config server uses the platform's Eureka client to register itself, nothing else.
            "ShopModular.ConfigServer" => ["ShopModular.Platform"],
            "ShopModular.Platform" => [],
            _ when project.EndsWith(".Contracts", StringComparison.Ordinal) => [],
            _ when modules.Contains(project) => ["ShopModular.Platform", .. contracts],
            _ => throw new InvalidOperationException($"{project} has no rule in STYLE.md; add one before adding the project."),
        };
    }

    private static IEnumerable<(string Name, string[] References)> SourceProjects()
    {
        var root = Repository.Root();
        return Directory.EnumerateFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(path => (
                Name: Path.GetFileNameWithoutExtension(path),
                References: XDocument.Load(path).Descendants("ProjectReference")
                    .Select(reference => Path.GetFileNameWithoutExtension(reference.Attribute("Include")!.Value.Replace('\\', '/')))
                    .ToArray()))
            .OrderBy(project => project.Name);
    }
}
