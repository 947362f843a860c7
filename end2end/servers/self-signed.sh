#!/usr/bin/env bash
# Makes a throwaway self-signed certificate for localhost and 127.0.0.1 in folder $1 (cert.pem,
# key.pem), unless one is there. For the browser tests of HTTPS; never for a real site.
set -euo pipefail
dir=$1
mkdir -p "$dir"
if [[ ! -s "$dir/cert.pem" || ! -s "$dir/key.pem" ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
fi
