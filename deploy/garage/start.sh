#!/bin/sh
# Starts Garage and, the first time, gives it a layout, the bucket `kho` and the key Kho uses
# (dev-only values, the same as docker-compose.yml's). Each step is skipped once done, so a
# restarted container comes up the same.
set -eu
rm -f /tmp/ready
garage server &
server=$!
trap 'kill "$server"' TERM INT
until garage status >/dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || exit 1
  sleep 1
done
if garage layout show 2>/dev/null | grep -q "No nodes currently have a role"; then
  node=$(garage node id -q | cut -d@ -f1)
  garage layout assign -z dc1 -c 1G "$node"
  garage layout apply --version 1
fi
garage key info kho >/dev/null 2>&1 \
  || garage key import --yes -n kho GK0123456789abcdef01234567 \
       0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
garage bucket info kho >/dev/null 2>&1 || garage bucket create kho
garage bucket allow --read --write --owner kho --key kho
touch /tmp/ready
wait "$server"
