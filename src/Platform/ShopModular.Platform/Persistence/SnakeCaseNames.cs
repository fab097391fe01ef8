using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace ShopModular.Platform.Persistence;

public static class SnakeCaseNames
{
    /// <summary>
    /// Names tables, columns, keys and indexes in snake_case, so that an operator in psql never has to quote them, and
    /// the keys of JSON documents in camelCase.
    /// Call at the end of OnModelCreating.
    /// </summary>
    public static ModelBuilder UseSnakeCaseNames(this ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            if (entity.IsMappedToJson())
            {
                // A document inside its owner's column: camelCase keys, as JSON usually has them.
                foreach (var property in entity.GetProperties().Where(property => !property.IsShadowProperty()))
                {
                    property.SetJsonPropertyName(JsonNamingPolicy.CamelCase.ConvertName(property.Name));
                }

                continue;
            }

            if (entity.GetTableName() is { } table)
            {
                entity.SetTableName(ToSnakeCase(table));
            }

            // An owned type in its owner's row shares the owner's key columns, which are named with the owner, and
            // prefixes its own with its name (payment_status beside the order's status).
            var ownership = entity.FindOwnership();
            var ownersRow = ownership is not null && ownership.PrincipalEntityType.GetTableName() == entity.GetTableName()
                ? ownership.PrincipalToDependent!.Name + "_"
                : null;
            foreach (var property in entity.GetProperties().Where(property => !(ownersRow is not null && property.IsPrimaryKey())))
            {
                property.SetColumnName(ToSnakeCase(ownersRow + property.GetColumnName()));
            }

            foreach (var key in entity.GetKeys())
            {
                key.SetName(ToSnakeCase(key.GetName()!));
            }

            foreach (var foreignKey in entity.GetForeignKeys())
            {
                foreignKey.SetConstraintName(ToSnakeCase(foreignKey.GetConstraintName()!));
            }

            foreach (var index in entity.GetIndexes())
            {
                index.SetDatabaseName(ToSnakeCase(index.GetDatabaseName()!));
            }
        }

        return modelBuilder;
    }

    internal static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var startsWord = i > 0 && name[i - 1] != '_' &&
                    (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])));
                if (startsWord)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
