#!/usr/bin/env bash
# The rendered Terraform passes `terraform validate` and an offline
# `terraform plan -refresh=false`, for both database topologies: test
# (RDS with a cross-region replica) and production (Aurora global).
. "$(dirname "$0")/../lib.sh"
command -v terraform >/dev/null || skip_all "terraform not installed"
n=0 failed=0
for env in test production; do
	"$PROVISIONER" render "$SOURCE_DIR/envs/$env.yaml" -b main -c "$COMMIT" \
		--out "$TEST_DIR/$env" --target terraform >/dev/null || { echo "not ok - render $env"; exit 1; }
	"$SOURCE_DIR/tests/tools/tf-check.sh" "$TEST_DIR/$env/terraform" >"$TEST_DIR/$env.tap"
	rc=$?
	if grep -q '^1..0 # SKIP' "$TEST_DIR/$env.tap"; then
		cat "$TEST_DIR/$env.tap"
		exit 0
	fi
	# renumber the sub-script's TAP into this one
	while IFS= read -r line; do
		case $line in
		"ok "*) n=$((n + 1)); echo "ok $n - $env: ${line#ok * - }" ;;
		"not ok "*) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $env: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$TEST_DIR/$env.tap"
	[ $rc -eq 0 ] || [ $failed -gt 0 ] || { n=$((n + 1)); failed=1; echo "not ok $n - $env: tf-check failed"; }
done
echo "1..$n"
[ $failed -eq 0 ]
