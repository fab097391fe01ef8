using System.Reflection;
using ShopModular.Platform.Hosting;
using Wolverine.Attributes;
using Wolverine.Util;

namespace ShopModular.Platform.Messaging;

/// <summary>
/// One module's handler of one message from the wire, and the broker queue it listens on:
/// <c>{module}.{message identity}</c>, for example <c>users.products.stock-reserved</c>.
/// </summary>
/// <param name="Batched">
/// The handler takes an array of the message (<c>Handle(StockReserved[] batch, ...)</c>): it handles the messages that
/// arrived together in one transaction (see <see cref="BatchedStep{TMessage}"/>).
/// </param>
public sealed record ModuleSubscription(string Module, Type HandlerType, Type MessageType, bool Batched)
{
    /// <summary>The message's stable wire name, which also names the exchange its publisher sends to.</summary>
    public string MessageIdentity => MessageType.ToMessageTypeName();

    public string QueueName => $"{Module}.{MessageIdentity}";

    public static bool IsContract(Type messageType) => messageType.IsDefined(typeof(MessageIdentityAttribute), inherit: false);

    /// <summary>
    /// The module's handlers (Wolverine's convention: a type named *Handler with a Handle method) of messages, or of
    /// arrays of messages, that carry a <see cref="MessageIdentityAttribute"/>, that is, of the modules' public
    /// contracts. Found without starting Wolverine, so that every process can declare the queues of modules it does
    /// not host.
    /// </summary>
    public static IReadOnlyList<ModuleSubscription> Of(ShopModule module) =>
        module.Assembly.GetExportedTypes()
            .Where(type => type.Name.EndsWith("Handler", StringComparison.Ordinal))
            .SelectMany(handler => handler.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance)
                .Where(method => method.Name is "Handle" or "HandleAsync" && method.GetParameters().Length > 0)
                .Select(method => method.GetParameters()[0].ParameterType)
                .Select(parameter => parameter.IsArray ? (Message: parameter.GetElementType()!, Batched: true) : (Message: parameter, Batched: false))
                .Where(handled => IsContract(handled.Message))
                .Select(handled => new ModuleSubscription(module.Name, handler, handled.Message, handled.Batched)))
            .Distinct()
            .ToList();
}
