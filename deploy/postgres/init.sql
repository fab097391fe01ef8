-- A database per module, as in ./shop run --split. Runs once, when the data volume is first created.
create database shop_orders owner shop;
create database shop_products owner shop;
create database shop_users owner shop;
