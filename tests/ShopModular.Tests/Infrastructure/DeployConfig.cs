using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// The deployment's settings as a process sees them: the keys of deploy/config/ (the config repository), and of the
/// environment compose gives each service, both as .NET configuration keys (<c>shop:users:initialpoints</c>).
/// </summary>
public static class DeployConfig
{
    public static string Folder => Path.Combine(Repository.Root(), "deploy", "config");

    /// <summary>Every key any file of deploy/config/ sets, for any application or profile.</summary>
    public static IReadOnlySet<string> RepositoryKeys()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(Folder, "*.yml"))
        {
            foreach (var document in Load(file).Documents)
            {
                Flatten(document.RootNode, prefix: null, keys);
            }
        }

        return keys;
    }

    /// <summary>The environment of each compose service, by service, its keys as configuration keys.</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> ComposeEnvironments()
    {
        var compose = (YamlMappingNode)Load(Path.Combine(Repository.Root(), "deploy", "docker-compose.yml")).Documents[0].RootNode;
        var environments = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var (name, service) in (YamlMappingNode)compose["services"])
        {
            environments[((YamlScalarNode)name).Value!] = ((YamlMappingNode)service).Children.TryGetValue("environment", out var environment)
                ? ((YamlMappingNode)environment).Children.Keys.Select(key => ConfigurationKey(((YamlScalarNode)key).Value!)).ToHashSet(StringComparer.Ordinal)
                : new HashSet<string>(StringComparer.Ordinal);
        }

        return environments;
    }

    /// <summary>An environment variable's name or a flattened YAML key as the key .NET configuration reads.</summary>
    public static string ConfigurationKey(string name) =>
        name.Replace("__", ":", StringComparison.Ordinal).Replace('.', ':').ToLowerInvariant();

    private static YamlStream Load(string file)
    {
        using var reader = new StreamReader(file);
        var stream = new YamlStream();
        // Compose's anchors with `<<:` merge keys: what each service really gets.
        stream.Load(new MergingParser(new Parser(reader)));
        return stream;
    }

    private static void Flatten(YamlNode node, string? prefix, HashSet<string> keys)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping)
                {
                    var name = ConfigurationKey(((YamlScalarNode)key).Value!);
                    Flatten(value, prefix is null ? name : $"{prefix}:{name}", keys);
                }

                break;
            case YamlSequenceNode sequence:
                for (var index = 0; index < sequence.Children.Count; index++)
                {
                    Flatten(sequence.Children[index], $"{prefix}:{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}", keys);
                }

                break;
            default:
                keys.Add(prefix!);
                break;
        }
    }
}
