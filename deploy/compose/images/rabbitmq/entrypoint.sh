#!/bin/sh
# Starts the broker as the rabbitmq user with the administrator of RABBITMQ_DEFAULT_USER/RABBITMQ_DEFAULT_PASS (which
# replaces guest), as the official image does. The erlang cookie lands in /var/lib/rabbitmq (the data volume), where
# the package's rabbitmq-diagnostics (run as root, it switches to rabbitmq) finds it.
set -eu
: "${RABBITMQ_DEFAULT_USER:?set RABBITMQ_DEFAULT_USER}"
: "${RABBITMQ_DEFAULT_PASS:?set RABBITMQ_DEFAULT_PASS}"
# The file is written at every start, so the password is never baked into the image; cuttlefish takes the rest of
# the line as the value.
cat > /etc/rabbitmq/rabbitmq.conf <<CONF
default_user = $RABBITMQ_DEFAULT_USER
default_pass = $RABBITMQ_DEFAULT_PASS
CONF
chown rabbitmq:rabbitmq /etc/rabbitmq/rabbitmq.conf
chmod 600 /etc/rabbitmq/rabbitmq.conf
# A fresh named volume is owned by root.
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
mkdir -p /var/log/rabbitmq && chown rabbitmq:rabbitmq /var/log/rabbitmq
cd /var/lib/rabbitmq
# Logs to the console, as the official image, so `logs` shows them.
export HOME=/var/lib/rabbitmq RABBITMQ_LOGS=-
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server
