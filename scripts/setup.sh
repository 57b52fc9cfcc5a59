#!/usr/bin/env bash
# Installs whatever Lokal needs that is missing, and nothing else.
#
#   scripts/setup.sh            tools to build and serve the app
#   scripts/setup.sh --browser  ... plus Chromium, chromedriver and a Devanagari font for the tests
#
# Idempotent: every tool is checked at its exact version first. Everything comes from a package
# registry (crates.io, npm, Debian); nothing is downloaded from anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# The CLI must match the wasm-bindgen crate in Cargo.lock exactly, or trunk and the test runner refuse.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

want_browser=false
[[ ${1:-} == --browser ]] && want_browser=true

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

command -v rustup >/dev/null || { echo "rustup is required: https://rustup.rs" >&2; exit 1; }

# Debian packages that are missing, installed in one go (with sudo when not root).
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  say "installing ${missing[*]} from Debian"
  local sudo_cmd=()
  ((EUID == 0)) || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
}

# A C toolchain for crates with build scripts, and Node.js for wasm-opt and the browser tests.
command -v cc >/dev/null || apt_install build-essential pkg-config
command -v npm >/dev/null || apt_install nodejs npm

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    say "adding $component"
    rustup component add "$component"
  fi
done

if [[ $(trunk --version 2>/dev/null) != "trunk $TRUNK_VERSION" ]]; then
  say "installing trunk $TRUNK_VERSION (about 8 minutes on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if [[ $(wasm-bindgen --version 2>/dev/null) != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes)"
  # Not --locked: the CLI's own lock file names a crate version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# npm tools: wasm-opt (binaryen 132; Debian's is too old for Rust 1.95 output), playwright-core, axe-core.
if [[ ! -f node_modules/.stamp ]] || ! cmp -s package-lock.json node_modules/.stamp; then
  say "installing npm tools (binaryen, playwright-core, axe-core)"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.stamp
fi

if $want_browser; then
  apt_install chromium chromium-driver fonts-noto-core
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if ((node_major < 20)); then
    echo "The browser tests need Node.js 20 or newer (playwright-core); this machine has $(node --version)." >&2
    exit 1
  fi
fi

# trunk builds with cargo --offline (Trunk.toml), so the registry crates must be here beforehand.
cargo fetch --locked --quiet
say "all tools present"
