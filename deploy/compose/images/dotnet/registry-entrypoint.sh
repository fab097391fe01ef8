#!/bin/sh
# Stand-in for the genuine Eureka server (deploy/eureka) in a local check: our development registry, taking the
# genuine image's settings. Spring Security's user (SPRING_SECURITY_USER_NAME/PASSWORD) becomes the registry's
# Registry:UserName/Password; reads stay open, as there.
set -eu
export Registry__UserName="${SPRING_SECURITY_USER_NAME:?set SPRING_SECURITY_USER_NAME}"
export Registry__Password="${SPRING_SECURITY_USER_PASSWORD:?set SPRING_SECURITY_USER_PASSWORD}"
exec /app/ShopModular.Registry "$@"
