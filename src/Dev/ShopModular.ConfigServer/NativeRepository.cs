using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace ShopModular.ConfigServer;

/// <summary>A label that names no subfolder of any search location (the genuine git backend's NoSuchLabelException).</summary>
public sealed class NoSuchLabelException(string label) : Exception($"No such label: {label}");

/// <summary>
/// The genuine server's native repository (NativeEnvironmentRepository, which lets Spring Boot's config data loading
/// find the files): for application <c>orders</c> and profiles <c>a,b</c> it reads, in each search location and
/// then in each label's subfolder, <c>application.*</c> and <c>orders.*</c>, then the same with <c>-a</c> and
/// <c>-b</c>, and lists them from the highest precedence down:
/// <list type="number">
/// <item>profile-specific files before the rest; among profiles, the last one first;</item>
/// <item>then a later location (a label's subfolder) before an earlier one, <c>{app}</c> before <c>application</c>,
/// <c>.properties</c> before <c>.yml</c> before <c>.yaml</c>;</item>
/// <item>within a multi-document file, a later document before an earlier one; a document whose
/// <c>spring.config.activate.on-profile</c> does not match the request's profiles is left out.</item>
/// </list>
/// The files are read on every request, so a change in the folder is served at once.
/// </summary>
public sealed class NativeRepository(IOptions<ConfigServerSettings> options)
{
    private static readonly string[] Extensions = ["yaml", "yml", "properties"];

    /// <summary>The Environment document for the request; throws <see cref="NoSuchLabelException"/> or <see cref="ConfigFileException"/>.</summary>
    public JsonObject FindOne(string application, string profiles, string? label)
    {
        var settings = options.Value.Native;
        var profileList = profiles.Split(',');
        var locations = Locations(application, profileList, label ?? settings.DefaultLabel, label is not null);
        var names = application == "application" ? ["application"] : new[] { "application" }.Concat(application.Split(',')).Distinct().ToArray();

        // Ascending precedence, as Spring Boot resolves them: the files without a profile, then those of each profile.
        var plain = Candidates(locations, names, profile: null);
        var profileSpecific = profileList.SelectMany(profile => Candidates(locations, names, profile));

        var propertySources = new JsonArray();
        foreach (var source in Load(profileSpecific.Distinct(), profileList).Reverse().Concat(Load(plain.Distinct(), profileList).Reverse()))
        {
            propertySources.Add(source);
        }

        return new JsonObject
        {
            ["name"] = application,
            ["profiles"] = new JsonArray([.. profileList.Select(profile => (JsonNode)profile)]),
            ["label"] = label,
            ["version"] = settings.Version,
            ["state"] = null,
            ["propertySources"] = propertySources,
        };
    }

    /// <summary>The folders to search, in ascending precedence: the search locations, then each label's subfolder.</summary>
    private List<Location> Locations(string application, string[] profiles, string label, bool labelRequested)
    {
        var settings = options.Value.Native;
        var configured = settings.SearchLocations.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var locations = new List<Location>();
        foreach (var location in configured)
        {
            foreach (var profile in profiles)
            {
                foreach (var app in application.Split(','))
                {
                    var value = location.Replace("{application}", app, StringComparison.Ordinal)
                        .Replace("{profile}", profile, StringComparison.Ordinal)
                        .Replace("{label}", label, StringComparison.Ordinal);
                    locations.Add(Location.Of(value));
                }
            }
        }

        var found = false;
        // Several labels: the first one wins, so it is searched last.
        var labels = label.Split(',').Reverse().ToList();
        if (settings.AddLabelLocations)
        {
            // As the genuine repository: not for a location with placeholders, which places its labels itself.
            foreach (var location in configured.Where(location => !location.Contains('{', StringComparison.Ordinal)).Select(Location.Of))
            {
                foreach (var each in labels)
                {
                    var labelled = location.Sub(each);
                    found |= Directory.Exists(labelled.Directory);
                    locations.Add(labelled);
                }
            }
        }

        // The genuine native repository answers an unknown label with the files without one; its git backend, which
        // production servers use, with 404. Ours follows the git backend, so that a client's list of labels falls
        // through to the next label here as it would there.
        if (labelRequested && label != settings.DefaultLabel && !found && !configured.Any(location => location.Contains("{label}", StringComparison.Ordinal)))
        {
            throw new NoSuchLabelException(label);
        }

        return [.. locations.DistinctBy(location => location.Directory)];
    }

    private static IEnumerable<Candidate> Candidates(List<Location> locations, string[] names, string? profile) =>
        from location in locations
        from name in names
        from extension in Extensions
        let file = Path.GetFullPath(Path.Combine(location.Directory, $"{name}{(profile is null ? string.Empty : "-" + profile)}.{extension}"))
        // A name with "(_)" reaches into a subfolder, never out of the location.
        where file.StartsWith(location.Directory, StringComparison.Ordinal) && File.Exists(file)
        select new Candidate(file, location);

    /// <summary>Each file's active documents as property sources, in ascending precedence.</summary>
    private static IEnumerable<JsonObject> Load(IEnumerable<Candidate> candidates, string[] profiles)
    {
        var sources = new List<JsonObject>();
        foreach (var (file, location) in candidates)
        {
            IReadOnlyList<JsonObject> documents;
            try
            {
                documents = file.EndsWith(".properties", StringComparison.Ordinal) ? ConfigFile.ReadProperties(file) : ConfigFile.ReadYaml(file);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                throw new ConfigFileException(file, null, null, exception.Message);
            }

            for (var index = 0; index < documents.Count; index++)
            {
                var document = documents[index];
                RejectLegacyProfiles(file, document);
                if (!ProfileActivation.IsActive(document, profiles))
                {
                    continue;
                }

                // The genuine names: the file for a single document; Spring Boot's own name for one of several.
                var name = documents.Count == 1
                    ? "file:" + file
                    : $"Config resource 'file [{file}]' via location '{location.Display}' (document #{index})";
                sources.Add(new JsonObject { ["name"] = name, ["source"] = document.DeepClone() });
            }
        }

        return sources;
    }

    /// <summary>Spring Boot 3 refuses <c>spring.profiles</c> in a document, and so the genuine server answers 500.</summary>
    private static void RejectLegacyProfiles(string file, JsonObject document)
    {
        if (document.ContainsKey("spring.profiles") || document.ContainsKey("spring.profiles[0]"))
        {
            throw new ConfigFileException(file, null, null,
                $"Property 'spring.profiles' imported from location 'file [{file}]' is invalid and should be replaced with 'spring.config.activate.on-profile'");
        }
    }

    private sealed record Candidate(string File, Location Location);

    /// <summary>A folder to search: its absolute path (with a trailing separator) and the location as Spring Boot names it.</summary>
    private sealed record Location(string Directory, string Display)
    {
        public static Location Of(string configured)
        {
            var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(FilePath(configured))) + Path.DirectorySeparatorChar;
            var display = configured.StartsWith("file:", StringComparison.Ordinal)
                ? (configured.EndsWith('/') ? configured : configured + "/")
                : "file:" + directory;
            return new Location(directory, display);
        }

        public Location Sub(string label) =>
            new(Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Combine(Directory, label))) + Path.DirectorySeparatorChar, Display + label + "/");

        /// <summary>The path of <c>file:/x</c>, <c>file:///x</c>, <c>file:./x</c> or a plain path.</summary>
        private static string FilePath(string configured)
        {
            if (!configured.StartsWith("file:", StringComparison.Ordinal))
            {
                return configured;
            }

            var rest = configured["file:".Length..];
            return rest.StartsWith("///", StringComparison.Ordinal) ? rest[2..] : rest;
        }
    }
}
