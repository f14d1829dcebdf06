#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests of the web UI,
# installing it with apt-get where it is missing and this user can, and say
# plainly whether those tests will run. Playwright drives this browser; nothing
# downloads a browser build of its own. With ZHIKE_REQUIRE_BROWSER=1 a missing
# Chromium is an error instead of a skip.
set -uo pipefail

chromium="${ZHIKE_CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$chromium" ] && [ "$chromium" = /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "Chromium is missing; installing Debian's chromium package (and CJK fonts for screenshots)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null \
            || echo "apt-get could not install chromium"
    else
        echo "Chromium is missing and installing it needs root: run 'sudo apt-get install -y chromium'"
    fi
fi

if [ -x "$chromium" ]; then
    echo "Chromium found at $chromium: the browser tests of the web UI RUN."
    exit 0
fi
if [ "${ZHIKE_REQUIRE_BROWSER:-0}" = "1" ]; then
    echo "error: no Chromium at $chromium and ZHIKE_REQUIRE_BROWSER=1; install it with 'apt-get install -y chromium'." >&2
    exit 1
fi
echo "No Chromium at $chromium: the browser tests of the web UI are SKIPPED."
