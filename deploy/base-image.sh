#!/usr/bin/env bash
# Makes the gateway's local base image: a minimal Debian root (debootstrap, variant minbase) with Debian's
# openjdk-17-jre-headless, written as a `docker save` tarball, which Jib takes as a base (`tar://PATH`) and
# `podman load` reads. It is what the build and the tests use where no image registry can be reached; users with one
# keep the default base, eclipse-temurin:17-jre (docs/deploy.md).
#
# Prints the tarball's path. The tarball is cached, keyed by this script's text, the suite and the packages, so a
# second run (a second test run) costs nothing; delete the cache folder to make it again.
#
#   DEBIAN_MIRROR  the Debian mirror (default: the first one this machine's apt sources name)
#   SUITE          the Debian release (default bookworm)
#   IMAGE_CACHE    where tarballs are kept (default ~/.cache/gateway-images)
#
# Needs root (debootstrap, chroot) and Debian's debootstrap package.
set -euo pipefail

SUITE=${SUITE:-bookworm}
PACKAGES=openjdk-17-jre-headless
TAG=localhost/gateway-base:$SUITE
IMAGE_CACHE=${IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gateway-images}

key=$( { cat "$0"; echo "$SUITE $PACKAGES"; } | sha256sum | cut -c1-16)
out=$IMAGE_CACHE/gateway-base-$SUITE-$key.tar
if [ -s "$out" ]; then
  echo "$out"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "base-image.sh: debootstrap needs root" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { echo "base-image.sh: needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }

# The mirror this machine's apt already uses, so that nothing here names a host.
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\/\{0,1\}\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | head -n1)
fi
if [ -z "$mirror" ]; then
  mirror=$(sed -n 's/^deb[[:space:]]\{1,\}\(http[^[:space:]]*\/debian\/\{0,1\}\)[[:space:]].*/\1/p' /etc/apt/sources.list \
    2>/dev/null | head -n1)
fi
[ -n "$mirror" ] || { echo "base-image.sh: no Debian mirror in apt's sources; set DEBIAN_MIRROR" >&2; exit 1; }

mkdir -p "$IMAGE_CACHE"
work=$(mktemp -d "$IMAGE_CACHE/base.XXXXXX")
cleanup() {
  # debootstrap unmounts what it mounted, unless it was killed half way.
  for m in proc sys dev/pts; do umount "$work/root/$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
root=$work/root
mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
# dpkg syncs every file it unpacks; a root that is about to become a tarball needs none of that.
echo force-unsafe-io > "$root/etc/dpkg/dpkg.cfg.d/unsafe-io"

echo "base-image.sh: debootstrap $SUITE with $PACKAGES from $mirror (takes a few minutes, once)" >&2
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$mirror" > "$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

# What an image leaves to its runtime (hostname, DNS, devices) or does not need (package caches, logs).
rm -rf "$root/etc/dpkg/dpkg.cfg.d/unsafe-io" "$root/etc/hostname" "$root/etc/resolv.conf" \
  "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
  "$root"/var/log/* "$root"/tmp/* "$root"/dev/*
java=$(readlink "$root/etc/alternatives/java")
[ -x "$root$java" ] || { echo "base-image.sh: no java in the root ($java)" >&2; exit 1; }

image=$work/image
mkdir -p "$image"
tar --numeric-owner --sort=name -C "$root" -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir -p "$image/$diff_id"
mv "$work/layer.tar" "$image/$diff_id/layer.tar"

case "$(dpkg --print-architecture)" in
  amd64) arch=amd64 ;;
  arm64) arch=arm64 ;;
  *) arch=$(dpkg --print-architecture) ;;
esac
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cat > "$work/config.json" <<JSON
{"architecture":"$arch","os":"linux","created":"$created",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8"],
  "Cmd":["/bin/bash"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},
 "history":[{"created":"$created","created_by":"deploy/base-image.sh: debootstrap --variant=minbase $SUITE + $PACKAGES"}]}
JSON
config_id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$image/$config_id.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]\n' "$config_id" "$TAG" "$diff_id" \
  > "$image/manifest.json"

tar -C "$image" -cf "$work/base.tar" manifest.json "$config_id.json" "$diff_id/layer.tar"
mv "$work/base.tar" "$out"
echo "$out"
