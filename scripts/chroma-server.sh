#!/usr/bin/env bash
# A Chroma server for a team installation: several `inclusie serve` processes share one index.
#
#   bash scripts/chroma-server.sh                      # start in the background (./data/chroma-server, port 8000)
#   bash scripts/chroma-server.sh --port 8001 --path /srv/inclusie/chroma
#   bash scripts/chroma-server.sh status               # running? which URL?
#   bash scripts/chroma-server.sh stop
#   bash scripts/chroma-server.sh --foreground         # stay in the foreground (systemd, tests)
#
# Settings (flags win over environment variables):
#   --path DIR   INCLUSIE_CHROMA_SERVER_PATH   where the server keeps its data  (./data/chroma-server)
#   --port N     INCLUSIE_CHROMA_SERVER_PORT   port                               (8000)
#   --host H     INCLUSIE_CHROMA_SERVER_HOST   address to listen on               (127.0.0.1)
#   --allow-remote                             required for an address other than loopback
#   CHROMA_BIN                                 the `chroma` command (default: .venv/bin/chroma, else PATH)
#
# The pid file is <path>.pid and the log <path>.log, next to the data folder. Chroma's server has
# no login of its own: anyone who can reach the port can read and change the index, so it listens
# on 127.0.0.1 unless --allow-remote is given (then put it behind a firewall or a proxy).
set -euo pipefail
cd "$(dirname "$0")/.."

action=start
path="${INCLUSIE_CHROMA_SERVER_PATH:-./data/chroma-server}"
port="${INCLUSIE_CHROMA_SERVER_PORT:-8000}"
host="${INCLUSIE_CHROMA_SERVER_HOST:-127.0.0.1}"
allow_remote=0
foreground=0

die() { echo "chroma-server: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    start|stop|status) action="$1" ;;
    --path) [[ $# -ge 2 ]] || die "--path mist een map"; path="$2"; shift ;;
    --port) [[ $# -ge 2 ]] || die "--port mist een nummer"; port="$2"; shift ;;
    --host) [[ $# -ge 2 ]] || die "--host mist een adres"; host="$2"; shift ;;
    --allow-remote) allow_remote=1 ;;
    --foreground) foreground=1 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "onbekende optie: $1 (zie --help)" ;;
  esac
  shift
done

[[ "$port" =~ ^[0-9]+$ ]] && (( port > 0 && port < 65536 )) || die "ongeldige poort: $port"
case "$host" in
  127.*|localhost|::1) ;;
  *) [[ $allow_remote == 1 ]] || die "weigert te luisteren op $host: de Chroma-server heeft geen \
login. Gebruik 127.0.0.1, of geef --allow-remote als een firewall of proxy de toegang regelt." ;;
esac

mkdir -p "$path"
path="$(cd "$path" && pwd)"
pidfile="$path.pid"
logfile="$path.log"
url_host="$host"
[[ "$host" == "0.0.0.0" || "$host" == "::" ]] && url_host="127.0.0.1"
[[ "$url_host" == *:* ]] && url_host="[$url_host]"
url="http://$url_host:$port"

alive() {
  # Running, and not a zombie waiting to be reaped (in a container pid 1 may never reap it).
  kill -0 "$1" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != "Z" ]]
}

running_pid() {
  # The pid in the pid file, if that process is alive and is a chroma server.
  [[ -f "$pidfile" ]] || return 1
  local pid
  pid="$(cat "$pidfile" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "chroma" || return 1
  echo "$pid"
}

heartbeat() {
  curl -fsS --max-time 2 "$url/api/v2/heartbeat" >/dev/null 2>&1
}

case "$action" in
  status)
    if pid="$(running_pid)"; then
      heartbeat && state="antwoordt" || state="antwoordt (nog) niet"
      echo "Chroma-server draait (pid $pid, $state) met data in $path"
      echo "INCLUSIE_CHROMA_URL=$url"
      exit 0
    fi
    echo "Geen Chroma-server actief voor $path"; exit 1 ;;
  stop)
    if pid="$(running_pid)"; then
      kill "$pid"
      for _ in $(seq 1 60); do alive "$pid" || break; sleep 0.25; done
      alive "$pid" && kill -9 "$pid"
      rm -f "$pidfile"
      echo "Chroma-server (pid $pid) gestopt."
    else
      rm -f "$pidfile"
      echo "Geen Chroma-server actief voor $path"
    fi
    exit 0 ;;
esac

if pid="$(running_pid)"; then
  echo "Chroma-server draait al (pid $pid) met data in $path"
  echo "INCLUSIE_CHROMA_URL=$url"
  exit 0
fi

chroma="${CHROMA_BIN:-}"
if [[ -z "$chroma" ]]; then
  if [[ -x .venv/bin/chroma ]]; then chroma=.venv/bin/chroma
  else chroma="$(command -v chroma || true)"; fi
fi
[[ -n "$chroma" && -x "$chroma" ]] || die "het commando 'chroma' is niet gevonden (bash scripts/setup.sh, of zet CHROMA_BIN)"

if [[ $foreground == 1 ]]; then
  echo "$$" >"$pidfile"
  echo "Chroma-server start op $url met data in $path (voorgrond)"
  echo "INCLUSIE_CHROMA_URL=$url"
  # exec keeps this pid, so the pid file names the server itself.
  exec "$chroma" run --path "$path" --host "$host" --port "$port"
fi

nohup "$chroma" run --path "$path" --host "$host" --port "$port" >>"$logfile" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pidfile"
for _ in $(seq 1 240); do
  if heartbeat; then
    echo "Chroma-server gestart (pid $pid) op $url met data in $path; log: $logfile"
    echo "Gebruik in elke shell die de assistent start:"
    echo "export INCLUSIE_CHROMA_URL=$url"
    exit 0
  fi
  alive "$pid" || break
  sleep 0.25
done
kill "$pid" 2>/dev/null || true
rm -f "$pidfile"
echo "chroma-server: de server startte niet; laatste regels van $logfile:" >&2
tail -n 20 "$logfile" >&2 || true
exit 1
