#!/bin/bash
# UDP cache-hit throughput per busy core of two andns builds (and the second with a 2 MiB young
# generation), alternating in one run: `bash loadtest/memory/hit-ab.sh OLD_CHECKOUT [NEW_CHECKOUT]`.
# Server on core 1, generator on core 0, 500 names of the simulated internet, 3 rounds of 10 s.
export PATH=/opt/node24/bin:$PATH
OLD=${1:?usage: hit-ab.sh OLD_CHECKOUT [NEW_CHECKOUT] (each built)}; NEW=${2:-$(pwd)}; OUT=$(mktemp -d)
cd $NEW
node dist/loadtest/cli.js sim --sim-seed 1 --sim-zones 300 --for 1200 > $OUT/sim.json 2>&1 &
SIMPID=$!
sleep 8
SPORT=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).port' $OUT/sim.json)
HINTS=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).hints' $OUT/sim.json)
start() { taskset -c 1 node $3 $1/dist/src/cli/andns.js serve --listen 127.0.0.1:$2 --root-hints $HINTS --upstream-port $SPORT --allow-local-upstream --no-dnssec --no-ipv6-upstream --log-level error > /dev/null 2>&1 & echo $!; }
OPID=$(start $OLD 25401); NPID=$(start $NEW 25402); SPID=$(start $NEW 25403 --max-semi-space-size=2)
sleep 4
# the cache-hit names: the first 500 plain names of that internet
node --input-type=module -e '
import { generateInternet } from "'$NEW'/dist/test/sim/internet.js";
import { plainNames } from "'$NEW'/dist/test/harness/frontends.js";
console.log(plainNames(generateInternet({ seed: 1, zones: 300 })).slice(0, 500).map(n => n + " A").join("\n"));' > $OUT/hit.queries
for P in 25401 25402 25403; do taskset -c 0 node dist/loadtest/cli.js --server 127.0.0.1:$P --queries $OUT/hit.queries --duration 3 --concurrency 20 --quiet; done
for round in 1 2 3; do
  for X in "old $OPID 25401" "new $NPID 25402" "new-semi2 $SPID 25403"; do set -- $X
    taskset -c 0 node dist/loadtest/cli.js --server 127.0.0.1:$3 --queries $OUT/hit.queries --duration 10 --concurrency 128 --pid $2 --label $1 --out $OUT/ab-$1-$round.json --quiet
    node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(process.argv[2], Math.round(r.qps), "q/s", r.server.meanCpuPercent, "% cpu", Math.round(r.qps*100/r.server.meanCpuPercent), "q/s per busy core", r.server.maxRssMb, "MB", "timeouts", r.totals.timeouts)' $OUT/ab-$1-$round.json $1
  done
done
kill $OPID $NPID $SPID $SIMPID
