using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Architecture;

/// <summary>
/// The reference rules of STYLE.md, checked on every project of the solution twice: on its declared project
/// references, and on the types its compiled assembly uses. One theory over the project list for each, not a copy
/// per module.
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

    /// <summary>
    /// What the compiler kept, whatever way the reference came in (a project reference, one made transitive by a
    /// project in between, a <c>Reference</c> to a built DLL, a package): every type of another assembly that the
    /// compiled code uses, in a field, a signature, an attribute, a generic argument or a method body, is a row of the
    /// assembly's TypeRef table, with the assembly it comes from. So Orders calling <c>typeof(ProductsDbContext)</c>
    /// in a method body fails here as a field of that type would.
    /// </summary>
    [Theory]
    [MemberData(nameof(Projects))]
    public void a_compiled_assembly_uses_types_only_of_what_its_layer_may_reference(string project)
    {
        // A module brings its contracts with it: the host's generated handler code names the messages it handles.
        var allowed = AllowedReferences(project);
        allowed.UnionWith(allowed.Where(reference => Modules.Any(module => reference == $"ShopModular.{module}")).Select(module => $"{module}.Contracts").ToList());
        // And the platform brings the service defaults it is built on: a module uses their roles and live options.
        if (allowed.Contains("ShopModular.Platform"))
        {
            allowed.Add("ShopModular.ServiceDefaults");
        }

        var forbidden = TypesOfOursUsedBy(project)
            .Where(used => used.Assembly != project && !allowed.Contains(used.Assembly))
            .Select(used => $"{used.Type} ({used.Assembly})")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(forbidden.Count == 0, $"{project} uses types its layer may not: {string.Join(", ", forbidden)}.");
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
        Assert.DoesNotContain("ShopModular.Platform", AllowedReferences("ShopModular.Gateway"));
    }

    /// <summary>
    /// A process that hosts no module ships none of the module hosting's libraries: what its build lists in its
    /// <c>.deps.json</c>, the file the runtime loads its dependencies from (the gateway took 58 MB of them before).
    /// </summary>
    [Theory]
    [InlineData("src/Host/ShopModular.Gateway")]
    [InlineData("src/Dev/ShopModular.ConfigServer")]
    [InlineData("src/Dev/ShopModular.Registry")]
    public void a_process_that_hosts_no_module_ships_nothing_of_wolverine_ef_core_the_broker_or_roslyn(string project)
    {
        var name = Path.GetFileName(project);
        // The test runs from tests/ShopModular.Tests/bin/{configuration}/{framework}/; the project was built alike.
        var output = new DirectoryInfo(AppContext.BaseDirectory);
        var deps = Path.Combine(Repository.Root(), project, "bin", output.Parent!.Name, output.Name, $"{name}.deps.json");
        var libraries = JsonNode.Parse(File.ReadAllText(deps))!["libraries"]!.AsObject().Select(library => library.Key);

        var moduleHosting = libraries.Where(library => ModuleHostingLibraries.Any(prefix => library.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))).ToList();

        Assert.True(moduleHosting.Count == 0, $"{name} ships {string.Join(", ", moduleHosting)}.");
    }

    private static readonly string[] ModuleHostingLibraries =
        ["WolverineFx", "JasperFx", "Microsoft.EntityFrameworkCore", "Npgsql", "RabbitMQ.Client", "Microsoft.CodeAnalysis"];

    /// <summary>The table of STYLE.md: who may reference whom.</summary>
    private static HashSet<string> AllowedReferences(string project)
    {
        var contracts = Modules.Select(m => $"ShopModular.{m}.Contracts");
        var modules = Modules.Select(m => $"ShopModular.{m}");
        return project switch
        {
            "ShopModular.Host" => ["ShopModular.Platform", .. modules],
            "ShopModular.Gateway" => ["ShopModular.ServiceDefaults"],
            "ShopModular.Registry" => [],
            // The development app host runs the built outputs of the processes (its references only build them first).
            "ShopModular.AppHost" => ["ShopModular.Host", "ShopModular.Gateway", "ShopModular.Registry", "ShopModular.ConfigServer"],
            // The development config server uses the shared Eureka client to register itself, nothing else.
            "ShopModular.ConfigServer" => ["ShopModular.ServiceDefaults"],
            "ShopModular.Platform" => ["ShopModular.ServiceDefaults"],
            "ShopModular.ServiceDefaults" => [],
            _ when project.EndsWith(".Contracts", StringComparison.Ordinal) => [],
            _ when modules.Contains(project) => ["ShopModular.Platform", .. contracts],
            _ => throw new InvalidOperationException($"{project} has no rule in STYLE.md; add one before adding the project."),
        };
    }

    /// <summary>The types of our assemblies (ShopModular.*) that the built <paramref name="project"/> refers to, from its metadata.</summary>
    private static IEnumerable<(string Assembly, string Type)> TypesOfOursUsedBy(string project)
    {
        var path = Path.Combine(AppContext.BaseDirectory, project + ".dll");
        Assert.True(File.Exists(path), $"{path} is not built next to the specs: reference its project from the test project.");
        using var pe = new PEReader(File.OpenRead(path));
        var metadata = pe.GetMetadataReader();
        return metadata.TypeReferences
            .Select(handle => ScopeAndName(metadata, handle))
            .Where(used => used.Assembly?.StartsWith("ShopModular.", StringComparison.Ordinal) == true)
            .Select(used => (used.Assembly!, used.Type))
            .Distinct()
            .ToList();
    }

    /// <summary>The assembly a type reference points into (null for this assembly's own modules), and its full name.</summary>
    private static (string? Assembly, string Type) ScopeAndName(MetadataReader metadata, TypeReferenceHandle handle)
    {
        var reference = metadata.GetTypeReference(handle);
        var name = metadata.GetString(reference.Name);
        var ns = metadata.GetString(reference.Namespace);
        switch (reference.ResolutionScope.Kind)
        {
            case HandleKind.TypeReference:
                // A nested type: it lives where its enclosing type does.
                var outer = ScopeAndName(metadata, (TypeReferenceHandle)reference.ResolutionScope);
                return (outer.Assembly, $"{outer.Type}+{name}");
            case HandleKind.AssemblyReference:
                var assembly = metadata.GetAssemblyReference((AssemblyReferenceHandle)reference.ResolutionScope);
                return (metadata.GetString(assembly.Name), ns.Length == 0 ? name : $"{ns}.{name}");
            default:
                return (null, ns.Length == 0 ? name : $"{ns}.{name}");
        }
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
