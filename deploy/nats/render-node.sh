#!/usr/bin/env bash
# Writes one node's configuration from node.conf.template.
# Usage: deploy/nats/render-node.sh NODE HOST ROUTE1 ROUTE2 ROUTE3 > /etc/labshare/nats/NODE.conf
#   e.g. deploy/nats/render-node.sh n1 10.0.0.11 10.0.0.11:6222 10.0.0.12:6222 10.0.0.13:6222
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: $0 NODE HOST ROUTE1 ROUTE2 ROUTE3" >&2; exit 2; }
sed -e "s/@NODE@/$1/g" -e "s/@HOST@/$2/g" -e "s/@ROUTE_1@/$3/g" -e "s/@ROUTE_2@/$4/g" \
  -e "s/@ROUTE_3@/$5/g" "$(dirname "$0")/node.conf.template"
