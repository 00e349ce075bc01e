#!/usr/bin/env bash
# WebGPU without a GPU, on Debian 12 (bookworm), as root (CI / dev machines).
#
# Installs (idempotent; a second run only checks and probes):
#   - libvulkan1                     the Vulkan loader that Dawn (npm `webgpu`) dlopens
#   - chromium (Debian)              headless browser + SwiftShader Vulkan ICD
#                                    /usr/lib/chromium/vk_swiftshader_icd.json
#   - mesa-vulkan-drivers 25 (bookworm-backports)  lavapipe ICD
#                                    /usr/share/vulkan/icd.d/lvp_icd.x86_64.json
#     (bookworm's own mesa 22.3 lavapipe is rejected by Dawn; with backports the
#      mesa GL packages already installed are upgraded to 25 alongside.)
# Then probes every ICD through Dawn (scripts/webgpu/probe-adapters.mjs) and prints
# which adapters work. The npm packages (webgpu, tfjs-backend-webgpu, playwright-core)
# come from package.json (devDependencies): `npm ci` installs them; this script only checks.
#
# Env:
#   WEBGPU_SETUP_NO_LAVAPIPE=1   skip backports/mesa 25 (SwiftShader only)
#   WEBGPU_SETUP_NO_CHROMIUM=1   skip chromium (then no SwiftShader ICD: lavapipe only)
#   WEBGPU_SETUP_NO_PROBE=1      do not probe adapters at the end
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
t0=$(date +%s)
log() { echo "[webgpu-setup] $*"; }

if [ "$(id -u)" != 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive

need_pkgs=()
dpkg_has() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
dpkg_ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

df_before=$(df -B1M --output=used / | tail -1 | tr -d ' ')

# --- 1. bookworm-backports (for mesa 25 lavapipe) ---------------------------------
BPO=/etc/apt/sources.list.d/bookworm-backports.sources
updated=0
if [ -z "${WEBGPU_SETUP_NO_LAVAPIPE:-}" ]; then
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    log "adding bookworm-backports ($BPO)"
    $SUDO tee "$BPO" >/dev/null <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    $SUDO apt-get update -qq
    updated=1
  fi
fi

lvp_ok() {
  # mesa >= 25 lavapipe installed?
  local v; v=$(dpkg_ver mesa-vulkan-drivers)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 25
}

if ! dpkg_has libvulkan1; then need_pkgs+=(libvulkan1); fi
if [ -z "${WEBGPU_SETUP_NO_CHROMIUM:-}" ] && ! dpkg_has chromium; then need_pkgs+=(chromium); fi
want_lvp=0
if [ -z "${WEBGPU_SETUP_NO_LAVAPIPE:-}" ] && ! lvp_ok; then want_lvp=1; fi

if [ ${#need_pkgs[@]} -gt 0 ] || [ $want_lvp = 1 ]; then
  if [ $updated = 0 ]; then $SUDO apt-get update -qq; fi
  if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "apt-get install ${need_pkgs[*]}"
    $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  fi
  if [ $want_lvp = 1 ]; then
    pol=$(apt-cache policy mesa-vulkan-drivers)   # (no pipe into grep -q: SIGPIPE + pipefail)
    if [[ $pol == *bpo12* ]]; then
      log "apt-get install -t bookworm-backports mesa-vulkan-drivers (lavapipe 25)"
      $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers >/dev/null
    else
      log "WARNING: bookworm-backports has no mesa-vulkan-drivers: lavapipe unavailable (SwiftShader only)"
    fi
  fi
else
  log "apt packages already present"
fi

# --- 2. npm packages ---------------------------------------------------------------
# They are devDependencies in package.json (installed by the project's `npm ci`); this
# script never runs npm itself (npm ci would wipe node_modules under a running session).
for p in webgpu @tensorflow/tfjs-backend-webgpu playwright-core; do
  [ -d "node_modules/$p" ] || log "WARNING: node_modules/$p missing: run npm ci"
done

t1=$(date +%s)
df_after=$(df -B1M --output=used / | tail -1 | tr -d ' ')
log "versions: libvulkan1 $(dpkg_ver libvulkan1), chromium $(dpkg_ver chromium)," \
    "mesa-vulkan-drivers $(dpkg_ver mesa-vulkan-drivers)," \
    "webgpu $(node -p 'require("webgpu/package.json").version' 2>/dev/null || echo '?')," \
    "tfjs-backend-webgpu $(node -p 'require("@tensorflow/tfjs-backend-webgpu/package.json").version' 2>/dev/null || echo '?')"
log "install took $((t1 - t0)) s; disk used +$((df_after - df_before)) MiB this run"

# --- 3. probe ------------------------------------------------------------------------
if [ -z "${WEBGPU_SETUP_NO_PROBE:-}" ]; then
  node scripts/webgpu/probe-adapters.mjs
fi
