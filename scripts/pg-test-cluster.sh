#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the store and web tests.
#
#   scripts/pg-test-cluster.sh run -- COMMAND...   start a cluster, run COMMAND with GUTSKIN_TEST_DATABASE_URL set,
#                                                  stop the cluster (also when COMMAND fails or is interrupted)
#   scripts/pg-test-cluster.sh start DIR           start a cluster in DIR (created), print its database URL
#   scripts/pg-test-cluster.sh stop DIR            stop the cluster in DIR and remove DIR
#
# Idempotent: installs Debian's `postgresql` through apt only when initdb/pg_ctl are missing. The cluster listens on
# a free port on 127.0.0.1 only, with trust authentication (it holds nothing but test data and lives minutes).
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user (or `nobody`).
set -euo pipefail

find_bin() {
  local name=$1 d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/$name" ]] && { echo "$d/$name"; return 0; }
  done
  command -v "$name" 2>/dev/null || return 1
}

ensure_installed() {
  if ! find_bin initdb >/dev/null || ! find_bin pg_ctl >/dev/null; then
    echo "pg-test-cluster: installing Debian's postgresql (initdb/pg_ctl missing)" >&2
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql >/dev/null \
      || { $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql >/dev/null; }
  fi
}

run_user() {
  if [[ $(id -u) -ne 0 ]]; then
    echo ""
  elif id postgres >/dev/null 2>&1; then
    echo postgres
  else
    echo nobody
  fi
}

as_user() {  # as_user USER CMD...
  local user=$1; shift
  if [[ -z "$user" ]]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

start() {
  local dir=$1 user port initdb pg_ctl
  ensure_installed
  initdb=$(find_bin initdb); pg_ctl=$(find_bin pg_ctl)
  user=$(run_user)
  mkdir -p "$dir"
  [[ -n "$user" ]] && chown "$user" "$dir"
  chmod 700 "$dir"
  port=$(free_port)
  as_user "$user" "$initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  as_user "$user" "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  echo "$port" >"$dir/port"
  as_user "$user" "$(dirname "$initdb")/createdb" -h 127.0.0.1 -p "$port" -U postgres gutskin_test
  echo "postgresql+psycopg://postgres@127.0.0.1:$port/gutskin_test"
}

stop() {
  local dir=$1 user pg_ctl
  [[ -d "$dir/data" ]] || { rm -rf "$dir"; return 0; }
  pg_ctl=$(find_bin pg_ctl)
  user=$(run_user)
  as_user "$user" "$pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

cmd=${1:-}
case "$cmd" in
  start) start "${2:?usage: $0 start DIR}" ;;
  stop) stop "${2:?usage: $0 stop DIR}" ;;
  run)
    shift
    [[ "${1:-}" == "--" ]] && shift
    [[ $# -gt 0 ]] || { echo "usage: $0 run -- COMMAND..." >&2; exit 2; }
    dir=$(mktemp -d /tmp/gutskin-pg.XXXXXX)
    trap 'stop "$dir"' EXIT INT TERM
    url=$(start "$dir")
    echo "pg-test-cluster: PostgreSQL at $url" >&2
    GUTSKIN_TEST_DATABASE_URL=$url "$@"
    ;;
  *) echo "usage: $0 run -- COMMAND... | start DIR | stop DIR" >&2; exit 2 ;;
esac
