# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# Sourced by the other scripts: shared paths, pinned versions and small helpers.
# Nothing here downloads or starts anything.

# Everything downloaded or built lives outside the repository.
CACHE="${TTS_TRACE_PROXY_CACHE:-$HOME/.cache/tts-trace-proxy}"
# pid files and logs of background services started by scripts/start-*.sh
RUN_DIR="${TTS_TRACE_PROXY_RUN:-$CACHE/run}"

ZIPKIN_VERSION=3.6.1
ZIPKIN_JAR="$CACHE/zipkin-server-$ZIPKIN_VERSION-exec.jar"
ZIPKIN_URL_BASE="https://repo1.maven.org/maven2/io/zipkin/zipkin-server/$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"

# Newest 6.x on PyPI when pinned; scripts/setup-gradio.sh takes another version as $1.
GRADIO_VERSION=6.31.0

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# log MESSAGE...: progress to stderr (stdout is reserved for a script's one result line).
log() { printf '%s [%s] %s\n' "$(date -u +%H:%M:%S)" "$(basename "$0" .sh)" "$*" >&2; }

# die MESSAGE...: print an error and exit 1.
die() { printf '[%s] error: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }

# listening HOST PORT: whether something accepts TCP connections there.
listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# apt_install PKG...: install Debian packages (runs `apt-get update` first, once per script run).
# Output is kept in a temp file and shown only on failure.
_APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
  local sudo=() out
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install $*"
    sudo=(sudo)
  fi
  out="$(mktemp)"
  if [ "$_APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    "${sudo[@]}" apt-get update -q >"$out" 2>&1 || { cat "$out" >&2; rm -f "$out"; die "apt-get update failed"; }
    _APT_UPDATED=1
  fi
  log "apt-get install $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >"$out" 2>&1 \
    || { cat "$out" >&2; rm -f "$out"; die "apt-get install $* failed"; }
  rm -f "$out"
}

# download URL DEST: fetch to DEST atomically (temp file + rename); curl or wget.
download() {
  local url=$1 dest=$2 tmp
  if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
    apt_install curl ca-certificates
  fi
  tmp="$(mktemp "$dest.part.XXXXXX")"
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 --retry-delay 2 -o "$tmp" "$url" || { rm -f "$tmp"; die "download failed: $url"; }
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$tmp" "$url" || { rm -f "$tmp"; die "download failed: $url"; }
  fi
  chmod 644 "$tmp"
  mv -f "$tmp" "$dest"
  log "downloaded $(basename "$dest"): $(du -h "$dest" | cut -f1)"
}

# lock NAME: hold an exclusive lock on $CACHE/NAME.lock until the script exits, so that
# concurrent runs (parallel test workers) do not download or build the same thing twice.
lock() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$CACHE/$1.lock"
  flock 9
}

mkdir -p "$CACHE" "$RUN_DIR"
