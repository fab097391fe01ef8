#!/usr/bin/env bash
# Starts deploy/docker-compose.yml for real on this machine (podman, no Docker engine, no container registry) and checks
# it works end to end:
#   1. builds the images locally (build.sh; unchanged images are kept);
#   2. compose without its secrets must refuse to start, and each secret left out alone must be refused by name;
#   3. brings the split topology up (every service but Grafana, which has no image here) and waits until each is
#      healthy: PostgreSQL and RabbitMQ by their healthchecks, the one-shot services by their exit status, every
#      process registered UP in the registry, the gateway ready and routing to every module;
#   4. through the gateway: the administrator adds a product, a new user registers, signs in and places orders, which
#      must complete (stock and points taken);
#   5. Prometheus must find every process in the registry and scrape it (each target up);
#   6. takes everything down again, volumes and network included, and checks that nothing of it is left.
# Run as root: deploy/compose/check.sh (or ./shop compose-check). Published ports: SHOP_PORT (5080), EUREKA_PORT
# (8761), PROMETHEUS_PORT (9090), RABBITMQ_MANAGEMENT_PORT (15672), all on 127.0.0.1. SHOP_COMPOSE_ORDERS: how many
# orders of one mug (15.00) to place, 3 by default (a new account's 10000 points pay for 6). SHOP_COMPOSE_PROJECT:
# the compose project's name (shopmodular-check), by whose label everything it starts is found and removed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PROJECT="${SHOP_COMPOSE_PROJECT:-shopmodular-check}"
ORDERS="${SHOP_COMPOSE_ORDERS:-3}"
export SHOP_PORT="${SHOP_PORT:-5080}" EUREKA_PORT="${EUREKA_PORT:-8761}" PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
export RABBITMQ_MANAGEMENT_PORT="${RABBITMQ_MANAGEMENT_PORT:-15672}"
SERVICES=(postgres rabbitmq broker-users migrate-orders migrate-products migrate-users eureka configserver
  orders products users gateway prometheus)
# What registers in the registry and what Prometheus must scrape (lower case, as the relabelling names them).
PROCESSES=(orders products users gateway)
RUN="$STATE/run"
API="http://127.0.0.1:$SHOP_PORT"

SERVICE_PID=""
HEALTH_PID=""
STARTED=""
started_at=$SECONDS

# Compose through podman's Docker-compatible API, with Debian's docker-compose 1.29: it waits for
# `condition: service_healthy` and `service_completed_successfully`, which podman-compose 1.0.3 ignores (it only orders
# the starts, so the modules would start before their migrations). docker-compose 1.29 predates the top-level `name:`
# key, so it gets a copy of the file without that line (the project is named with -p instead); paths stay relative
# to deploy/ (--project-directory).
compose() {
  docker-compose -f "$RUN/docker-compose.yml" --project-directory "$ROOT/deploy" -p "$PROJECT" "$@"
}

# until_ok SECONDS WHAT COMMAND...: runs COMMAND every 2 s until it succeeds; fails naming WHAT after SECONDS.
until_ok() {
  local seconds="$1" what="$2" deadline=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt "$deadline" ] || die "$what: not within $seconds s"
    sleep 2
  done
}

# leftovers KIND: ids of the project's containers, volumes or networks (compose labels all three).
leftovers() {
  local all=()
  [ "$1" != container ] || all=(--all)   # stopped ones too
  podman "$1" ls "${all[@]}" -q --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null
}

# On every exit: logs kept after a failure, everything compose made taken down, the socket and the health loop
# stopped. Anything `compose down` did not remove is removed by id and fails the check.
cleanup() {
  local status=$? kind left
  trap '' INT TERM
  set +e
  if [ -n "$STARTED" ]; then
    if [ "$status" != 0 ]; then
      compose logs --no-color > "$STATE/logs/compose.log" 2>&1
      log "the services' logs are in $STATE/logs/compose.log"
    fi
    log "compose down (containers, network, volumes)"
    compose down --volumes --remove-orphans --timeout 10 > "$STATE/logs/down.log" 2>&1
    for kind in container volume network; do
      left="$(leftovers "$kind")"
      [ -z "$left" ] && continue
      log "error: compose down left ${kind}s behind: $(echo $left); removing them"
      podman "$kind" rm -f $left >/dev/null
      status=1
    done
    [ "$status" != 0 ] || log "nothing left behind"
  fi
  [ -z "$HEALTH_PID" ] || { kill "$HEALTH_PID"; wait "$HEALTH_PID"; } 2>/dev/null
  [ -z "$SERVICE_PID" ] || { kill "$SERVICE_PID"; wait "$SERVICE_PID"; } 2>/dev/null
  rm -rf "$RUN"
  if [ "$status" = 0 ]; then log "passed in $((SECONDS - started_at)) s"; else log "FAILED after $((SECONDS - started_at)) s"; fi
  exit "$status"
}

# container SERVICE: the id of the service's (first) container.
container() {
  podman ps -aq --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" | head -1
}

# registered_up APP: the registry lists an instance of APP whose status is UP.
registered_up() {
  curl -sf -H 'Accept: application/json' "http://127.0.0.1:$EUREKA_PORT/eureka/apps/${1^^}" \
    | jq -e '[.application.instance | if type == "array" then .[] else . end | select(.status == "UP")] | length > 0'
}

# gateway_routes_to SERVICE: the gateway's own count of the instances of SERVICE it would forward to is not zero.
gateway_routes_to() {
  grep -Eq "^shop_gateway_instances_up\{service=\"$1\"\} [1-9]" <<< "$(curl -sf "$API/metrics")"
}

# call METHOD PATH [TOKEN [BODY [HEADER...]]]: the answer's body, through the gateway; fails loudly on an HTTP error.
call() {
  local method="$1" path="$2" token="${3:-}" body="${4:-}" header
  shift 4 2>/dev/null || shift $#
  local args=(-sS --fail-with-body -X "$method" "$API$path" -H 'Content-Type: application/json')
  [ -z "$token" ] || args+=(-H "Authorization: Bearer $token")
  [ -z "$body" ] || args+=(-d "$body")
  for header in "$@"; do args+=(-H "$header"); done
  curl "${args[@]}"
}

# token EMAIL PASSWORD: an access token.
token() { call POST /api/auth/token "" "{\"email\":\"$1\",\"password\":\"$2\"}" | jq -r .accessToken; }

# targets_up: Prometheus' active targets are exactly the processes, each up.
targets_up() {
  curl -sf "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/targets?state=active" | jq -e --argjson want \
    "$(printf '%s\n' "${PROCESSES[@]}" | jq -R . | jq -s -c 'sort')" \
    '(.data.activeTargets | all(.health == "up")) and ([.data.activeTargets[].labels.app] | unique == $want)'
}

# podman's API on a socket of our own, for as long as this check runs, and the healthchecks run every 5 s (the
# services' interval): no systemd here to run them (DISABLE_HC_SYSTEMD), and `podman wait --condition=healthy` does
# not exist in 4.3. Containers without a healthcheck have health "none" and are skipped.
start_podman_api() {
  export DISABLE_HC_SYSTEMD=true DOCKER_HOST="unix://$RUN/podman.sock"
  podman system service --time=0 "$DOCKER_HOST" > "$STATE/logs/podman-service.log" 2>&1 &
  SERVICE_PID=$!
  until_ok 30 "podman's API socket" curl -sf --unix-socket "$RUN/podman.sock" http://podman/_ping
  (
    while sleep 5; do
      for health in starting healthy unhealthy; do
        for id in $(podman ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "health=$health"); do
          podman healthcheck run "$id" >/dev/null 2>&1 || true
        done
      done
    done
  ) &
  HEALTH_PID=$!
}

# Compose without its secrets refuses to start and creates nothing; and each secret is required on its own: with all
# the others given, leaving out just that one is refused, naming it. (Compose names one missing variable at a time.)
refuses_without_secrets() {
  local refusal variable required
  log "compose without its secrets must refuse to start"
  refusal="$(env -i PATH="$PATH" DOCKER_HOST="$DOCKER_HOST" docker-compose -f "$RUN/docker-compose.yml" \
    --project-directory "$ROOT/deploy" -p "$PROJECT" up -d --no-build "${SERVICES[@]}" 2>&1)" \
    && die "compose started without secrets"
  grep -Eq 'set [A-Z_]+' <<< "$refusal" || die "compose refused, but without naming the secret: $refusal"
  [ -z "$(leftovers container)$(leftovers network)$(leftovers volume)" ] || die "compose refused but created something"
  log "refused: $(grep -Eo 'in service "[^"]+": set [A-Z_]+.*' <<< "$refusal" | head -1)"
  required="$(grep -Eo '\$\{[A-Z_]+:\?' "$RUN/docker-compose.yml" | tr -d '${:?' | sort -u)"
  for variable in $required; do
    refusal="$(env -u "$variable" docker-compose -f "$RUN/docker-compose.yml" --project-directory "$ROOT/deploy" \
      -p "$PROJECT" config -q 2>&1)" && die "compose accepts no $variable"
    grep -Eq "\": set ${variable}( |$)" <<< "$refusal" || die "compose refused without $variable but named another: $refusal"
  done
  log "each of $(wc -w <<< "$required") secrets is required and named when missing: $(echo $required)"
}

# Secrets for this run only: made up here, gone with $RUN. Passwords are letters and digits (some go in URLs).
make_secrets() {
  secret() { openssl rand -hex 16; }
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$RUN/jwt-private.pem" 2>/dev/null
  openssl pkey -in "$RUN/jwt-private.pem" -pubout -out "$RUN/jwt-public.pem" 2>/dev/null
  SHOP_JWT_PRIVATE_KEY="$(cat "$RUN/jwt-private.pem")"
  SHOP_JWT_PUBLIC_KEY="$(cat "$RUN/jwt-public.pem")"
  export SHOP_JWT_PRIVATE_KEY SHOP_JWT_PUBLIC_KEY
  export SHOP_ADMIN_PASSWORD="$(secret)" POSTGRES_PASSWORD="$(secret)" POSTGRES_ORDERS_PASSWORD="$(secret)"
  export POSTGRES_PRODUCTS_PASSWORD="$(secret)" POSTGRES_USERS_PASSWORD="$(secret)" RABBITMQ_PASSWORD="$(secret)"
  export RABBITMQ_ORDERS_PASSWORD="$(secret)" RABBITMQ_PRODUCTS_PASSWORD="$(secret)" RABBITMQ_USERS_PASSWORD="$(secret)"
  export GRAFANA_PASSWORD="$(secret)" EUREKA_USER=shop EUREKA_PASSWORD="$(secret)" CONFIG_USER=shop CONFIG_PASSWORD="$(secret)"
}

wait_until_healthy() {
  local service process
  for service in postgres rabbitmq; do
    until_ok 120 "$service healthy" test "$(podman inspect --format '{{.State.Health.Status}}' "$(container "$service")")" = healthy
  done
  for service in broker-users migrate-orders migrate-products migrate-users; do
    [ "$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$(container "$service")")" = "exited 0" ] \
      || die "$service did not complete: $(podman logs --tail 20 "$(container "$service")" 2>&1)"
  done
  for process in "${PROCESSES[@]}"; do
    until_ok 180 "$process registered UP in the registry" registered_up "$process"
  done
  until_ok 120 "the gateway ready" curl -sf "$API/health/ready"
  # Ready means the gateway has a fresh copy of the registry, not yet one with every module in it (it fetches every
  # 5 s): the first sign-in met a 503 before this wait.
  for process in orders products users; do
    until_ok 60 "the gateway routing to $process" gateway_routes_to "$process"
  done
  log "every service up and healthy $((SECONDS - UP_AT)) s after compose up began"
}

# The README's walk-through, through the gateway, with compose's administrator (SHOP_ADMIN_PASSWORD).
place_orders() {
  local admin product ada order answer deadline stock
  admin="$(token admin@shopmodular.local "$SHOP_ADMIN_PASSWORD")"
  product="$(call POST /api/products "$admin" '{"name":"Mug","price":1500,"stock":10}' | jq -r .id)"
  call POST /api/users "" '{"email":"ada@example.org","password":"correct-horse","name":"Ada"}' >/dev/null
  ada="$(token ada@example.org correct-horse)"
  log "product $product added, Ada registered and signed in"
  # Orders learns of the product from Products' ProductCreated event, a moment after Products answered: an order
  # placed before is refused (400 "There is no product"), so each is tried again for a while.
  for order in $(seq 1 "$ORDERS"); do
    deadline=$((SECONDS + 30))
    until answer="$(call POST /api/orders "$ada" "{\"items\":[{\"productId\":\"$product\",\"quantity\":1}]}" \
                      'Prefer: wait=10' "Idempotency-Key: compose-check-$order" 2>&1)"; do
      grep -q 'There is no product' <<< "$answer" && [ $SECONDS -lt $deadline ] || die "order $order refused: $answer"
      sleep 1
    done
    [ "$(jq -r '.status + " " + .payment.status' <<< "$answer")" = "Completed Paid" ] \
      || die "order $order did not complete: $answer"
    log "order $order: Completed, Paid"
  done
  stock="$(call GET "/api/products/$product" "$admin" | jq -r .stock)"
  [ "$stock" = $((10 - ORDERS)) ] || die "stock is $stock after $ORDERS orders of 1 from 10"
  log "stock went from 10 to $stock"
}

# compose_up: every service started, in dependency order, waiting for healthchecks and one-shot services on the way.
compose_up() {
  timeout 600 docker-compose -f "$RUN/docker-compose.yml" --project-directory "$ROOT/deploy" -p "$PROJECT" \
    up -d --no-build "${SERVICES[@]}" > "$STATE/logs/up.log" 2>&1
}

main() {
  local variable
  need_root
  apt_install podman runc docker-compose debootstrap curl jq openssl iproute2
  setup_podman
  "$COMPOSE_DIR/build.sh"
  log "images built in $((SECONDS - started_at)) s"

  for variable in SHOP_PORT EUREKA_PORT PROMETHEUS_PORT RABBITMQ_MANAGEMENT_PORT; do
    ! ss -Htln "sport = :${!variable}" | grep -q . || die "port ${!variable} is taken: set $variable to another"
  done
  [ -z "$(leftovers container)" ] \
    || die "containers of project $PROJECT exist already (another check running?); SHOP_COMPOSE_PROJECT names another"

  rm -rf "$RUN"
  mkdir -p "$RUN"
  chmod 700 "$RUN"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  sed '/^name: /d' "$ROOT/deploy/docker-compose.yml" > "$RUN/docker-compose.yml"
  start_podman_api
  make_secrets
  refuses_without_secrets

  log "compose up: ${SERVICES[*]}"
  STARTED=1
  UP_AT=$SECONDS
  if ! compose_up; then
    # Podman's DNS server here (aardvark-dns 1.4) drops queries while it reloads, which it does each time a container
    # joins the network (containers/aardvark-dns#389, fixed in later versions): a one-shot service starting alongside
    # others now and then cannot resolve a service name and exits. Only that failure is tried once more.
    compose logs --no-color > "$STATE/logs/compose-first-up.log" 2>&1
    grep -q 'Resource temporarily unavailable' "$STATE/logs/compose-first-up.log" \
      || { tail -20 "$STATE/logs/up.log" >&2; die "compose up failed (logs: $STATE/logs/up.log, compose.log)"; }
    log "compose up failed on a name lookup (podman's DNS, see check.sh), once more; first logs: compose-first-up.log"
    compose_up || { tail -20 "$STATE/logs/up.log" >&2; die "compose up failed again (logs: $STATE/logs/up.log, compose.log)"; }
  fi
  wait_until_healthy
  # Nothing waits on a healthcheck any more, and rabbitmq-diagnostics starts an Erlang VM each time: the loop stops, to
  # leave the two cores to the services (and to whatever else shares the machine).
  kill "$HEALTH_PID"
  wait "$HEALTH_PID" 2>/dev/null || true
  HEALTH_PID=""

  place_orders
  # Prometheus finds every process in the registry (refresh 30 s) and scrapes it (every 15 s).
  until_ok 180 "Prometheus scraping ${PROCESSES[*]}" targets_up
  log "Prometheus scrapes every process: $(curl -sf "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/targets?state=active" \
    | jq -r '[.data.activeTargets[] | .labels.app + " " + .health] | join(", ")')"
  log "all checks passed; taking down (in the exit trap, as after a failure)"
}

main "$@"
# Whatever main returns, stop here: bash reads a script as it runs, and this file may change meanwhile.
exit $?
