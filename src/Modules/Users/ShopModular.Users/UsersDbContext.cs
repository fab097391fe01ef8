using Microsoft.EntityFrameworkCore;
using ShopModular.Platform.Persistence;

namespace ShopModular.Users;

public sealed class UsersDbContext(DbContextOptions<UsersDbContext> options) : ModuleDbContext(options, Schema)
{
    public const string Schema = UsersModule.Name;

    public DbSet<User> Users => Set<User>();

    public DbSet<PointsDeduction> PointsDeductions => Set<PointsDeduction>();

    protected override void ConfigureModel(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<User>(user =>
        {
            user.ToTable("users", table => table.HasCheckConstraint("ck_users_points_not_negative", "points >= 0"));
            user.HasKey(u => u.Id);
            user.Property(u => u.Email).HasMaxLength(RegisterUser.MaxEmailLength);
            user.HasIndex(u => u.Email).IsUnique();
            user.Property(u => u.Name).HasMaxLength(RegisterUser.MaxNameLength);
            user.Property(u => u.PasswordHash).HasMaxLength(200);
            user.Ignore(u => u.Roles);
        });
        modelBuilder.Entity<PointsDeduction>(deduction =>
        {
            deduction.ToTable("points_deductions");
            deduction.HasKey(d => d.OrderId);
        });
    }
}

internal sealed class UsersDbContextDesignTimeFactory() : ModuleDbContextDesignTimeFactory<UsersDbContext>(UsersDbContext.Schema);
