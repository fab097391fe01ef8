using System.Reflection;
using System.Text.RegularExpressions;
using ShopModular.Orders;
using ShopModular.Platform.Hosting;
using ShopModular.Products;
using ShopModular.Users;
using Wolverine.Attributes;
using Wolverine.Util;

namespace ShopModular.Tests.Architecture;

/// <summary>
/// Every message of a module's contracts goes on the wire under a name of its own (<c>[MessageIdentity]</c>), not
/// under its CLR name: the name is the <c>message-type</c> header of every envelope, the exchange it is published to
/// and part of each subscriber's queue, so a namespace or type renamed in a new build must not change it while older
/// processes and messages already waiting in queues still use it. One theory over the module list.
/// </summary>
public sealed partial class MessageIdentitySpecs
{
    private static readonly ShopModule[] Modules = [UsersModule.Definition, ProductsModule.Definition, OrdersModule.Definition];

    /// <summary>
    /// Every wire name a released build has sent. A new message adds its name here; none leaves or changes while a
    /// deployment may still hold messages of that name.
    /// </summary>
    private static readonly string[] ShippedWireNames =
    [
        "users.user-registered", "users.points-deducted", "users.points-deduction-failed",
        "products.product-created", "products.product-price-changed", "products.stock-reserved",
        "products.stock-reservation-failed", "products.stock-released",
        "orders.order-placed", "orders.order-timed-out", "orders.order-payment-cancelled",
    ];

    /// <summary>A module's prefix and a kebab-case name: <c>products.stock-reserved</c>.</summary>
    [GeneratedRegex(@"^(?<module>[a-z]+)\.[a-z0-9]+(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex WireName();

    public static TheoryData<string> ModuleNames() => [.. Modules.Select(module => module.Name)];

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void every_contract_message_has_an_explicit_wire_name_under_its_modules_prefix(string module)
    {
        var messages = MessagesOf(ContractsOf(module));

        Assert.NotEmpty(messages);
        Assert.All(messages, message =>
        {
            var identity = message.GetCustomAttribute<MessageIdentityAttribute>();
            Assert.True(identity is not null, $"{message.FullName} has no [MessageIdentity]: it would go on the wire as its CLR name.");
            var wireName = identity.GetName() ?? string.Empty;
            var name = WireName().Match(wireName);
            Assert.True(name.Success, $"{message.FullName}'s wire name '{wireName}' is not '{module}.kebab-case-name'.");
            // The prefix names the publisher: the broker checks each message's publisher by it (MessagePublishers).
            Assert.Equal(module, name.Groups["module"].Value);
            // The name every envelope carries: Wolverine's, which must be the attribute's.
            Assert.Equal(wireName, message.ToMessageTypeName());
        });
    }

    [Fact]
    public void no_two_messages_share_a_wire_name()
    {
        var duplicates = Modules.SelectMany(module => MessagesOf(ContractsOf(module.Name)))
            .GroupBy(message => message.ToMessageTypeName())
            .Where(group => group.Count() > 1)
            .Select(group => $"{group.Key}: {string.Join(", ", group.Select(message => message.FullName))}")
            .ToList();

        Assert.True(duplicates.Count == 0, $"Wire names used twice: {string.Join("; ", duplicates)}");
    }

    [Fact]
    public void no_shipped_wire_name_is_renamed_or_dropped()
    {
        var current = Modules.SelectMany(module => MessagesOf(ContractsOf(module.Name))).Select(message => message.ToMessageTypeName()).ToHashSet();

        Assert.All(ShippedWireNames, shipped => Assert.True(
            current.Contains(shipped), $"No contract message is named '{shipped}' any more; processes and queued messages still use it."));
    }

    /// <summary><c>ShopModular.Products</c> → <c>ShopModular.Products.Contracts</c>.</summary>
    private static Assembly ContractsOf(string module) =>
        Assembly.Load(Modules.Single(candidate => candidate.Name == module).Assembly.GetName().Name + ".Contracts");

    /// <summary>
    /// The contract's messages: its public types that are neither static holders of constants nor only part of
    /// another message (an order's lines). Found from the assembly, not from the attribute, so that a message
    /// without one is seen.
    /// </summary>
    internal static IReadOnlyList<Type> MessagesOf(Assembly contracts)
    {
        var types = contracts.GetExportedTypes().Where(type => type.IsClass && !(type.IsAbstract && type.IsSealed)).ToList();
        var parts = types.SelectMany(type => type.GetProperties()).SelectMany(property => Components(property.PropertyType)).ToHashSet();
        return [.. types.Where(type => !parts.Contains(type))];
    }

    private static IEnumerable<Type> Components(Type type) =>
        type.IsArray ? Components(type.GetElementType()!)
        : type.IsGenericType ? type.GetGenericArguments().SelectMany(Components)
        : [type];
}
