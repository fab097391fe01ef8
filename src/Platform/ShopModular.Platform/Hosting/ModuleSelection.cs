using Microsoft.Extensions.Configuration;

namespace ShopModular.Platform.Hosting;

/// <summary>Reads the hosting switch <c>Shop:Modules</c>: a comma list of module names, default all.</summary>
public static class ModuleSelection
{
    public const string ConfigurationKey = "Shop:Modules";

    public static IReadOnlyList<ShopModule> Select(IConfiguration configuration, IReadOnlyList<ShopModule> available)
    {
        var requested = configuration[ConfigurationKey];
        if (string.IsNullOrWhiteSpace(requested))
        {
            return available;
        }

        var names = requested.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = names.Where(name => !available.Any(module => module.Name.Equals(name, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException(
                $"{ConfigurationKey} names unknown module(s) {string.Join(", ", unknown)}; known: {string.Join(", ", available.Select(m => m.Name))}.");
        }

        return available.Where(module => names.Contains(module.Name, StringComparer.OrdinalIgnoreCase)).ToList();
    }
}
