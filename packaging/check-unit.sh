#!/usr/bin/env bash
# Checks packaging/andns.service: `systemd-analyze verify` with every warning about the unit
# treated as an error (verify itself exits 0 on unknown keys and bad values), then the
# confinement the unit promises. Exit 0 good, 1 bad, 77 systemd-analyze missing.
set -euo pipefail
unit="${1:-$(dirname "$0")/andns.service}"
name="$(basename "$unit")"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze is missing (apt-get install systemd)" >&2
  exit 77
fi

status=0
out="$(systemd-analyze verify "$unit" 2>&1)" || status=$?
# Lines about other units (a host's own broken units) are not ours to judge.
ours="$(printf '%s\n' "$out" | grep -F -e "$name" -e "$unit" || true)"
if [ "$status" -ne 0 ] || [ -n "$ours" ]; then
  echo "systemd-analyze verify $unit (exit $status):" >&2
  printf '%s\n' "${ours:-$out}" >&2
  exit 1
fi

# Each line must be set exactly so (a later assignment of the same key would override it).
required=(
  'AmbientCapabilities=CAP_NET_BIND_SERVICE'
  'CapabilityBoundingSet=CAP_NET_BIND_SERVICE'
  'NoNewPrivileges=yes'
  'ProtectSystem=strict'
  'PrivateTmp=yes'
)
missing=0
for line in "${required[@]}"; do
  key="${line%%=*}"
  last="$(grep -E "^${key}=" "$unit" | tail -n 1 || true)"
  if [ "$last" != "$line" ]; then
    echo "$unit: needs $line (has: ${last:-nothing})" >&2
    missing=1
  fi
done
# A user of its own: DynamicUser=yes, or a User= that is not root.
if ! grep -qx 'DynamicUser=yes' "$unit"; then
  user="$(grep -E '^User=' "$unit" | tail -n 1 | cut -d= -f2-)"
  if [ -z "$user" ] || [ "$user" = root ] || [ "$user" = 0 ]; then
    echo "$unit: needs DynamicUser=yes or a dedicated User=" >&2
    missing=1
  fi
fi
# Only the address families a resolver needs; never AF_PACKET (raw frames).
families="$(grep -E '^RestrictAddressFamilies=' "$unit" | tail -n 1 | cut -d= -f2-)"
for family in AF_INET AF_INET6; do
  case " $families " in *" $family "*) ;; *) echo "$unit: RestrictAddressFamilies must allow $family (has: ${families:-nothing})" >&2; missing=1 ;; esac
done
case " $families " in *" AF_PACKET "*|" ") echo "$unit: RestrictAddressFamilies must be set, without AF_PACKET" >&2; missing=1 ;; esac
if ! grep -qE '^MemoryMax=[0-9]+[KMGT]?$' "$unit"; then
  echo "$unit: needs MemoryMax=SIZE (the cache lives in memory)" >&2
  missing=1
fi
if ! grep -qE '^ExecStart=.*andns serve' "$unit"; then
  echo "$unit: ExecStart must run andns serve" >&2
  missing=1
fi
[ "$missing" -eq 0 ] || exit 1
echo "$unit: systemd-analyze verify clean; user, capability, file system, address families and memory confined"
