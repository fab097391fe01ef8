using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace ShopModular.Platform.Persistence;

/// <summary>
/// Set-based SQL for the saga's batch handlers and the API's hot paths: one statement for a whole batch of orders, on
/// the module context's own connection and inside its current transaction (a step's <c>OutboxTransaction</c>), so that
/// it commits or rolls back together with the messages it causes. Parameters are positional (<c>$1</c>) and arrays,
/// so that a statement's text is the same whatever the batch size, and Npgsql prepares it once per connection.
/// </summary>
public static class ModuleSql
{
    /// <summary>Several statements in one round trip; their results are read in order.</summary>
    public static async Task<NpgsqlDataReader> ReadAsync(this DbContext db, CancellationToken cancellationToken, params NpgsqlBatchCommand[] statements)
    {
        var batch = await BatchAsync(db, statements, cancellationToken);
        return await batch.ExecuteReaderAsync(cancellationToken);
    }

    /// <summary>Several statements that return nothing, in one round trip.</summary>
    public static async Task ExecuteAsync(this DbContext db, CancellationToken cancellationToken, params NpgsqlBatchCommand[] statements)
    {
        await using var batch = await BatchAsync(db, statements, cancellationToken);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public static NpgsqlBatchCommand Statement(string sql, params NpgsqlParameter[] parameters)
    {
        var statement = new NpgsqlBatchCommand(sql);
        statement.Parameters.AddRange(parameters);
        return statement;
    }

    public static NpgsqlParameter<T> Value<T>(T value) => new() { TypedValue = value };

    /// <summary>An array of JSON documents, for <c>unnest($n::jsonb[])</c>.</summary>
    public static NpgsqlParameter<string[]> JsonValues(string[] documents) =>
        new() { TypedValue = documents, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb };

    private static async Task<NpgsqlBatch> BatchAsync(DbContext db, NpgsqlBatchCommand[] statements, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var batch = new NpgsqlBatch(connection, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
        foreach (var statement in statements)
        {
            batch.BatchCommands.Add(statement);
        }

        return batch;
    }
}
