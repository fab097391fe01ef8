using Npgsql;

namespace ShopModular.AppHost;

/// <summary>The topology's databases: owned by the role <c>shop</c>, which runs the migrations.</summary>
public static class ShopDatabases
{
    /// <summary>
    /// On the private cluster: the owner role and each database; with <paramref name="modulePasswords"/> (split), also
    /// each module's own login role, which may connect to its database only and there read and write the rows of its
    /// schema and of Wolverine's message store, and nothing else (no schema changes, no other module's database).
    /// </summary>
    public static async Task PrepareAsync(LocalPostgres postgres, string[] databases, IReadOnlyDictionary<string, string> modulePasswords, CancellationToken cancellationToken)
    {
        await postgres.ExecuteAsync("postgres",
            "do $$ begin if not exists (select from pg_roles where rolname = 'shop') then create role shop login createdb password 'shop'; end if; end $$;",
            cancellationToken);
        foreach (var database in databases)
        {
            if (!await postgres.DatabaseExistsAsync(database, cancellationToken))
            {
                await postgres.ExecuteAsync("postgres", $"create database \"{database}\" owner shop", cancellationToken);
            }
        }

        foreach (var (module, password) in modulePasswords)
        {
            var role = $"{module}_app";
            var database = $"shop_{module}";
            await postgres.ExecuteAsync("postgres", $"""
                do $$ begin if not exists (select from pg_roles where rolname = '{role}') then create role {role} login; end if; end $$;
                alter role {role} with login nocreatedb nocreaterole password '{password}';
                revoke all on database "{database}" from public;
                grant connect on database "{database}" to {role};
                """, cancellationToken);
            // The schemas exist before the first migration, so that default privileges cover the tables it creates.
            await postgres.ExecuteAsync(database, $"""
                create schema if not exists {module} authorization shop;
                create schema if not exists wolverine authorization shop;
                revoke create on schema public from public;
                grant usage on schema {module}, wolverine to {role};
                grant select, insert, update, delete on all tables in schema {module}, wolverine to {role};
                grant usage, select on all sequences in schema {module}, wolverine to {role};
                alter default privileges for role shop in schema {module}, wolverine grant select, insert, update, delete on tables to {role};
                alter default privileges for role shop in schema {module}, wolverine grant usage, select on sequences to {role};
                """, cancellationToken);
        }
    }

    /// <summary>On a server of the user's (<c>SHOP_DATABASE_SERVER</c>): database <paramref name="name"/>, created when missing, owned by its role.</summary>
    public static void CreateOnServer(string server, string name)
    {
        using var session = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString);
        session.Open();
        using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @name", session);
        exists.Parameters.AddWithValue("name", name);
        if (exists.ExecuteScalar() is null)
        {
            using var create = new NpgsqlCommand($"create database \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", session);
            create.ExecuteNonQuery();
        }
    }
}
