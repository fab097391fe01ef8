using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace ShopModular.ServiceDefaults.Security;

/// <summary>
/// Every value of the appsettings files next to the process (its content root): what this repository commits, so what
/// anyone can read. Development runs on them; a host elsewhere that is given one as a secret refuses to start.
/// </summary>
public sealed class CommittedSecrets
{
    private readonly HashSet<string> _values;
    private readonly List<byte[]> _keys;

    private CommittedSecrets(IEnumerable<string> values)
    {
        _values = new HashSet<string>(values, StringComparer.Ordinal);
        _keys = [.. _values.Select(value => EcKeys.IsP256(value, out var publicKeyInfo) ? publicKeyInfo : null).OfType<byte[]>()];
    }

    /// <summary>Reads every <c>appsettings*.json</c> of the content root (Development's among them, whatever the environment).</summary>
    public static CommittedSecrets Of(IHostEnvironment environment)
    {
        var files = Directory.Exists(environment.ContentRootPath)
            ? Directory.GetFiles(environment.ContentRootPath, "appsettings*.json")
            : [];
        var values = files.SelectMany(file => new ConfigurationBuilder().AddJsonFile(file, optional: true).Build().AsEnumerable())
            .Select(pair => pair.Value)
            .OfType<string>()
            .Where(value => value.Length > 0);
        return new CommittedSecrets(values);
    }

    /// <summary>Whether <paramref name="value"/> is written in one of the files, exactly.</summary>
    public bool Contains(string value) => _values.Contains(value);

    /// <summary>Whether <paramref name="pem"/> is, or pairs with, a key written in one of the files, however it is formatted.</summary>
    public bool ContainsKey(string pem) =>
        EcKeys.IsP256(pem, out var publicKeyInfo) && _keys.Any(key => key.AsSpan().SequenceEqual(publicKeyInfo));
}
