#!/usr/bin/env bash
# render: every reference environment renders; output is deterministic;
# --check finds drift; a failed render changes nothing; the manifests build
# with kustomize and pass strict validation against the shipped Kubernetes
# schema (render --validate, provisioner check).
. "$(dirname "$0")/../lib.sh"
P=$PROVISIONER
R="-b main -c $COMMIT"

for env in test nightly staging production; do
	ok "envs/$env.yaml renders, and every Kubernetes object passes strict validation" \
		"$P" render "$SOURCE_DIR/envs/$env.yaml" $R --out "$TEST_DIR/$env" --validate
done
ok "rendering again into another directory gives identical output" sh -c "
	'$P' render '$SOURCE_DIR/envs/test.yaml' $R --out '$TEST_DIR/again' >/dev/null &&
	diff -r '$TEST_DIR/test' '$TEST_DIR/again'"
ok "rendering from another directory gives identical output" sh -c "
	cd '$SOURCE_DIR/envs' && '$P' render test.yaml $R --out '$TEST_DIR/cwd' >/dev/null &&
	diff -r '$TEST_DIR/test' '$TEST_DIR/cwd'"
ok "--check finds no drift in a fresh render" "$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$TEST_DIR/test" --check

# drift: a changed file, a missing one, an extra one
t=$TEST_DIR/test
sed -i 's/maxReplicas: .*/maxReplicas: 99/' "$t/kubernetes/eu-west-1/service-api.yaml"
rm "$t/kubernetes/eu-central-1/gateway.yaml"
echo x >"$t/kubernetes/eu-west-1/stray.yaml"
"$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$t" --check >"$TEST_DIR/drift" 2>&1
is $? 1 "--check exits 1 on drift"
ok "--check shows the changed lines" sh -c "grep -q '^-  maxReplicas: 99' '$TEST_DIR/drift' && grep -q '^+  maxReplicas: 2' '$TEST_DIR/drift'"
ok "--check names a missing file" grep -q '^missing: kubernetes/eu-central-1/gateway.yaml' "$TEST_DIR/drift"
ok "--check names an extra file" grep -q '^extra: kubernetes/eu-west-1/stray.yaml' "$TEST_DIR/drift"
ok "--check writes nothing" test -f "$t/kubernetes/eu-west-1/stray.yaml"
ok "a render repairs the drift" sh -c "'$P' render '$SOURCE_DIR/envs/test.yaml' $R --out '$t' >/dev/null &&
	'$P' render '$SOURCE_DIR/envs/test.yaml' $R --out '$t' --check >/dev/null"
ok "a render leaves no temporary directories" sh -c "! ls -a '$t' | grep -q tmp"
"$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$t" --check --target bogus >/dev/null 2>&1
is $? 2 "an unknown --target is a usage error"

# --target renders only what it names
ok "--target terraform writes only terraform/" sh -c "
	'$P' render '$SOURCE_DIR/envs/test.yaml' $R --out '$TEST_DIR/tf' --target terraform >/dev/null &&
	test -f '$TEST_DIR/tf/terraform/main.tf.json' && ! test -e '$TEST_DIR/tf/kubernetes'"

# a failed render changes nothing
cp -r "$TEST_DIR/test" "$TEST_DIR/before"
printf 'extends: %s\nservices: {api: {replicas: many}}\n' "$SOURCE_DIR/envs/test.yaml" >"$TEST_DIR/bad.yaml"
"$P" render "$TEST_DIR/bad.yaml" $R --out "$TEST_DIR/test" >/dev/null 2>&1
is $? 2 "an invalid definition exits 2"
ok "an invalid definition leaves the output as it was" diff -r "$TEST_DIR/before" "$TEST_DIR/test"
"$P" render "$TEST_DIR/bad.yaml" $R --out "$TEST_DIR/never" >/dev/null 2>&1
ok "an invalid definition creates no output directory" test ! -e "$TEST_DIR/never"
if [ "$(id -u)" -ne 0 ]; then
	mkdir "$TEST_DIR/ro" && chmod 555 "$TEST_DIR/ro"
	"$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$TEST_DIR/ro/x" >/dev/null 2>&1
	is $? 1 "an unwritable output directory fails"
else
	skip "running as root, permissions do not stop writes" "an unwritable output directory fails"
fi

# the manifests build with kustomize
if command -v kubectl >/dev/null; then
	for d in "$TEST_DIR"/production/kubernetes/*/; do
		ok "kubectl kustomize builds $(basename "$d")" sh -c "kubectl kustomize '$d' >/dev/null"
	done
else
	skip "kubectl is not installed" "kubectl kustomize builds the rendered directories"
fi

# every object passes strict validation against the Kubernetes 1.36 schema
for env in test nightly staging production; do
	ok "provisioner check: every $env manifest is valid" "$P" check "$TEST_DIR/$env/kubernetes"
done
ok "provisioner check: the base policies in k8s/base are valid" "$P" check "$SOURCE_DIR/k8s/base"
ok "render --check --validate: no drift, every object valid" \
	"$P" render "$SOURCE_DIR/envs/production.yaml" $R --out "$TEST_DIR/production" --check --validate

done_testing
