#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 for the test suite's
# PostgreSQL leg, starting the local cluster when one is installed, and say
# plainly whether that leg will run. With ZHIKE_REQUIRE_POSTGRES=1 a missing
# server is an error instead of a skip.
set -uo pipefail

answers() {
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
}

if ! answers && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    if [ -n "$version" ]; then
        echo "PostgreSQL does not answer on 127.0.0.1:5432; starting cluster $version/main"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        for _ in $(seq 1 30); do
            answers && break
            sleep 0.5
        done
    fi
fi

if answers; then
    echo "PostgreSQL answers on 127.0.0.1:5432: the PostgreSQL leg of the tests RUNS."
    exit 0
fi
if [ "${ZHIKE_REQUIRE_POSTGRES:-0}" = "1" ]; then
    echo "error: no PostgreSQL on 127.0.0.1:5432 and ZHIKE_REQUIRE_POSTGRES=1; start PostgreSQL first." >&2
    exit 1
fi
echo "No PostgreSQL on 127.0.0.1:5432: the PostgreSQL leg of the tests is SKIPPED (SQLite only)."
