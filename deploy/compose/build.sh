#!/usr/bin/env bash
# Builds, with podman and nothing from a container registry, every image deploy/docker-compose.yml starts except
# Grafana's (Debian has no Grafana package):
#   - a Debian bookworm base (debootstrap, minbase) imported with `podman import`;
#   - PostgreSQL, RabbitMQ and Prometheus from Debian's packages on that base (deploy/compose/images/*);
#   - the module host and the gateway, published self-contained;
#   - stand-ins for the genuine Eureka and Config Server images: our development registry and config server, behind
#     small adapters that take the genuine images' settings (images/dotnet/*-entrypoint.sh).
# Each image carries a hash of its inputs: an image whose inputs did not change is not built again, so a second run
# takes seconds. Run as root: deploy/compose/build.sh (check.sh runs it first).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MIRROR="${SHOP_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${SHOP_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
IMAGES="$COMPOSE_DIR/images"

# hash_of WORD... -- PATH...: a short hash of the words and of the contents of the files under the paths that git
# tracks or would track (bin/, obj/ and the rest of .gitignore stay out).
hash_of() {
  local words=()
  while [ "$1" != -- ]; do words+=("$1"); shift; done
  shift
  {
    printf '%s\n' "${words[@]}"
    [ $# -eq 0 ] || (cd "$ROOT" && git ls-files --cached --others --exclude-standard -z -- "$@" | sort -z \
      | while IFS= read -r -d '' file; do [ -f "$file" ] && printf '%s\0' "$file"; done \
      | xargs -0 -r sha256sum)
  } | sha256sum | cut -c1-16
}

# build IMAGE HASH CONTEXT CONTAINERFILE [BUILD-ARG...]: builds IMAGE unless it was built from HASH already; the image
# it replaces is removed (only that one: other images on the machine are none of our business).
build() {
  local image="$1" hash="$2" context="$3" containerfile="$4" old argument
  shift 4
  if [ "$(image_inputs "$image")" = "$hash" ]; then
    log "$image: up to date"
    return 0
  fi
  old="$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
  local args=(--layers --label "$INPUTS_LABEL=$hash" --build-arg "BASE=$BASE_IMAGE")
  for argument in "$@"; do args+=(--build-arg "$argument"); done
  log "$image: building"
  nice podman build "${args[@]}" -f "$containerfile" -t "$image" "$context" > "$STATE/logs/build-${image##*/}.log" 2>&1 \
    || { tail -30 "$STATE/logs/build-${image##*/}.log" >&2; die "building $image failed (log: $STATE/logs/build-${image##*/}.log)"; }
  [ -z "$old" ] || [ "$old" = "$(podman image inspect --format '{{.Id}}' "$image")" ] || podman rmi "$old" >/dev/null 2>&1 || true
}

# The base: bookworm minbase from the Debian mirror, with the security and updates suites, and apt told that nothing
# it installs may start a service (there is no init in a container).
build_base() {
  local hash rootfs="$STATE/rootfs"
  # Bump the recipe's number when this function changes what goes into the base.
  hash="$(hash_of "base recipe 1: debootstrap --variant=minbase bookworm $MIRROR $SECURITY_MIRROR" --)"
  if [ "$(image_inputs "$BASE_IMAGE")" = "$hash" ]; then
    log "$BASE_IMAGE: up to date"
    return 0
  fi
  apt_install debootstrap
  log "$BASE_IMAGE: debootstrap bookworm (minbase)"
  rm -rf "$rootfs"
  nice debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" > "$STATE/logs/debootstrap.log" 2>&1 \
    || { tail -30 "$STATE/logs/debootstrap.log" >&2; die "debootstrap failed (log: $STATE/logs/debootstrap.log)"; }
  cat > "$rootfs/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
EOF
  printf '#!/bin/sh\n# No service starts at install time in an image.\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
  chmod +x "$rootfs/usr/sbin/policy-rc.d"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  local old
  old="$(podman image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true)"
  tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' --change "LABEL $INPUTS_LABEL=$hash" - "$BASE_IMAGE" > "$STATE/logs/import.log" 2>&1
  rm -rf "$rootfs"
  # The images on the old base are rebuilt below (their hashes include the base's id); the old base goes with them.
  [ -z "$old" ] || podman rmi "$old" >/dev/null 2>&1 || true
}

# publish PROJECT CONTEXT ENTRYPOINT: a self-contained linux-x64 publish into CONTEXT/app, with app/entrypoint the
# process itself (a relative link) or an adapter script. bin/ and obj/ go under the state folder, so that the
# working tree's own builds (./shop test, possibly running meanwhile) never see a RID-specific restore.
publish() {
  local project="$1" context="$2" entrypoint="$3" name
  name="$(basename "$project" .csproj)"
  rm -rf "$context"
  mkdir -p "$context"
  log "publishing $name (self-contained, linux-x64)"
  nice dotnet publish "$ROOT/$project" -c Release -r linux-x64 --self-contained \
    --artifacts-path "$STATE/artifacts" -o "$context/app" > "$STATE/logs/publish-$name.log" 2>&1 \
    || { tail -30 "$STATE/logs/publish-$name.log" >&2; die "publishing $name failed (log: $STATE/logs/publish-$name.log)"; }
  if [ -f "$entrypoint" ]; then
    install -m 755 "$entrypoint" "$context/app/entrypoint"
  else
    ln -s "$entrypoint" "$context/app/entrypoint"
  fi
}

# dotnet_image IMAGE PROJECT PORT ENTRYPOINT: one .NET process's image, published only when it needs building.
dotnet_image() {
  local image="$1" project="$2" port="$3" entrypoint="$4" hash context
  context="$STATE/context/${image##*/}"
  context="${context%%:*}"
  hash="$(hash_of "$base_id $port $entrypoint" -- src Directory.Build.props Directory.Packages.props global.json \
    deploy/compose/images/dotnet)"
  if [ "$(image_inputs "$image")" = "$hash" ]; then
    log "$image: up to date"
    return 0
  fi
  case "$entrypoint" in /*) ;; *) [ ! -f "$IMAGES/dotnet/$entrypoint" ] || entrypoint="$IMAGES/dotnet/$entrypoint" ;; esac
  publish "$project" "$context" "$entrypoint"
  build "$image" "$hash" "$context" "$IMAGES/dotnet/Containerfile" "PORT=$port"
  rm -rf "$context"
}

main() {
  local server variable
  need_root
  setup_podman
  mkdir -p "$STATE/logs"
  build_base
  base_id="$(podman image inspect --format '{{.Id}}' "$BASE_IMAGE")"

  for server in postgres rabbitmq prometheus; do
    variable="$(echo "$server" | tr a-z A-Z)_IMAGE"
    build "${!variable}" "$(hash_of "$base_id" -- "deploy/compose/images/$server")" \
      "$IMAGES/$server" "$IMAGES/$server/Containerfile"
  done

  dotnet_image "$SHOP_IMAGE" src/Host/ShopModular.Host/ShopModular.Host.csproj 8080 ShopModular.Host
  dotnet_image "$SHOP_GATEWAY_IMAGE" src/Host/ShopModular.Gateway/ShopModular.Gateway.csproj 8080 ShopModular.Gateway
  dotnet_image "$EUREKA_IMAGE" src/Dev/ShopModular.Registry/ShopModular.Registry.csproj 8761 registry-entrypoint.sh
  dotnet_image "$CONFIG_SERVER_IMAGE" src/Dev/ShopModular.ConfigServer/ShopModular.ConfigServer.csproj 8888 \
    configserver-entrypoint.sh
  log "images ready"
}

main "$@"
# Whatever main returns, stop here: bash reads a script as it runs, and this file may change meanwhile.
exit $?
