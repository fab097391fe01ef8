using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Architecture;

/// <summary>Each module's tables live in its own schema, and no foreign key crosses from one schema to another.</summary>
public sealed class SchemaSeparationSpecs(ShopHost fixture) : IClassFixture<ShopHost>
{
    private static readonly string[] ModuleSchemas = ["users", "products", "orders"];

    [Fact]
    public async Task every_table_of_ours_lives_in_its_modules_schema_or_in_the_message_store()
    {
        var schemas = await TestDatabase.QueryAsync(
            fixture.ConnectionString,
            "select distinct table_schema from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema', 'public')",
            reader => reader.GetString(0));

        Assert.All(schemas, schema => Assert.Contains(schema, ModuleSchemas.Append("wolverine")));
        Assert.Equal(["orders", "products", "users", "wolverine"], schemas.Order());
    }

    [Theory]
    [InlineData("users", "users")]
    [InlineData("products", "products")]
    [InlineData("products", "reservations")]
    [InlineData("users", "points_deductions")]
    [InlineData("orders", "orders")]
    [InlineData("orders", "catalog_products")]
    public async Task a_modules_tables_are_in_its_schema_only(string schema, string table)
    {
        var found = await TestDatabase.QueryAsync(
            fixture.ConnectionString,
            $"select table_schema from information_schema.tables where table_name = '{table}'",
            reader => reader.GetString(0));

        Assert.Equal([schema], found);
    }

    [Fact]
    public async Task each_module_keeps_its_migrations_history_in_its_own_schema()
    {
        var histories = await TestDatabase.QueryAsync(
            fixture.ConnectionString,
            "select table_schema from information_schema.tables where table_name = '__EFMigrationsHistory' order by 1",
            reader => reader.GetString(0));

        Assert.Equal(["orders", "products", "users"], histories);
    }

    [Fact]
    public async Task no_foreign_key_crosses_schemas()
    {
        var crossing = await TestDatabase.QueryAsync(
            fixture.ConnectionString,
            """
            select format('%s.%s -> %s.%s', source.nspname, source_table.relname, target.nspname, target_table.relname)
            from pg_constraint c
            join pg_class source_table on source_table.oid = c.conrelid
            join pg_namespace source on source.oid = source_table.relnamespace
            join pg_class target_table on target_table.oid = c.confrelid
            join pg_namespace target on target.oid = target_table.relnamespace
            where c.contype = 'f' and source.nspname <> target.nspname
            """,
            reader => reader.GetString(0));

        Assert.Empty(crossing);
    }
}
