#!/usr/bin/env bash
# Runs every fuzz test of dpokit for FUZZTIME each (default 30s): `make fuzz`.
# The normal test suite runs each fuzz test on its seed corpus only; this
# mutates the inputs. A finding is written under the package's
# testdata/fuzz/ (it then stays a seed of the normal suite) and fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-30s}
targets=$(grep -rEo --include='*_test.go' --exclude-dir=third_party --exclude-dir=.cache --exclude-dir=node_modules \
	'^func Fuzz[A-Za-z0-9_]+' . | sed -E 's/^(.*)\/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]+)$/\1 \2/' | sort)
failed=()
while read -r pkg name; do
	[ -n "$pkg" ] || continue
	echo "== $pkg $name for $FUZZTIME"
	if ! go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME"; then
		failed+=("$pkg $name")
	fi
done <<< "$targets"
echo
echo "fuzz tests: $(grep -c . <<< "$targets"), failed: ${#failed[@]}"
for f in "${failed[@]}"; do echo "  FAILED: $f"; done
[ ${#failed[@]} -eq 0 ]
