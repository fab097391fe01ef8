using Npgsql;

namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// Holds a buyer's row in the Users database locked, as a long transaction of another process would: the saga's
/// payment step waits for the lock, so the buyer's orders stay Pending until the hold is disposed.
/// </summary>
public sealed class PaymentHold : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private PaymentHold(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    public static async Task<PaymentHold> OfAsync(string usersConnectionString, Guid buyer)
    {
        var connection = new NpgsqlConnection(usersConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("select 1 from users.users where id = $1 for update", connection, transaction)
        {
            Parameters = { new NpgsqlParameter<Guid> { TypedValue = buyer } },
        };
        await command.ExecuteNonQueryAsync();
        return new PaymentHold(connection, transaction);
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
