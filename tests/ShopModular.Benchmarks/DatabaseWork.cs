using Npgsql;

namespace ShopModular.Benchmarks;

/// <summary>
/// What PostgreSQL has done so far for the shop's databases: transactions committed or rolled back, and statements
/// run (pg_stat_statements, which the benchmark's cluster loads; Wolverine's own statements included).
/// </summary>
internal sealed record DatabaseWork(long Transactions, long Statements)
{
    public static async Task<DatabaseWork?> ReadAsync(string? connectionString, string[] databases)
    {
        if (connectionString is null || databases.Length == 0)
        {
            return null;
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            select (select coalesce(sum(xact_commit + xact_rollback), 0) from pg_stat_database where datname = any($1)),
                   (select coalesce(sum(s.calls), 0) from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = any($1))
            """,
            connection)
        {
            Parameters = { new NpgsqlParameter<string[]> { TypedValue = databases } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new DatabaseWork((long)reader.GetDecimal(0), (long)reader.GetDecimal(1));
    }
}
