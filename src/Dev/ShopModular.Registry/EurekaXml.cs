using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace ShopModular.Registry;

/// <summary>
/// The XML form of the registry's JSON documents, as the genuine server's XStream writes it: <c>@name</c> keys
/// become attributes, <c>$</c> the text, arrays repeated elements. The JSON names are already XStream's
/// (<c>versions__delta</c>); metadata keys, which are the clients' own, get its escaping of <c>_</c> as <c>__</c>
/// and <c>$</c> as <c>_-</c>. Clients that send no <c>Accept</c> header get this (Prometheus among them).
/// </summary>
public static class EurekaXml
{
    public static XDocument From(JsonObject document)
    {
        var (name, value) = document.Single();
        return new XDocument(ElementsFor(name, value, isMetadataKey: false).Single());
    }

    private static IEnumerable<XElement> ElementsFor(string name, JsonNode? value, bool isMetadataKey)
    {
        if (value is JsonArray array)
        {
            return array.SelectMany(item => ElementsFor(name, item, isMetadataKey));
        }

        // XML spells it in lower case (XStream's field name); JSON says overriddenStatus.
        var element = new XElement(
            isMetadataKey ? Escape(name)
            : name == "overriddenStatus" ? "overriddenstatus"
            : name);
        if (value is JsonObject node)
        {
            foreach (var (key, child) in node)
            {
                if (key == "$")
                {
                    element.Add(child?.ToString());
                }
                else if (key.StartsWith('@'))
                {
                    element.SetAttributeValue(key[1..], child?.ToString());
                }
                else
                {
                    element.Add(ElementsFor(key, child, isMetadataKey: name == "metadata"));
                }
            }
        }
        else if (value is not null)
        {
            element.Value = value.ToString();
        }

        return [element];
    }

    /// <summary>
    /// The JSON form of an XML element, the other way round: attributes become <c>@name</c>, the text of an element
    /// with attributes <c>$</c>, repeated elements an array, and an element with only text a string.
    /// </summary>
    public static JsonObject? ToJson(XElement element) => NodeFor(element) as JsonObject;

    private static JsonNode NodeFor(XElement element)
    {
        var children = element.Elements().ToList();
        if (children.Count == 0 && !element.HasAttributes)
        {
            return JsonValue.Create(element.Value);
        }

        var node = new JsonObject();
        foreach (var attribute in element.Attributes())
        {
            node["@" + attribute.Name.LocalName] = attribute.Value;
        }

        if (children.Count == 0)
        {
            if (element.Value.Length > 0)
            {
                node["$"] = element.Value;
            }

            return node;
        }

        var isMetadata = element.Name.LocalName == "metadata";
        foreach (var group in children.GroupBy(child => child.Name.LocalName))
        {
            var name = isMetadata ? Unescape(group.Key) : group.Key == "overriddenstatus" ? "overriddenStatus" : group.Key;
            var values = group.Select(NodeFor).ToList();
            node[name] = values.Count == 1 ? values[0] : new JsonArray([.. values]);
        }

        return node;
    }

    private static string Unescape(string name) => name.Replace("_-", "$", StringComparison.Ordinal).Replace("__", "_", StringComparison.Ordinal);

    private static string Escape(string name) => name.Replace("_", "__", StringComparison.Ordinal).Replace("$", "_-", StringComparison.Ordinal);
}
