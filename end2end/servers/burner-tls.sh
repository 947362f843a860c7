#!/usr/bin/env bash
# Burner serving HTTPS and WSS itself, on port $1, with a certificate made for the test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${TMPDIR:-/tmp}/burner-e2e-tls
"$here/self-signed.sh" "$dir"
export BURNER_TLS_CERT="$dir/cert.pem" BURNER_TLS_KEY="$dir/key.pem" LEPTOS_SITE_ADDR="127.0.0.1:$1"
exec "$BURNER_SERVER_BIN"
