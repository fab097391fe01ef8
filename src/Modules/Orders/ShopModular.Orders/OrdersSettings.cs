using Microsoft.Extensions.Configuration;

namespace ShopModular.Orders;

/// <summary>Settings under <c>Shop:Orders</c>.</summary>
public sealed class OrdersSettings
{
    public const string Section = "Shop:Orders";

    /// <summary>The longest a request may wait for an order to end (<c>Prefer: wait=N</c>); a longer wait is cut to this.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long an order may stay Pending: past it, <see cref="SagaWatchdog"/> cancels it (reason <c>TimedOut</c>) and
    /// the modules give back what its steps took.
    /// </summary>
    public TimeSpan SagaTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Reads the section; a setting that cannot be read, or a saga timeout that is not positive, stops the host.</summary>
    public static OrdersSettings From(IConfiguration configuration)
    {
        OrdersSettings settings;
        try
        {
            settings = configuration.GetSection(Section).Get<OrdersSettings>() ?? new OrdersSettings();
        }
        catch (InvalidOperationException unreadable)
        {
            throw new InvalidOperationException(
                $"{Section}: {unreadable.Message} Durations are written as hh:mm:ss, for example {Section}:SagaTimeout=00:05:00.", unreadable);
        }

        if (settings.SagaTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException(
                $"{Section}:SagaTimeout is {settings.SagaTimeout}: it must be positive (for example 00:05:00), or no order would ever be given time to end.");
        }

        return settings;
    }
}
