namespace ShopModular.Orders;

/// <summary>Settings under <c>Shop:Orders</c>.</summary>
public sealed class OrdersSettings
{
    public const string Section = "Shop:Orders";

    /// <summary>The longest a request may wait for an order to end (<c>Prefer: wait=N</c>); a longer wait is cut to this.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(10);
}
