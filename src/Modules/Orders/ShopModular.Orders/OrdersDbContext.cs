using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Persistence;

namespace ShopModular.Orders;

public sealed class OrdersDbContext(DbContextOptions<OrdersDbContext> options) : ModuleDbContext(options, Schema)
{
    public const string Schema = OrdersModule.Name;

    public DbSet<Order> Orders => Set<Order>();

    public DbSet<CatalogProduct> CatalogProducts => Set<CatalogProduct>();

    protected override void ConfigureModel(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Order>(order =>
        {
            order.ToTable("orders");
            order.HasKey(o => o.Id);
            order.Property(o => o.Status).HasConversion<string>().HasMaxLength(20);
            order.Property(o => o.FailureReason).HasMaxLength(40);
            order.Property(o => o.IdempotencyKey).HasMaxLength(PlaceOrder.MaxIdempotencyKeyLength);
            order.Property(o => o.RequestHash).HasMaxLength(PlaceOrder.RequestHashLength);
            order.HasIndex(o => new { o.UserId, o.IdempotencyKey }).IsUnique().HasFilter("idempotency_key is not null");
            order.HasIndex(o => new { o.UserId, o.CreatedAt });
            order.Ignore(o => o.IsTerminal);
            // Columns of the order's own row: payment_status, payment_amount.
            order.OwnsOne(o => o.Payment, payment => payment.Property(p => p.Status).HasConversion<string>().HasMaxLength(20));
            order.OwnsMany(o => o.Items, item => item.ToJson("items"));
            order.OwnsMany(o => o.History, step => step.ToJson("history"));
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
