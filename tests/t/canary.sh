#!/usr/bin/env bash
# A secret's value never appears in rendered files, output, errors or the
# audit log: put a canary value where the definitions' secrets come from
# (and in a variable that is not declared secret), run every command, and
# look for it everywhere.
. "$(dirname "$0")/../lib.sh"
P=$PROVISIONER
canary="canary-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export OBS_DB_PASSWORD=$canary CANARY_PLAIN=$canary
R="-b main -c $COMMIT"
log=$TEST_DIR/output

# run a command with its output in the log; a failure is remembered by name
failed=
run() {
	"$P" "$@" >>"$log" 2>&1 || failed="$failed $env:$1($?)"
}
for env in test nightly staging production; do
	run validate "$SOURCE_DIR/envs/$env.yaml" $R
	run name "$SOURCE_DIR/envs/$env.yaml" $R
	run show "$SOURCE_DIR/envs/$env.yaml" $R -o json
	run render "$SOURCE_DIR/envs/$env.yaml" $R --out "$TEST_DIR/out-$env"
	run render "$SOURCE_DIR/envs/$env.yaml" $R --out "$TEST_DIR/out-$env" --check
done
is "$failed" "" "every command succeeded for every reference environment"
ok "the commands ran" test -s "$TEST_DIR/out-test/terraform/main.tf.json"
ok "the secret is referenced in the rendered Deployment" \
	grep -rq "secretKeyRef" "$TEST_DIR/out-test/kubernetes"

# definitions that try to pull the value in get an error that does not echo it
printf 'extends: %s\nowner: ${env:OBS_DB_PASSWORD}\n' "$SOURCE_DIR/envs/test.yaml" >"$TEST_DIR/pull.yaml"
"$P" validate "$TEST_DIR/pull.yaml" $R >>"$log" 2>&1
is $? 2 "substituting a secret's source variable is refused"
printf 'extends: %s\nservices:\n  api:\n    replicas: ${env:CANARY_PLAIN}\n' \
	"$SOURCE_DIR/envs/test.yaml" >"$TEST_DIR/plain.yaml"
"$P" validate "$TEST_DIR/plain.yaml" $R >>"$log" 2>&1
is $? 2 "a bad value from the environment is refused"
printf 'extends: %s\nservices:\n  api:\n    env: {DB_PASSWORD: hunter2-%s}\n' \
	"$SOURCE_DIR/envs/test.yaml" "$canary" >"$TEST_DIR/inline.yaml"
"$P" validate "$TEST_DIR/inline.yaml" $R >>"$log" 2>&1
is $? 2 "a secret written into a service's env is refused"

ok "the canary is in no output or error message" sh -c "! grep -q '$canary' '$log'"
ok "the canary is in no rendered file" sh -c "! grep -rq '$canary' '$TEST_DIR'/out-*"
ok "the canary is in no state or audit file" sh -c "! grep -rq '$canary' '$PROVISIONER_STATE_DIR'"
done_testing
