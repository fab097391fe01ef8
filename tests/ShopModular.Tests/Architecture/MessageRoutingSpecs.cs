using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ShopModular.Orders;
using ShopModular.Platform.Hosting;
using ShopModular.Platform.Messaging;
using ShopModular.Products;
using ShopModular.Tests.Infrastructure;
using ShopModular.Users;
using Wolverine.Runtime;
using Wolverine.Runtime.Routing;
using Wolverine.Util;

namespace ShopModular.Tests.Architecture;

/// <summary>
/// In the split topology a module gets a message only if the broker routes it to the module's queue: the publisher
/// sends to the exchange named by the message's wire name, the exchange is bound to <c>{module}.{wire name}</c>,
/// and the module's process listens on that queue. Those queues come from <see cref="ModuleSubscription.Of"/>, which
/// finds handlers by a convention of its own; the handlers that run come from Wolverine's discovery. Here both are
/// read from a real process hosting the module alone (its Wolverine handler graph, its listeners and routes) and
/// from the broker it declared its topology on, so a handler Wolverine runs but the broker never feeds, or a queue
/// no handler reads, fails. One theory over the module list.
/// </summary>
[Collection(nameof(SingleModuleHosts))]
public sealed class MessageRoutingSpecs(SingleModuleHosts hosts)
{
    private static readonly ShopModule[] Modules = [UsersModule.Definition, ProductsModule.Definition, OrdersModule.Definition];

    public static TheoryData<string> ModuleNames() => [.. SingleModuleHosts.Modules];

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public async Task every_contract_message_a_module_handles_reaches_it_through_the_broker(string module)
    {
        var (host, _) = hosts.For(module);
        var runtime = (WolverineRuntime)host.Services.GetRequiredService<IWolverineRuntime>();
        var broker = host.Services.GetRequiredService<IConfiguration>().GetConnectionString("RabbitMq")!;
        var listening = runtime.Endpoints.ActiveListeners().Select(listener => listener.Uri.ToString()).ToHashSet();

        // What Wolverine runs in this process: a handler of a contract message, or of an array of them (a batched step).
        var handled = runtime.Handlers.AllChains()
            .Select(chain => chain.MessageType.IsArray ? chain.MessageType.GetElementType()! : chain.MessageType)
            .Where(IsContractMessage)
            .Distinct()
            .ToList();

        Assert.NotEmpty(handled);
        var problems = new List<string>();
        foreach (var message in handled)
        {
            var wireName = message.ToMessageTypeName();
            var queue = $"{module}.{wireName}";
            var sentTo = runtime.RoutingFor(message).Routes.OfType<MessageRoute>().Select(route => route.Sender.Destination.ToString()).ToList();
            if (!sentTo.Contains($"rabbitmq://exchange/{wireName}"))
            {
                problems.Add($"{message.Name} is published to [{string.Join(", ", sentTo)}], not to the exchange {wireName}");
            }

            if (!(await QueuesBoundToAsync(broker, wireName)).Contains(queue))
            {
                problems.Add($"the exchange {wireName} is not bound to the queue {queue}");
            }

            if (!listening.Contains($"rabbitmq://queue/{queue}"))
            {
                problems.Add($"{module} handles {message.Name} but does not listen on the queue {queue}");
            }
        }

        // And the other way round: no queue of the module that none of its handlers reads.
        var subscribed = ModuleSubscription.Of(Modules.Single(definition => definition.Name == module)).Select(subscription => subscription.MessageType);
        problems.AddRange(subscribed.Except(handled).Select(message => $"{module} has a queue for {message.Name} that no Wolverine handler reads"));

        Assert.True(problems.Count == 0, $"In the split topology, {module}: {string.Join("; ", problems)}.");
    }

    /// <summary>A type of one of the modules' contracts assemblies (whether or not it is marked as a message).</summary>
    private static bool IsContractMessage(Type type)
    {
        var assembly = type.Assembly.GetName().Name!;
        return assembly.StartsWith("ShopModular.", StringComparison.Ordinal) && assembly.EndsWith(".Contracts", StringComparison.Ordinal);
    }

    /// <summary>The queues the broker routes the exchange's messages to, from its management API.</summary>
    private static async Task<HashSet<string>> QueuesBoundToAsync(string amqpUri, string exchange)
    {
        var virtualHost = Uri.EscapeDataString(Uri.UnescapeDataString(new Uri(amqpUri).AbsolutePath.TrimStart('/')));
        using var management = TestBroker.Management();
        using var response = await management.GetAsync($"api/exchanges/{virtualHost}/{Uri.EscapeDataString(exchange)}/bindings/source");
        if (!response.IsSuccessStatusCode)
        {
            return [];
        }

        var bindings = await response.Content.ReadFromJsonAsync<JsonArray>() ?? [];
        return [.. bindings.Where(binding => binding?["destination_type"]?.GetValue<string>() == "queue")
            .Select(binding => binding!["destination"]!.GetValue<string>())];
    }
}
