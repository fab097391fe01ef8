using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ShopModular.Products.Migrations
{
    /// <inheritdoc />
    public partial class JsonDocuments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // A reservation becomes one row, its items a JSON document in it.
            migrationBuilder.AddColumn<string>(
                name: "items",
                schema: "products",
                table: "reservations",
                type: "jsonb",
                nullable: true);

            // The reservations already made keep their items (a release puts exactly those units back).
            migrationBuilder.Sql("""
                update products.reservations r
                   set items = coalesce((select jsonb_agg(jsonb_build_object('productId', i.product_id, 'quantity', i.quantity) order by i.product_id)
                                           from products.reservation_items i where i.order_id = r.order_id), '[]')
                """);

            migrationBuilder.DropTable(
                name: "reservation_items",
                schema: "products");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "items",
                schema: "products",
                table: "reservations");

            migrationBuilder.CreateTable(
                name: "reservation_items",
                schema: "products",
                columns: table => new
                {
                    order_id = table.Column<Guid>(type: "uuid", nullable: false),
                    product_id = table.Column<Guid>(type: "uuid", nullable: false),
                    quantity = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reservation_items", x => new { x.order_id, x.product_id });
                    table.ForeignKey(
                        name: "fk_reservation_items_reservations_order_id",
                        column: x => x.order_id,
                        principalSchema: "products",
                        principalTable: "reservations",
                        principalColumn: "order_id",
                        onDelete: ReferentialAction.Cascade);
                });
        }
    }
}
