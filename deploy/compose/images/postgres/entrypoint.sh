#!/bin/sh
# The official postgres image's start-up, reduced to what deploy/docker-compose.yml relies on: on a fresh data
# volume, initdb with POSTGRES_USER/POSTGRES_PASSWORD, create POSTGRES_DB, run /docker-entrypoint-initdb.d/*.sh
# (as the postgres user), then serve on every interface of the container with password authentication.
set -eu
PGDATA=/var/lib/postgresql/data
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

# A fresh named volume is owned by root.
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
  user="${POSTGRES_USER:-postgres}"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  chown postgres "$pwfile"
  as_postgres initdb --pgdata="$PGDATA" --username="$user" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo 'host all all all scram-sha-256' >> "$PGDATA/pg_hba.conf"

  # The set-up server listens on a private socket only, unlike the official image's (which uses the usual one):
  # pg_isready, the healthcheck, must not report a server that is about to stop again.
  socket="$(mktemp -d)"
  chown postgres "$socket"
  as_postgres pg_ctl --pgdata="$PGDATA" --wait --silent -o "-c listen_addresses='' -c unix_socket_directories=$socket" start
  export PGHOST="$socket" PGUSER="$user"
  database="${POSTGRES_DB:-$user}"
  if [ "$database" != postgres ]; then
    as_postgres psql -v ON_ERROR_STOP=1 -d postgres -q -c "create database \"$database\""
  fi
  for script in /docker-entrypoint-initdb.d/*.sh; do
    [ -e "$script" ] || continue
    echo "postgres-entrypoint: running $script"
    as_postgres sh "$script"
  done
  as_postgres pg_ctl --pgdata="$PGDATA" --wait --silent -m fast stop
  unset PGHOST PGUSER
  rmdir "$socket"
fi

exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*'
