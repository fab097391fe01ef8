# Shared by build.sh and check.sh (sourced, not run): where things live, the locally built images' names, and podman
# set up for these machines (Debian 12, root, no systemd, hybrid cgroups).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
COMPOSE_DIR="$ROOT/deploy/compose"
# Build contexts, the podman socket, logs and generated secrets: git-ignored, like the rest of .shop/.
STATE="${SHOP_COMPOSE_STATE:-$ROOT/.shop/compose}"

# The images built here, under the variables deploy/docker-compose.yml reads for each image. Registry and config server
# are stand-ins: our development registry and config server in place of the genuine Eureka and Spring Cloud Config
# servers, whose images (Maven Central, a container registry) cannot be fetched on these machines.
BASE_IMAGE=localhost/shopmodular/base:bookworm
export POSTGRES_IMAGE=localhost/shopmodular/postgres:bookworm
export RABBITMQ_IMAGE=localhost/shopmodular/rabbitmq:bookworm
export PROMETHEUS_IMAGE=localhost/shopmodular/prometheus:bookworm
export SHOP_IMAGE=localhost/shopmodular/host:bookworm
export SHOP_GATEWAY_IMAGE=localhost/shopmodular/gateway:bookworm
export EUREKA_IMAGE=localhost/shopmodular/registry-standin:bookworm
export CONFIG_SERVER_IMAGE=localhost/shopmodular/configserver-standin:bookworm

# The label that records what an image was built from (a hash of its inputs), so an unchanged image is not rebuilt.
INPUTS_LABEL=org.shopmodular.inputs

log() { printf '\033[1m[compose]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "run as root (or with sudo): it installs podman with apt-get and runs rootful containers"
}

# apt_install PACKAGE...: installs those not installed yet, without recommends (docker-compose would pull in docker.io).
apt_install() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# podman 4.3 as it works here (reference: machine notes): runc, not crun (which fails on the hybrid cgroups), cgroupfs
# and a file event log (no systemd), and ulimits RabbitMQ and PostgreSQL can live with; netavark with aardvark-dns,
# which resolves the compose services' names (without recommends, apt would pick the CNI plugins, which have no DNS).
# Passed with CONTAINERS_CONF, so /etc/containers stays as the package left it.
setup_podman() {
  apt_install podman runc netavark aardvark-dns iptables
  mkdir -p "$STATE"
  cat > "$STATE/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
EOF
  export CONTAINERS_CONF="$STATE/containers.conf"
}

# image_inputs IMAGE: the inputs hash IMAGE was built from (empty when there is no such image).
image_inputs() {
  podman image inspect --format "{{index .Labels \"$INPUTS_LABEL\"}}" "$1" 2>/dev/null || true
}
