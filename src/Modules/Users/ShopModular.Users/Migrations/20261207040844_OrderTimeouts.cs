using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ShopModular.Users.Migrations
{
    /// <inheritdoc />
    public partial class OrderTimeouts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "timed_out_at",
                schema: "users",
                table: "points_deductions",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "timed_out_at",
                schema: "users",
                table: "points_deductions");
        }
    }
}
