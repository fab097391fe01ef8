using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Persistence;

namespace ShopModular.Orders;

public sealed class OrdersDbContext(DbContextOptions<OrdersDbContext> options) : ModuleDbContext(options, Schema)
{
    public const string Schema = OrdersModule.Name;

    public DbSet<Order> Orders => Set<Order>();

    public DbSet<CatalogProduct> CatalogProducts => Set<CatalogProduct>();

    /// <summary>
    /// The order with its payment, items and history, row-locked for a saga step: two modules' events for one
    /// order (say StockReserved and PointsDeducted) take turns instead of failing on the concurrency token and retrying.
    /// </summary>
    public async Task<Order?> LockOrderAsync(Guid orderId, CancellationToken cancellationToken)
    {
        await Database.ExecuteSqlAsync($"select 1 from orders.orders where id = {orderId} for update", cancellationToken);
        return await Orders.SingleOrDefaultAsync(order => order.Id == orderId, cancellationToken);
    }

    protected override void ConfigureModel(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Order>(order =>
        {
            order.ToTable("orders");
            order.HasKey(o => o.Id);
            order.Property(o => o.Status).HasConversion<string>().HasMaxLength(20);
            order.Property(o => o.FailureReason).HasMaxLength(40);
            order.Property(o => o.IdempotencyKey).HasMaxLength(PlaceOrder.MaxIdempotencyKeyLength);
            order.Property(o => o.Version).IsRowVersion().HasColumnName("xmin");
            order.HasIndex(o => new { o.UserId, o.IdempotencyKey }).IsUnique().HasFilter("idempotency_key is not null");
            order.HasIndex(o => new { o.UserId, o.CreatedAt });
            order.Ignore(o => o.IsTerminal);
            order.OwnsOne(o => o.Payment, payment =>
            {
                payment.ToTable("payments");
                payment.WithOwner().HasForeignKey("OrderId");
                payment.Property(p => p.Status).HasConversion<string>().HasMaxLength(20);
            });
            order.OwnsMany(o => o.Items, item =>
            {
                item.ToTable("order_items");
                item.WithOwner().HasForeignKey("OrderId");
                item.HasKey("OrderId", nameof(OrderItem.ProductId));
            });
            order.OwnsMany(o => o.History, step =>
            {
                step.ToTable("order_history");
                step.WithOwner().HasForeignKey("OrderId");
                // One row per step: a redelivered saga message can never record its step twice.
                step.HasKey("OrderId", nameof(OrderStep.Step));
                step.Property(s => s.Step).HasMaxLength(40);
            });
        });
        modelBuilder.Entity<CatalogProduct>(product =>
        {
            product.ToTable("catalog_products");
            product.HasKey(p => p.ProductId);
            product.Property(p => p.Name).HasMaxLength(200);
            // Two price changes handled at once: the later commit fails, is retried, and then sees the newer version.
            product.Property(p => p.PriceVersion).IsConcurrencyToken();
        });
    }
}

internal sealed class OrdersDbContextDesignTimeFactory() : ModuleDbContextDesignTimeFactory<OrdersDbContext>(OrdersDbContext.Schema);
