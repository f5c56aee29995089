#!/usr/bin/env bash
# The no-cross-delivery property and the broken-upstream corpus, run long: the property with many
# more tries than CI's 30 (default 3000; first argument), paranoid leak detection on as in CI.
#   bench/scripts/property-soak.sh [TRIES]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
tries="${1:-3000}"
./mvnw -B -q install -DskipTests
./mvnw -B test -pl balancer -Djqwik.tries.default="$tries" \
  -Dtest='NoCrossDeliveryPropertyTest,BrokenUpstreamCorpusTest' -Dsurefire.failIfNoSpecifiedTests=false
