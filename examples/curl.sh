#!/bin/sh
# Assesses one organisation over the HTTP/JSON API and prints its level.
#   maturity serve --http-listen 127.0.0.1:8080 &
#   sh examples/curl.sh [http://127.0.0.1:8080]
# Metric values may be plain (0.6, true) or as gRPC's JSON writes them
# ({"number": 0.6}). A refused request prints the JSON error and exits 1.
set -eu
url=${1:-http://127.0.0.1:8080}
answer=$(curl -sS --max-time 10 -w '\n%{http_code}' \
  -H 'content-type: application/json' \
  "$url/v1/models/five_stage:assess?timeout=5s" \
  -d '{"subjectId": "acme", "metrics": {"crm_in_place": true, "crm_adoption": 0.6, "win_rate": {"number": 0.25}}}')
status=$(printf '%s\n' "$answer" | tail -n 1)
body=$(printf '%s\n' "$answer" | sed '$d')
if [ "$status" != 200 ]; then
  echo "HTTP $status: $body" >&2
  exit 1
fi
# The level object: {"rank":N,"id":"...","name":"...",...}
level=$(printf '%s' "$body" | grep -o '"level":{[^}]*}')
rank=$(printf '%s' "$level" | sed 's/.*"rank":\([0-9]*\).*/\1/')
name=$(printf '%s' "$level" | sed 's/.*"name":"\([^"]*\)".*/\1/')
echo "acme: level $rank $name"
