#!/usr/bin/env bash
# Builds localhost/gateway-redis:bookworm from Debian's redis-server package (deploy/redis/Containerfile) on the
# local base image of deploy/base-image.sh, and leaves it in podman's image store. For deploy/compose.yaml where no
# registry is reachable; with one, the public redis image does the same job.
#
# Needs root, podman and debootstrap (for the base image, made once and cached).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
podman=$here/podman

base_tar=$("$here/base-image.sh")
# Load the base into podman unless that very one is there (an image's id is its configuration's digest).
base_id=$(tar -xOf "$base_tar" manifest.json | sed -n 's/.*"Config":"\([0-9a-f]*\)\.json".*/\1/p')
if [ "$("$podman" image inspect --format '{{.Id}}' localhost/gateway-base:bookworm 2>/dev/null)" != "$base_id" ]; then
  "$podman" load -q -i "$base_tar" >/dev/null
fi
# podman's layer cache makes a second build with the same base and Containerfile take a second.
"$podman" build -q --network=host --build-arg BASE=localhost/gateway-base:bookworm \
  -t localhost/gateway-redis:bookworm -f "$here/redis/Containerfile" "$here/redis" >/dev/null
echo localhost/gateway-redis:bookworm
