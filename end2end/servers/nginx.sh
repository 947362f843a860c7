#!/usr/bin/env bash
# nginx in front of two Burner instances, as docs/OPERATIONS.md sets it up: TLS on port $1,
# load-balancing 127.0.0.1:$2 and 127.0.0.1:$3, WebSocket upgrades proxied, X-Forwarded-For and
# X-Forwarded-Proto passed. Runs in the foreground until the tests stop it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${TMPDIR:-/tmp}/burner-e2e-nginx-$1
mkdir -p "$dir"
"$here/self-signed.sh" "$dir"
sed -e "s#@DIR@#$dir#g" -e "s#@LISTEN@#127.0.0.1:$1#g" \
    -e "s#@CERT@#$dir/cert.pem#g" -e "s#@KEY@#$dir/key.pem#g" \
    -e "s#@A@#127.0.0.1:$2#g" -e "s#@B@#127.0.0.1:$3#g" \
    "$here/../../docs/nginx.conf" > "$dir/nginx.conf"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
exec "$nginx" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
