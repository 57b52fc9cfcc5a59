#!/usr/bin/env bash
# Trunk's post-build hook: gives the release page a Content-Security-Policy in a <meta> tag, so a
# course site that serves `dist/` as static files (no server to send headers or nonces) still
# runs nothing but its own code. Trunk writes one inline module script (it loads the wasm); the
# policy allows exactly that script by its SHA-256, computed here from the bytes trunk wrote.
#
#   default-src 'self'               everything from the page's own origin only
#   script-src 'wasm-unsafe-eval'    compiling the app's WebAssembly
#   style-src 'unsafe-inline'        Yew writes `style` attributes (positions, widths)
#   img-src data: blob:              the favicon and downloads made in the page
#   object-src, form-action 'none'   no plugins, no form posts; base-uri 'self'
#
# A development build (`trunk serve`) is left alone: trunk adds its own inline reload script.
# Uses only bash and coreutils (sha256sum, base64).
set -euo pipefail

[[ ${TRUNK_PROFILE:-} == release ]] || exit 0
page="${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}/index.html"
html=$(<"$page")

opening='<script type="module">'
[[ $html == *"$opening"* ]] || { echo "csp.sh: no inline module script in $page" >&2; exit 1; }
rest=${html#*"$opening"}
script=${rest%%</script>*}

hex=$(printf '%s' "$script" | sha256sum | cut -d' ' -f1)
# Hex to bytes to base64, with printf's \x escapes.
digest=$(printf "$(printf '%s' "$hex" | sed 's/../\\x&/g')" | base64)

policy="default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-${digest}'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'none'"
meta="<meta http-equiv=\"Content-Security-Policy\" content=\"${policy}\" />"

# Right after the charset (which must stay within the first 1024 bytes), before any script.
charset='<meta charset="utf-8" />'
[[ $html == *"$charset"* ]] || { echo "csp.sh: no $charset in $page" >&2; exit 1; }
html=${html/"$charset"/"$charset"
    $meta}
printf '%s\n' "$html" > "$page"
