using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Persistence;

namespace ShopModular.Products;

public sealed class ProductsDbContext(DbContextOptions<ProductsDbContext> options) : DbContext(options)
{
    public const string Schema = ProductsModule.Name;

    public DbSet<Product> Products => Set<Product>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.Entity<Product>(product =>
        {
            product.ToTable("products", table => table.HasCheckConstraint("ck_products_stock_not_negative", "stock >= 0"));
            product.HasKey(p => p.Id);
            product.Property(p => p.Name).HasMaxLength(CreateProduct.MaxNameLength);
            product.Property(p => p.PriceVersion).IsConcurrencyToken();
            product.HasIndex(p => new { p.CreatedAt, p.Id });
        });
        modelBuilder.UseSnakeCaseNames();
    }
}

internal sealed class ProductsDbContextDesignTimeFactory() : ModuleDbContextDesignTimeFactory<ProductsDbContext>(ProductsDbContext.Schema);
