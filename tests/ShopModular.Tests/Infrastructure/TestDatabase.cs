using Npgsql;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// Each host under test gets a database of its own on the test PostgreSQL server (<see cref="TestServers"/>),
/// so test classes run in parallel without seeing each other's rows.
/// </summary>
public static class TestDatabase
{
    /// <summary>Set by <c>./shop test</c>: a role that may create databases on a throwaway server.</summary>
    public const string ServerVariable = "SHOP_TEST_DATABASE";

    private static string ServerConnectionString => TestServers.Database;

    public static async Task<string> CreateAsync(string purpose)
    {
        var name = $"shop_{purpose}_{Guid.NewGuid():N}"[..40].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"create database \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, MaxPoolSize = 40 }.ConnectionString;
    }

    public static async Task<List<T>> QueryAsync<T>(string connectionString, string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>
    /// For the reset between tests: a spec that ends while a retried dead letter or a recovered message is
    /// still being handled can hold row locks that a truncate deadlocks with; the database picks a victim, we go again.
    /// </summary>
    public static async Task ExecuteRetryingDeadlocksAsync(string connectionString, string sql)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ExecuteAsync(connectionString, sql);
                return;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 5)
            {
            }
        }
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
