using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ShopModular.Orders.Migrations
{
    /// <inheritdoc />
    public partial class IdempotencyRequestHash : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Orders placed before keep null: what they were placed with is unknown, so their key is honoured as before.
            migrationBuilder.AddColumn<string>(
                name: "request_hash",
                schema: "orders",
                table: "orders",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "request_hash",
                schema: "orders",
                table: "orders");
        }
    }
}
