#!/bin/sh
# Runs once, when the data volume is first created, as the superuser (POSTGRES_USER, here shop, which also owns the
# schemas and runs migrate). A database per module, as in ./shop run --split, and a login role per module that may
# connect to its own database only and there read and write the rows of its schema and of Wolverine's message store:
# no schema changes, no other module's data.
set -eu
for module in orders products users; do
  role="${module}_app"
  password_variable="POSTGRES_$(echo "$module" | tr a-z A-Z)_PASSWORD"
  eval "password=\${$password_variable:?set $password_variable}"
  psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres <<SQL
create role $role login password '$password';
create database shop_$module owner $POSTGRES_USER;
revoke all on database shop_$module from public;
grant connect on database shop_$module to $role;
SQL
  # The schemas exist before the first migration, so that default privileges cover the tables it creates.
  psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "shop_$module" <<SQL
create schema $module;
create schema wolverine;
revoke create on schema public from public;
grant usage on schema $module, wolverine to $role;
alter default privileges in schema $module, wolverine grant select, insert, update, delete on tables to $role;
alter default privileges in schema $module, wolverine grant usage, select on sequences to $role;
SQL
done
