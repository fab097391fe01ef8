using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using ShopModular.Platform.Persistence;

namespace ShopModular.Platform.Observability;

/// <summary>Ready when every database this process's modules use answers a trivial query.</summary>
internal sealed class DatabaseHealthCheck(IEnumerable<ModuleDatabase> databases) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        foreach (var connectionString in databases.Select(database => database.ConnectionString).Distinct())
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("select 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
                return HealthCheckResult.Unhealthy($"Database {database} does not answer.", exception);
            }
        }

        return HealthCheckResult.Healthy();
    }
}
