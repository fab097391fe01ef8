using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Persistence;

namespace ShopModular.Products;

public sealed class ProductsDbContext(DbContextOptions<ProductsDbContext> options) : ModuleDbContext(options, Schema)
{
    public const string Schema = ProductsModule.Name;

    public DbSet<Product> Products => Set<Product>();

    public DbSet<Reservation> Reservations => Set<Reservation>();

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
            reservation.OwnsMany(r => r.Items, item => item.ToJson("items"));
        });
    }
}

internal sealed class ProductsDbContextDesignTimeFactory() : ModuleDbContextDesignTimeFactory<ProductsDbContext>(ProductsDbContext.Schema);
