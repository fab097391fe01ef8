using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Persistence;

namespace ShopModular.Products;

public sealed class ProductsDbContext(DbContextOptions<ProductsDbContext> options) : ModuleDbContext(options, Schema)
{
    public const string Schema = ProductsModule.Name;

    public DbSet<Product> Products => Set<Product>();

    public DbSet<Reservation> Reservations => Set<Reservation>();

    /// <summary>
    /// Loads and row-locks the products, in id order so that two orders locking the same products cannot deadlock.
    /// Stock read under the lock cannot change until this transaction ends.
    /// </summary>
    public Task<List<Product>> LockProductsAsync(IEnumerable<Guid> productIds, CancellationToken cancellationToken)
    {
        var ids = productIds.Order().ToArray();
        return Products
            .FromSql($"select * from products.products where id = any({ids}) order by id for update")
            .ToListAsync(cancellationToken);
    }

    /// <summary>Loads and row-locks an order's reservation, so that two deliveries of one message take turns.</summary>
    public async Task<Reservation?> LockReservationAsync(Guid orderId, CancellationToken cancellationToken)
    {
        await Database.ExecuteSqlAsync($"select 1 from products.reservations where order_id = {orderId} for update", cancellationToken);
        return await Reservations.SingleOrDefaultAsync(reservation => reservation.OrderId == orderId, cancellationToken);
    }

    protected override void ConfigureModel(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Product>(product =>
        {
            product.ToTable("products", table => table.HasCheckConstraint("ck_products_stock_not_negative", "stock >= 0"));
            product.HasKey(p => p.Id);
            product.Property(p => p.Name).HasMaxLength(CreateProduct.MaxNameLength);
            product.Property(p => p.PriceVersion).IsConcurrencyToken();
            product.HasIndex(p => new { p.CreatedAt, p.Id });
        });
        modelBuilder.Entity<Reservation>(reservation =>
        {
            reservation.ToTable("reservations");
            reservation.HasKey(r => r.OrderId);
            reservation.Property(r => r.Status).HasConversion<string>().HasMaxLength(20);
            reservation.OwnsMany(r => r.Items, item =>
            {
                item.ToTable("reservation_items");
                item.WithOwner().HasForeignKey("OrderId");
                item.HasKey("OrderId", nameof(ReservationItem.ProductId));
            });
        });
    }
}

internal sealed class ProductsDbContextDesignTimeFactory() : ModuleDbContextDesignTimeFactory<ProductsDbContext>(ProductsDbContext.Schema);
