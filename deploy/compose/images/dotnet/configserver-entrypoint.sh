#!/bin/sh
# Stand-in for the genuine Spring Cloud Config server (Steeltoe's image) in a local check: our development config
# server, taking the arguments deploy/docker-compose.yml gives the genuine one. Anything else is refused rather than
# silently ignored, so the stand-in cannot quietly drift from what compose asks.
set -eu
for argument in "$@"; do
  case "$argument" in
    --spring.profiles.active=native) ;;   # native is the only backend ours has
    --spring.cloud.config.server.native.searchLocations=*)
      export spring__cloud__config__server__native__searchLocations="${argument#*=}" ;;
    --auth.enabled=true) ;;               # ours always needs the user outside Development
    --auth.username=*) export spring__security__user__name="${argument#*=}" ;;
    --auth.password=*) export spring__security__user__password="${argument#*=}" ;;
    *) echo "configserver stand-in: unsupported argument ${argument%%=*}" >&2; exit 2 ;;
  esac
done
exec /app/ShopModular.ConfigServer
