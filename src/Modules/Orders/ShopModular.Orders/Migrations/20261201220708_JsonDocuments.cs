using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ShopModular.Orders.Migrations
{
    /// <inheritdoc />
    public partial class JsonDocuments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // An order becomes one row: its payment in columns of its own, its items and history as JSON documents.
            migrationBuilder.AddColumn<string>(
                name: "history",
                schema: "orders",
                table: "orders",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "items",
                schema: "orders",
                table: "orders",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "payment_amount",
                schema: "orders",
                table: "orders",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "payment_status",
                schema: "orders",
                table: "orders",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                defaultValue: "");

            // The orders already placed keep their items, payment and history.
            migrationBuilder.Sql("""
                update orders.orders o
                   set items = coalesce((select jsonb_agg(jsonb_build_object('productId', i.product_id, 'quantity', i.quantity, 'unitPrice', i.unit_price) order by i.product_id)
                                           from orders.order_items i where i.order_id = o.id), '[]'),
                       history = coalesce((select jsonb_agg(jsonb_build_object('step', h.step, 'at', h.at) order by h.at)
                                             from orders.order_history h where h.order_id = o.id), '[]'),
                       payment_amount = p.amount,
                       payment_status = p.status
                  from orders.payments p
                 where p.order_id = o.id
                """);

            migrationBuilder.DropTable(
                name: "order_history",
                schema: "orders");

            migrationBuilder.DropTable(
                name: "order_items",
                schema: "orders");

            migrationBuilder.DropTable(
                name: "payments",
                schema: "orders");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "history",
                schema: "orders",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "items",
                schema: "orders",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "payment_amount",
                schema: "orders",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "payment_status",
                schema: "orders",
                table: "orders");

            migrationBuilder.CreateTable(
                name: "order_history",
                schema: "orders",
                columns: table => new
                {
                    order_id = table.Column<Guid>(type: "uuid", nullable: false),
                    step = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_order_history", x => new { x.order_id, x.step });
                    table.ForeignKey(
                        name: "fk_order_history_orders_order_id",
                        column: x => x.order_id,
                        principalSchema: "orders",
                        principalTable: "orders",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "order_items",
                schema: "orders",
                columns: table => new
                {
                    order_id = table.Column<Guid>(type: "uuid", nullable: false),
                    product_id = table.Column<Guid>(type: "uuid", nullable: false),
                    quantity = table.Column<int>(type: "integer", nullable: false),
                    unit_price = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_order_items", x => new { x.order_id, x.product_id });
                    table.ForeignKey(
                        name: "fk_order_items_orders_order_id",
                        column: x => x.order_id,
                        principalSchema: "orders",
                        principalTable: "orders",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "payments",
                schema: "orders",
                columns: table => new
                {
                    order_id = table.Column<Guid>(type: "uuid", nullable: false),
                    amount = table.Column<long>(type: "bigint", nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_payments", x => x.order_id);
                    table.ForeignKey(
                        name: "fk_payments_orders_order_id",
                        column: x => x.order_id,
                        principalSchema: "orders",
                        principalTable: "orders",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });
        }
    }
}
